"""Writing notifications: call `enqueue` inside the transaction of the change itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.outbox.models import OutboxRow, OutboxStatus
from bot.storage.types import utcnow


@dataclass(frozen=True, slots=True)
class Notice:
    kind: str
    text: str
    idempotency_key: str
    openid: str | None = None
    resident_id: int | None = None
    slip_id: int | None = None
    audience: str = "resident"
    template_data: dict[str, Any] = field(default_factory=dict)


async def enqueue(session: AsyncSession, notice: Notice) -> bool:
    """Add the notice to the outbox in the caller's transaction. Returns False when a notice
    with the same idempotency key exists already (nothing is added twice)."""
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    now = utcnow()
    stmt = (
        insert(OutboxRow)
        .values(
            audience=notice.audience,
            openid=notice.openid,
            resident_id=notice.resident_id,
            slip_id=notice.slip_id,
            kind=notice.kind,
            text=notice.text,
            template_data=notice.template_data,
            idempotency_key=notice.idempotency_key,
            status=OutboxStatus.PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(OutboxRow.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None
