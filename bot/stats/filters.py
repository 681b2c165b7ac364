"""What a statistics query is about: a range of local dates and optional department, street,
category and urgency; and how to read it from a query string (console, public pages, exports)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bot.stats.sql import PERIODS, Period
from knowledge.records import URGENCIES

Dimension = Literal["department", "street", "category", "period", "total"]
DIMENSIONS: tuple[Dimension, ...] = ("department", "street", "category", "period", "total")

# Longest range a query string may ask for (a guard against silly requests, not a limit of
# the queries).
MAX_DAYS = 3660


class FilterError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


@dataclass(frozen=True)
class StatsFilter:
    date_from: date | None = None  # accepted on or after (local date)
    date_to: date | None = None  # accepted on or before (local date)
    department: str | None = None  # lead department code
    street: str | None = None
    category: str | None = None  # first-level category
    urgency: str | None = None  # 特急 | 紧急 | 一般

    def scoped(self, department: str | None) -> StatsFilter:
        """The same filter held to one department (a handler sees only their own)."""
        return self if department is None else replace(self, department=department)

    def to_query(self) -> dict[str, str]:
        out = {}
        if self.date_from:
            out["from"] = self.date_from.isoformat()
        if self.date_to:
            out["to"] = self.date_to.isoformat()
        for name in ("department", "street", "category", "urgency"):
            value = getattr(self, name)
            if value:
                out[name] = value
        return out


def today(tz: ZoneInfo, now: datetime | None = None) -> date:
    return (now or datetime.now(tz)).astimezone(tz).date()


def default_range(tz: ZoneInfo, days: int = 180, now: datetime | None = None) -> tuple[date, date]:
    end = today(tz, now)
    return end - timedelta(days=days - 1), end


def parse_filter(
    query: Mapping[str, str], tz: ZoneInfo, *, default_days: int = 180,
    now: datetime | None = None,
) -> StatsFilter:
    """from/to (YYYY-MM-DD; default: the last `default_days` days), department, street,
    category, urgency. Raises FilterError naming the field."""
    start, end = default_range(tz, default_days, now)
    date_from = _date(query.get("from"), "from") or start
    date_to = _date(query.get("to"), "to") or end
    if date_from > date_to:
        raise FilterError("from", "开始日期不能晚于结束日期")
    if (date_to - date_from).days > MAX_DAYS:
        raise FilterError("from", f"统计区间不能超过{MAX_DAYS}天")
    urgency = _text(query.get("urgency"))
    if urgency is not None and urgency not in URGENCIES:
        raise FilterError("urgency", f"紧急程度应为{'、'.join(URGENCIES)}之一")
    return StatsFilter(
        date_from=date_from,
        date_to=date_to,
        department=_text(query.get("department")),
        street=_text(query.get("street")),
        category=_text(query.get("category")),
        urgency=urgency,
    )


def parse_period(value: str | None, default: Period = "month") -> Period:
    if not value:
        return default
    if value not in PERIODS:
        raise FilterError("period", "统计周期应为 day、week 或 month")
    return value  # type: ignore[return-value]


def _date(value: str | None, field: str) -> date | None:
    if not value or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise FilterError(field, "日期格式应为 YYYY-MM-DD") from None


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()[:64]
    return value or None
