"""SQL pieces that differ between PostgreSQL and SQLite: local calendar buckets, durations,
the median. Everything else in bot/stats is plain SQLAlchemy Core that runs on both."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, DateTime, Float, func, literal
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import KeyedColumnElement

from bot.storage import Database

Period = Literal["day", "week", "month"]
PERIODS: tuple[Period, ...] = ("day", "week", "month")


def bucket(
    column: KeyedColumnElement[datetime] | ColumnElement[datetime],
    period: Period,
    *,
    dialect: str,
    tz: ZoneInfo,
) -> ColumnElement[str]:
    """The first local day of the day/week (Monday)/month `column` falls in: 'YYYY-MM-DD' on
    SQLite, the local midnight (a timestamp; see `bucket_key`) on PostgreSQL, where grouping
    by a timestamp is cheaper than formatting every row.

    PostgreSQL converts with the zone's rules; SQLite has no time zones, so it shifts by the
    zone's offset now (exact for zones without daylight saving, such as Asia/Shanghai)."""
    if dialect == "postgresql":
        local = func.timezone(tz.key, column)
        return func.date_trunc(period, local, type_=DateTime())
    offset = _offset_minutes(tz)
    shift = f"{offset:+d} minutes"
    if period == "day":
        return func.date(column, shift)
    if period == "week":
        return func.date(column, shift, "weekday 0", "-6 days")
    return func.strftime("%Y-%m-01", column, shift)


def bucket_key(value: object) -> str | None:
    """A bucket as 'YYYY-MM-DD', whichever database computed it."""
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m-%d")
    return str(value)


def bucket_start(day: date, period: Period) -> date:
    """The first day of the day/week (Monday)/month `day` falls in: what `bucket` gives."""
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def next_bucket(start: date, period: Period) -> date:
    if period == "day":
        return start + timedelta(days=1)
    if period == "week":
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def bucket_keys(first: date, last: date, period: Period) -> list[str]:
    """Every bucket from the one holding `first` to the one holding `last`, as 'YYYY-MM-DD'
    (none when first > last): the time axis of a trend, periods without slips included."""
    keys: list[str] = []
    start, end = bucket_start(first, period), bucket_start(last, period)
    while start <= end:
        keys.append(start.isoformat())
        start = next_bucket(start, period)
    return keys


def hours_between(
    start: ColumnElement[datetime], end: ColumnElement[datetime], *, dialect: str
) -> ColumnElement[float]:
    if dialect == "postgresql":
        return func.extract("epoch", end - start) / 3600.0
    return (func.julianday(end) - func.julianday(start)) * literal(24.0, Float)


def median(value: ColumnElement[float]) -> ColumnElement[float]:
    """PostgreSQL's exact median (NULLs ignored). SQLite: see Statistics._sqlite_medians."""
    return func.percentile_cont(0.5).within_group(value)


def local_bounds(
    date_from: date | None, date_to: date | None, tz: ZoneInfo
) -> tuple[datetime | None, datetime | None]:
    """UTC instants for [date_from 00:00, date_to + 1 day 00:00) in the local zone."""
    lo = hi = None
    if date_from is not None:
        lo = datetime.combine(date_from, time.min, tz).astimezone(UTC)
    if date_to is not None:
        hi = datetime.combine(date_to + timedelta(days=1), time.min, tz).astimezone(UTC)
    return lo, hi


def _offset_minutes(tz: ZoneInfo) -> int:
    offset = datetime.now(tz).utcoffset() or timedelta(0)
    return int(offset.total_seconds() // 60)


@asynccontextmanager
async def reading(db: Database) -> AsyncIterator[AsyncConnection]:
    """A connection for statistics reads. On PostgreSQL without JIT: these are short reads,
    and compiling them to machine code (which their cost estimates trigger at a million rows)
    takes longer than it saves."""
    async with db.connect() as conn:
        if db.dialect == "postgresql":
            await conn.exec_driver_sql("SET LOCAL jit = off")
        yield conn
