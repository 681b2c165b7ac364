"""Outbox rows: one per notification to a resident (or to staff)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models import Base
from bot.storage.types import JSONType, UTCDateTime, utcnow


class OutboxStatus(StrEnum):
    PENDING = "pending"  # waiting for its turn (next_attempt_at)
    SENDING = "sending"  # claimed by a worker until locked_until
    SENT = "sent"
    FAILED = "failed"  # gave up after retries; shown to staff
    UNDELIVERABLE = "undeliverable"  # WeChat said no (unsubscribed, refused, bad openid)


class OutboxRow(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_resident_order", "openid", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    # Who receives it: a resident's openid (staff notices use audience="staff").
    audience: Mapped[str] = mapped_column(String(16), default="resident")
    openid: Mapped[str | None] = mapped_column(String(64))
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("resident.id", ondelete="SET NULL"))
    # The slip it is about (no foreign key: the slips branch of the schema may come later).
    slip_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    # What happened: dispatched, signed, reply, extended, closed, survey, survey_reminder,
    # reopened, merged, late_reply, overdue, ...
    kind: Mapped[str] = mapped_column(String(32))
    # Customer-service message text (used inside the 48-hour window).
    text: Mapped[str] = mapped_column(Text)
    # Fields for the template message when the window is closed (mapping in config.yaml).
    template_data: Mapped[dict[str, Any]] = mapped_column(JSONType(), default=dict)
    # Unique per notification: a retry of the transaction that wrote it cannot add a second.
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    locked_by: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(String(16))  # custom | template | subscribe
    wechat_msg_id: Mapped[int | None] = mapped_column(BigInteger)
    client_msg_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
