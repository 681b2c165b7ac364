"""Template filters for figures: rates, durations, counts and local dates (shared by the public
pages and the console dashboard)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import jinja2

from bot.stats.measures import hours, percent


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
