"""Template filters for figures: rates, durations, counts and local dates (shared by the public
pages and the console dashboard)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

import jinja2

from bot.charts import Series
from bot.stats.measures import MEASURE_BY_CODE, StatsRow, hours, percent

# Each rate looks the same (colour, dash, marker) in every chart, on the dashboard and on the
# public page: a leader who has learnt that 满意率 is the green dotted line keeps reading it so.
RATE_STYLES = {"response_rate": 0, "on_time_rate": 1, "satisfaction_rate": 2, "solve_rate": 3}


def rate_series(rows: Sequence[StatsRow], codes: Sequence[str]) -> list[Series]:
    """The lines of a rate trend, one per measure code, named and styled by the measure."""
    return [Series(MEASURE_BY_CODE[code].label, [row.value(code) for row in rows],
                   style=RATE_STYLES[code]) for code in codes]


def localdate(value: datetime | date | None, tz: ZoneInfo, fmt: str = "%Y-%m-%d") -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = value.astimezone(tz)
    return value.strftime(fmt)


def localtime(value: datetime | None, tz: ZoneInfo, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return "—" if value is None else value.astimezone(tz).strftime(fmt)


def count(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def setup_filters(env: jinja2.Environment) -> None:
    env.filters["percent"] = percent
    env.filters["hours"] = hours
    env.filters["count"] = count
    env.filters["localdate"] = localdate
    env.filters["localtime_tz"] = localtime
