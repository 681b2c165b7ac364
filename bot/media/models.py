"""The copy of one WeChat temporary media file (a resident's photo, voice note or video)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models import Base
from bot.storage.types import UTCDateTime, utcnow


class MediaStatus(StrEnum):
    PENDING = "pending"  # waiting for its turn (next_attempt_at)
    FETCHING = "fetching"  # claimed by a worker until locked_until
    STORED = "stored"  # the file is in media.dir under sha256
    EXPIRED = "expired"  # WeChat no longer has it (40007): never saved
    FAILED = "failed"  # gave up (retries used up, too large, not an image/audio/MP4 file)


FINAL = (MediaStatus.STORED, MediaStatus.EXPIRED, MediaStatus.FAILED)


class MediaCopy(Base):
    __tablename__ = "media_copy"
    __table_args__ = (Index("ix_media_copy_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    media_id: Mapped[str] = mapped_column(String(256), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # image | voice | video
    status: Mapped[str] = mapped_column(String(16), default=MediaStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    locked_by: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)
    # the stored file: media.dir/<sha256[:2]>/<sha256>.<ext of content_type>
    sha256: Mapped[str | None] = mapped_column(String(64))
    content_type: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    stored_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
