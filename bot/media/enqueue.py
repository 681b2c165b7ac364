"""Asking for copies: call `queue_media` in the transaction that gives a slip its media."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.media.models import MediaCopy, MediaStatus
from bot.storage.types import utcnow

KINDS = ("image", "voice", "video")  # a video is fetched through the link WeChat gives


async def queue_media(session: AsyncSession, media: Iterable[dict[str, Any]]) -> int:
    """One copy row per new photo / voice / video media id (a media id queued before is left as it
    is). Returns how many were added."""
    items = {
        str(m["media_id"])[:256]: str(m["type"])
        for m in media
        if isinstance(m, dict) and m.get("type") in KINDS and m.get("media_id")
    }
    if not items:
        return 0
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    now = utcnow()
    stmt = (
        insert(MediaCopy)
        .values([
            {"media_id": media_id, "kind": kind, "status": MediaStatus.PENDING, "attempts": 0,
             "next_attempt_at": now, "created_at": now}
            for media_id, kind in items.items()
        ])
        .on_conflict_do_nothing(index_elements=["media_id"])
    )
    result = await session.execute(stmt)
    return max(0, int(result.rowcount or 0))
