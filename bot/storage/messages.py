"""The chat record: residents and every message in and out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.storage.db import Database
from bot.storage.models import Message, Resident
from bot.storage.types import utcnow


@dataclass(frozen=True, slots=True)
class InboundRecord:
    openid: str
    msg_type: str
    dedupe_key: str
    wechat_msg_id: int | None = None
    event: str | None = None
    content: str | None = None
    payload: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Recorded:
    message_id: int
    resident_id: int
    is_new: bool  # False: WeChat delivered this message before
    reply: str | None  # the reply already given to it, if any


def _insert(conn: AsyncSession | AsyncConnection, model: Any) -> Any:
    dialect = conn.bind.dialect.name if isinstance(conn, AsyncSession) else conn.dialect.name
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(model)


async def upsert_resident(
    session: AsyncSession | AsyncConnection,
    openid: str,
    *,
    at: datetime | None = None,
    touch: bool = True,
    subscribed: bool | None = None,
) -> int:
    """The resident's id, creating the row on first contact. `touch` records a message now
    (it opens WeChat's 48-hour customer-service window)."""
    now = at or utcnow()
    values: dict[str, Any] = {"openid": openid, "created_at": now, "updated_at": now}
    update: dict[str, Any] = {"updated_at": now}
    if touch:
        values["last_message_at"] = update["last_message_at"] = now
    if subscribed is not None:
        values["subscribed"] = update["subscribed"] = subscribed
    stmt = _insert(session, Resident).values(**values)
    stmt = stmt.on_conflict_do_update(index_elements=["openid"], set_=update).returning(
        Resident.id
    )
    return int((await session.execute(stmt)).scalar_one())


class MessageLog:
    """Records the conversation. Uses Core statements on one connection: this is the
    webhook's hot path."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def prior_reply(self, dedupe_key: str) -> str | None:
        """The passive reply already given to this WeChat message, if it was recorded."""
        inbound = Message.__table__.alias("inbound")
        stmt = (
            select(Message.content)
            .join(inbound, Message.reply_to_id == inbound.c.id)
            .where(inbound.c.dedupe_key == dedupe_key, Message.channel == "passive")
            .limit(1)
        )
        async with self._db.engine.connect() as conn:
            return (await conn.execute(stmt)).scalar_one_or_none()

    async def record_exchange(
        self, record: InboundRecord, reply: str, *, subscribed: bool | None = None
    ) -> Recorded:
        """The message and the reply it got, in one transaction. A message recorded before
        (a WeChat retry that raced us) keeps its first reply, which is returned."""
        now = utcnow()
        async with self._db.engine.begin() as conn:
            resident_id = await upsert_resident(conn, record.openid, at=now, subscribed=subscribed)
            new_id = (
                await conn.execute(
                    _insert(conn, Message)
                    .values(
                        resident_id=resident_id,
                        direction="in",
                        channel="inbound",
                        msg_type=record.msg_type,
                        event=record.event,
                        wechat_msg_id=record.wechat_msg_id,
                        dedupe_key=record.dedupe_key,
                        content=record.content,
                        payload=record.payload or {},
                        created_at=now,
                    )
                    .on_conflict_do_nothing(index_elements=["dedupe_key"])
                    .returning(Message.id)
                )
            ).scalar_one_or_none()
            if new_id is None:
                existing = (
                    await conn.execute(
                        select(Message.id).where(Message.dedupe_key == record.dedupe_key)
                    )
                ).scalar_one()
                first = (
                    await conn.execute(
                        select(Message.content)
                        .where(Message.reply_to_id == existing, Message.channel == "passive")
                        .order_by(Message.id)
                        .limit(1)
                    )
                ).scalar_one_or_none()
                return Recorded(int(existing), resident_id, False, first)
            await conn.execute(
                _insert(conn, Message).values(
                    resident_id=resident_id,
                    direction="out",
                    channel="passive",
                    msg_type="text" if reply else "success",
                    content=reply,
                    payload={},
                    reply_to_id=new_id,
                    created_at=now,
                )
            )
            return Recorded(int(new_id), resident_id, True, reply)

    async def record_push(
        self,
        conn: AsyncConnection | AsyncSession,
        *,
        resident_id: int,
        content: str,
        channel: str,
        wechat_msg_id: int | None = None,
        payload: dict[str, Any] | None = None,
    ) -> None:
        """A message pushed through the API (customer-service, template, subscription),
        recorded in the caller's transaction."""
        await conn.execute(
            _insert(conn, Message).values(
                resident_id=resident_id,
                direction="out",
                channel=channel,
                msg_type="text" if channel == "custom" else channel,
                content=content,
                wechat_msg_id=wechat_msg_id,
                payload=payload or {},
                created_at=utcnow(),
            )
        )

    async def transcript(self, openid: str, limit: int = 200) -> list[Message]:
        async with self._db.session() as session:
            rows = await session.execute(
                select(Message)
                .join(Resident, Resident.id == Message.resident_id)
                .where(Resident.openid == openid)
                .order_by(Message.id.desc())
                .limit(limit)
            )
            return list(reversed(rows.scalars().all()))
