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

from sqlalchemy import String, bindparam, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
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


# PostgreSQL: `SET LOCAL synchronous_commit TO OFF` in the statement itself, so that a save is
# one round trip in autocommit instead of four (BEGIN, SET LOCAL, the write, COMMIT). A local
# setting made in an implicit transaction holds until its commit, which then does not wait for
# the disk (measured: 0.23 ms a save instead of 0.39 on an idle machine).
_NO_FLUSH = func.set_config("synchronous_commit", "off", True)
_DROP_NO_FLUSH = _DROP.where(select(_NO_FLUSH).scalar_subquery().is_not(None))


def _upsert(insert: Any, *, no_flush: bool) -> Any:
    now = bindparam("now", type_=ConversationDraft.__table__.c.updated_at.type)
    values = {
        "key": bindparam("key"),
        "state": bindparam("state", type_=ConversationDraft.__table__.c.state.type),
        "updated_at": now,
    }
    if no_flush:
        source = select(*values.values()).select_from(select(_NO_FLUSH).subquery())
        stmt = insert(ConversationDraft).from_select(list(values), source)
    else:
        stmt = insert(ConversationDraft).values(**values)
    return stmt.on_conflict_do_update(
        index_elements=["key"], set_={"state": stmt.excluded.state, "updated_at": now}
    )


class DraftBackup:
    """The dialog engine's durable copy (dialogs.engine.ConversationBackup). Each call is
    one statement in autocommit on its own connection.

    On PostgreSQL the writes commit asynchronously (synchronous_commit off for them alone):
    the copy is there for when Redis loses the conversation, and PostgreSQL crashing in the
    same fraction of a second is not worth waiting for a disk flush on every turn of every
    report (on the shared 2-core test machine, load 8: median 24 ms a save instead of 28 ms;
    a slower disk widens the gap)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._postgres = db.dialect == "postgresql"
        self._upsert = (
            _upsert(pg_insert, no_flush=True)
            if self._postgres
            else _upsert(sqlite_insert, no_flush=False)
        )
        self._drop = _DROP_NO_FLUSH if self._postgres else _DROP

    async def load(self, key: str, max_age_seconds: float) -> dict[str, Any] | None:
        oldest = utcnow() - timedelta(seconds=max_age_seconds)
        async with self._db.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")  # no BEGIN
            state = (
                await conn.execute(_LOAD, {"key": key, "oldest": oldest})
            ).scalar_one_or_none()
        return state if isinstance(state, dict) else None

    async def save(self, key: str, state: dict[str, Any]) -> None:
        async with self._db.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(self._upsert, {"key": key, "state": state, "now": utcnow()})

    async def drop(self, key: str) -> None:
        async with self._db.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(self._drop, {"key": key})

    async def purge(self, before: datetime) -> int:
        """Deletes copies last written before `before` (the scheduler); how many."""
        async with self._db.engine.begin() as conn:
            result = await conn.execute(
                delete(ConversationDraft).where(ConversationDraft.updated_at < before))
        return int(result.rowcount or 0)
