"""Tables. Every inbound and outbound WeChat message is recorded with its WeChat ids."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.storage.types import JSONType, UTCDateTime, utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Resident(Base):
    """A person writing to the official account, known by their openid."""

    __tablename__ = "resident"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), unique=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    subscribed: Mapped[bool] = mapped_column(Boolean, default=True)
    # The customer-service window: opened by the resident's last message (48 h, 5 messages).
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Message(Base):
    """One message in a resident's chat, in either direction."""

    __tablename__ = "message"
    __table_args__ = (Index("ix_message_resident_created", "resident_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(3))  # "in" | "out"
    # passive (HTTP reply) | custom (customer-service API) | template | subscribe | inbound
    channel: Mapped[str] = mapped_column(String(16))
    msg_type: Mapped[str] = mapped_column(String(32))  # text, image, voice, event, ...
    event: Mapped[str | None] = mapped_column(String(64))
    # WeChat's MsgId (inbound) or msgid returned by the API (outbound).
    wechat_msg_id: Mapped[int | None] = mapped_column(BigInteger)
    # FromUserName+MsgId, or FromUserName+CreateTime+Event(+EventKey): one row per WeChat message.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    content: Mapped[str | None] = mapped_column(Text)
    # The passive reply given to an inbound message travels with it (one row, one write on
    # the webhook's hot path); "" means WeChat's `success` (no reply).
    reply: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType(), default=dict)
    reply_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("message.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
