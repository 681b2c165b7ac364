"""Slip numbers: prefix + local date (yyyymmdd) + a daily sequence of at least five digits,
e.g. JB2026112500017. The counter row is bumped inside the issuing transaction, so concurrent
issues get distinct numbers (PostgreSQL row lock; SQLite has one writer) and a rolled-back
issue leaves no gap."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.slips.models import SlipCounter


def local_day(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y%m%d")


async def next_number(session: AsyncSession, prefix: str, moment: datetime, tz: ZoneInfo) -> str:
    day = local_day(moment, tz)
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(SlipCounter).values(prefix=prefix, day=day, value=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=["prefix", "day"], set_={"value": SlipCounter.value + 1}
    ).returning(SlipCounter.value)
    value = int((await session.execute(stmt)).scalar_one())
    return f"{prefix}{day}{value:05d}"
