"""Taking outbox rows to deliver, so that many workers share the work without overlap.

One UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED LIMIT n) RETURNING: on
PostgreSQL concurrent workers skip each other's rows instead of waiting; on SQLite the single
statement is atomic by itself (SQLite has one writer). A claim is a lease (`locked_until`):
a worker that dies leaves its rows to be taken over when the lease lapses.

Order per resident: a row is not due while an earlier row to the same openid is still
pending or being sent, so a batch holds at most one row per resident and a resident's
notices go out in the order they were written.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import aliased

from bot.outbox.models import OutboxRow, OutboxStatus
from bot.storage import Database

OPEN = (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value)


async def claim(
    db: Database, worker: str, now: datetime, *, lease_seconds: float, limit: int
) -> list[OutboxRow]:
    row = aliased(OutboxRow, name="cand")
    earlier = aliased(OutboxRow, name="earlier")
    due = or_(
        and_(row.status == OutboxStatus.PENDING, row.next_attempt_at <= now),
        and_(
            row.status == OutboxStatus.SENDING,
            or_(row.locked_until.is_(None), row.locked_until < now),
        ),
    )
    blocked = exists(
        select(earlier.id).where(
            earlier.openid == row.openid, earlier.id < row.id, earlier.status.in_(OPEN)
        )
    )
    candidates = (
        select(row.id)
        .where(due, ~blocked)
        .order_by(row.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=row)
    )
    stmt = (
        update(OutboxRow)
        .where(OutboxRow.id.in_(candidates.scalar_subquery()))
        .values(
            status=OutboxStatus.SENDING,
            locked_by=worker,
            locked_until=now + timedelta(seconds=lease_seconds),
        )
        .returning(OutboxRow)
        .execution_options(synchronize_session=False)
    )
    async with db.session() as session:
        rows = list((await session.scalars(stmt)).all())
    rows.sort(key=lambda r: r.id)
    return rows


async def release(db: Database, worker: str, ids: list[int]) -> None:
    """Give back claimed rows this worker did not get to (no attempt counted)."""
    if not ids:
        return
    async with db.session() as session:
        await session.execute(
            update(OutboxRow)
            .where(
                OutboxRow.id.in_(ids),
                OutboxRow.locked_by == worker,
                OutboxRow.status == OutboxStatus.SENDING,
            )
            .values(status=OutboxStatus.PENDING, locked_by=None, locked_until=None)
            .execution_options(synchronize_session=False)
        )
