"""Delivery's own tables: every call made for an outbox row, and each resident's
customer-service window usage."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models import Base
from bot.storage.types import UTCDateTime, utcnow


class DeliveryAttempt(Base):
    """One WeChat call for one outbox row, written *before* the call is made.

    A row whose latest attempt has no outcome (the worker died during the call) or the
    outcome "unknown" (timed out after the request left) is in doubt: WeChat may have sent
    it. The worker decides what to do with it from this record (see worker.py)."""

    __tablename__ = "delivery_attempt"
    __table_args__ = (Index("ix_delivery_attempt_outbox", "outbox_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    outbox_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), ForeignKey("outbox.id", ondelete="CASCADE")
    )
    channel: Mapped[str] = mapped_column(String(16))  # custom | template | subscribe
    client_msg_id: Mapped[str | None] = mapped_column(String(64))
    worker: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # sent | fallback | undeliverable | retry | unknown | unconfirmed | superseded
    outcome: Mapped[str | None] = mapped_column(String(16))
    errcode: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    wechat_msg_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    # TEMPLATESENDJOBFINISH / subscribe_msg_sent_event status, when it arrives
    job_status: Mapped[str | None] = mapped_column(String(64))


class DeliveryWindow(Base):
    """Customer-service messages used in a resident's current 48-hour window.

    The window is the one opened by `resident.last_message_at`; when the resident writes
    again that time moves on and the count starts from zero (`window_started_at` no longer
    matches)."""

    __tablename__ = "delivery_window"

    openid: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    custom_used: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
