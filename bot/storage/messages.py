"""The chat record: residents and every message in and out."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
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


BIGINT_MAX = 2**63 - 1


def _bigint_or_none(value: int | None) -> int | None:
    """WeChat's MsgId is a 64-bit number that may not fit a signed BIGINT; such an id is
    not kept as a number (the dedupe key still holds it as text)."""
    return value if value is not None and -BIGINT_MAX <= value <= BIGINT_MAX else None


def _insert(conn: AsyncSession | AsyncConnection, model: Any) -> Any:
    return (pg_insert if _dialect_of(conn) == "postgresql" else sqlite_insert)(model)


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
    params: dict[str, Any] = {"openid": openid, "now": now}
    if subscribed is not None:
        params["subscribed"] = subscribed
    statement = _upsert_resident(_dialect_of(session), touch, subscribed is not None)
    return int((await session.execute(statement, params)).scalar_one())


def _dialect_of(conn: AsyncSession | AsyncConnection) -> str:
    return conn.bind.dialect.name if isinstance(conn, AsyncSession) else conn.dialect.name


@functools.cache
def _upsert_resident(dialect: str, touch: bool, subscribes: bool) -> Any:
    """One statement per shape, built once (see _record_inbound)."""
    now = bindparam("now", type_=Resident.__table__.c.updated_at.type)
    values: dict[str, Any] = {"openid": bindparam("openid"), "created_at": now, "updated_at": now}
    update: dict[str, Any] = {"updated_at": now}
    if touch:
        values["last_message_at"] = update["last_message_at"] = now
    if subscribes:
        values["subscribed"] = update["subscribed"] = bindparam(
            "subscribed", type_=Resident.__table__.c.subscribed.type
        )
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return (
        insert(Resident)
        .values(**values)
        .on_conflict_do_update(index_elements=["openid"], set_=update)
        .returning(Resident.id)
    )


_PRIOR_REPLY = select(Message.reply).where(Message.dedupe_key == bindparam("key"))
_RECORDED = select(Message.id, Message.reply).where(Message.dedupe_key == bindparam("key"))
_INBOUND_COLUMNS = (
    "resident_id", "msg_type", "event", "wechat_msg_id", "dedupe_key", "content", "reply",
    "payload", "created_at",
)


def _record_inbound(dialect: str) -> Any:
    """The webhook's one write per message, built once: SQLAlchemy then finds its compiled
    form in its cache without walking a new statement each time."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return (
        insert(Message)
        .values(
            direction="in",
            channel="inbound",
            **{name: bindparam(name, type_=Message.__table__.c[name].type)
               for name in _INBOUND_COLUMNS},
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(Message.id)
    )


class MessageLog:
    """Records the conversation. Uses Core statements on one connection: this is the
    webhook's hot path."""

    # A resident's row is touched at most this often (seconds): the 48-hour window only
    # needs minute precision, and skipping the upsert saves a statement per message.
    TOUCH_EVERY = 60.0

    def __init__(self, db: Database, clock: Callable[[], float] = time.monotonic) -> None:
        self._db = db
        self._clock = clock
        self._known: dict[str, tuple[int, float]] = {}
        self._record_inbound = _record_inbound(db.dialect)

    async def _resident_id(
        self,
        conn: AsyncConnection,
        openid: str,
        *,
        at: datetime,
        opens_window: bool,
        subscribed: bool | None,
    ) -> int:
        known = self._known.get(openid)
        now = self._clock()
        if (
            known is not None
            and subscribed is None
            and (not opens_window or now - known[1] < self.TOUCH_EVERY)
        ):
            return known[0]
        resident_id = await upsert_resident(
            conn, openid, at=at, touch=opens_window, subscribed=subscribed
        )
        if len(self._known) > 100_000:
            self._known.clear()
        self._known[openid] = (resident_id, now if opens_window else (known or (0, -1e9))[1])
        return resident_id

    async def prior_reply(self, dedupe_key: str) -> str | None:
        """The passive reply already given to this WeChat message, if it was recorded."""
        async with self._db.engine.connect() as conn:
            return (await conn.execute(_PRIOR_REPLY, {"key": dedupe_key})).scalar_one_or_none()

    async def record_exchange(
        self, record: InboundRecord, reply: str, *, subscribed: bool | None = None
    ) -> Recorded:
        """The message and the passive reply it got: one row, one statement (atomic without
        a transaction block). A message recorded before (a retry after the store lost its
        key) keeps its first reply, which is returned."""
        now = utcnow()
        async with self._db.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            resident_id = await self._resident_id(
                conn,
                record.openid,
                at=now,
                opens_window=record.msg_type != "event",
                subscribed=subscribed,
            )
            params = {
                "resident_id": resident_id,
                "msg_type": record.msg_type,
                "event": record.event,
                "wechat_msg_id": _bigint_or_none(record.wechat_msg_id),
                "dedupe_key": record.dedupe_key,
                "content": record.content,
                "reply": reply,
                "payload": record.payload or {},
                "created_at": now,
            }
            new_id = (await conn.execute(self._record_inbound, params)).scalar_one_or_none()
            if new_id is not None:
                return Recorded(int(new_id), resident_id, True, reply)
            row = (await conn.execute(_RECORDED, {"key": record.dedupe_key})).one()
            return Recorded(int(row.id), resident_id, False, row.reply)

    @staticmethod
    async def record_push(
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
                msg_type="text",  # a notice, whichever way it went (`channel` says)
                content=content,
                wechat_msg_id=wechat_msg_id,
                payload=payload or {},
                created_at=utcnow(),
            )
        )

    async def transcript(self, openid: str, limit: int = 200) -> list[ChatLine]:
        """The resident's chat, oldest first: what they sent, the passive replies, and the
        messages pushed to them."""
        async with self._db.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(Message)
                    .join(Resident, Resident.id == Message.resident_id)
                    .where(Resident.openid == openid)
                    .order_by(Message.id.desc())
                    .limit(limit)
                )
            ).all()
        lines: list[ChatLine] = []
        for row in reversed(rows):
            lines.append(
                ChatLine(
                    row.direction,
                    row.channel,
                    row.msg_type,
                    row.event,
                    row.content,
                    row.payload or {},
                    row.created_at,
                    row.id,
                )
            )
            if row.direction == "in" and row.reply:
                lines.append(
                    ChatLine("out", "passive", "text", None, row.reply, {}, row.created_at, row.id)
                )
        return lines


@dataclass(frozen=True, slots=True)
class ChatLine:
    """One bubble of the chat as staff see it."""

    direction: str  # "in" (resident) | "out" (us)
    channel: str  # inbound | passive | custom | template | subscribe
    msg_type: str  # text, image, voice, location, event, ...
    event: str | None
    content: str | None
    payload: dict[str, Any]
    at: datetime
    message_id: int
