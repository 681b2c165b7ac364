"""The public pages' watermark: a cheap reading that moves whenever any slip changes.

Every change to a slip (issue, sign, close, survey, withdraw, …) writes one event into
slip_event in the same transaction (bot/slips/engine.py), so the newest event id moves with
every change, from any process. `max(id)` is one look-up in the primary key index.

On PostgreSQL ids come from a sequence and are handed out before the commit, so a transaction
can commit after one with a higher id: `max(id)` alone would miss it. The reading therefore
also counts the events among the last WINDOW ids (a short range scan of the same index); an
event that commits late within that window raises the count.
"""

from __future__ import annotations

from sqlalchemy import func, select

from bot.slips.models import SlipEvent
from bot.storage import Database

WINDOW = 64

_NEWEST = select(func.max(SlipEvent.id)).scalar_subquery()
_READING = select(func.max(SlipEvent.id), func.count()).where(SlipEvent.id > _NEWEST - WINDOW)


async def slip_watermark(db: Database) -> tuple[int | None, int]:
    """(newest event id, events among the last WINDOW ids); (None, 0) with no events."""
    async with db.connect() as conn:
        newest, recent = (await conn.execute(_READING)).one()
    return newest, int(recent)
