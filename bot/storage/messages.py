"""The chat record: residents and every message in and out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

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


def _insert(session: AsyncSession, model: Any) -> Any:
    return (pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert)(model)


async def upsert_resident(
    session: AsyncSession,
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
    """Records the conversation. Each call is its own short transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def record_inbound(
        self, record: InboundRecord, *, subscribed: bool | None = None
    ) -> Recorded:
        async with self._db.session() as session:
            resident_id = await upsert_resident(session, record.openid, subscribed=subscribed)
            stmt = (
                _insert(session, Message)
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
                    created_at=utcnow(),
                )
                .on_conflict_do_nothing(index_elements=["dedupe_key"])
                .returning(Message.id)
            )
            new_id = (await session.execute(stmt)).scalar_one_or_none()
            if new_id is not None:
                return Recorded(int(new_id), resident_id, True, None)
            existing = (
                await session.execute(
                    select(Message.id).where(Message.dedupe_key == record.dedupe_key)
                )
            ).scalar_one()
            reply = (
                await session.execute(
                    select(Message.content)
                    .where(Message.reply_to_id == existing, Message.channel == "passive")
                    .order_by(Message.id)
                    .limit(1)
                )
            ).scalar_one_or_none()
            return Recorded(int(existing), resident_id, False, reply)

    async def record_reply(
        self, recorded: Recorded, content: str, *, msg_type: str = "text", channel: str = "passive"
    ) -> int:
        async with self._db.session() as session:
            message = Message(
                resident_id=recorded.resident_id,
                direction="out",
                channel=channel,
                msg_type=msg_type,
                content=content,
                payload={},
                reply_to_id=recorded.message_id,
                created_at=utcnow(),
            )
            session.add(message)
            await session.flush()
            return int(message.id)

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
