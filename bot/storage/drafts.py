"""Conversations with something unfinished, kept in the database as well as in the stores.

The stores (Redis) hold every conversation; a Redis restart without persistence, or a
failover to a replica that lagged, loses them. A resident half-way through a complaint would
then have their next answer ("建新北路12号") taken as a new complaint. So while a conversation
holds something unfinished (a draft, a summary awaiting 确认, a "不满意" reason owed), the
dialog engine also writes it here, and reads it back when the stores have nothing. A finished
conversation's row is deleted; rows older than the stores' own expiry are ignored.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, bindparam, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.db import Database
from bot.storage.models import Base
from bot.storage.types import JSONType, UTCDateTime, utcnow


class ConversationDraft(Base):
    """The newest state of a conversation with something unfinished, by store key."""

    __tablename__ = "conversation_draft"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSONType())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# Built once with bound parameters (a save runs on most turns of a report): SQLAlchemy finds
# their compiled form in its cache instead of walking a new statement each time.
_LOAD = select(ConversationDraft.state).where(
    ConversationDraft.key == bindparam("key"), ConversationDraft.updated_at >= bindparam("oldest")
)
_DROP = delete(ConversationDraft).where(ConversationDraft.key == bindparam("key"))


def _upsert(insert: Any) -> Any:
    now = bindparam("now", type_=ConversationDraft.__table__.c.updated_at.type)
    stmt = insert(ConversationDraft).values(
        key=bindparam("key"),
        state=bindparam("state", type_=ConversationDraft.__table__.c.state.type),
        updated_at=now,
    )
    return stmt.on_conflict_do_update(
        index_elements=["key"], set_={"state": stmt.excluded.state, "updated_at": now}
    )


class DraftBackup:
    """The dialog engine's durable copy (dialogs.engine.ConversationBackup). Each call is
    one short transaction on its own connection.

    On PostgreSQL the writes commit asynchronously (synchronous_commit off for them alone):
    the copy is there for when Redis loses the conversation, and PostgreSQL crashing in the
    same fraction of a second is not worth waiting for a disk flush on every turn of every
    report (on the shared 2-core test machine, load 8: median 24 ms a save instead of 28 ms;
    a slower disk widens the gap)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._postgres = db.dialect == "postgresql"
        self._upsert = _upsert(pg_insert if self._postgres else sqlite_insert)

    async def load(self, key: str, max_age_seconds: float) -> dict[str, Any] | None:
        oldest = utcnow() - timedelta(seconds=max_age_seconds)
        async with self._db.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")  # no BEGIN
            state = (
                await conn.execute(_LOAD, {"key": key, "oldest": oldest})
            ).scalar_one_or_none()
        return state if isinstance(state, dict) else None

    async def save(self, key: str, state: dict[str, Any]) -> None:
        async with self._db.engine.begin() as conn:
            await self._no_flush(conn)
            await conn.execute(self._upsert, {"key": key, "state": state, "now": utcnow()})

    async def drop(self, key: str) -> None:
        async with self._db.engine.begin() as conn:
            await self._no_flush(conn)
            await conn.execute(_DROP, {"key": key})

    async def purge(self, before: datetime) -> int:
        """Deletes copies last written before `before` (the scheduler); how many."""
        async with self._db.engine.begin() as conn:
            result = await conn.execute(
                delete(ConversationDraft).where(ConversationDraft.updated_at < before))
        return int(result.rowcount or 0)

    async def _no_flush(self, conn: AsyncConnection) -> None:
        if self._postgres:
            await conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
