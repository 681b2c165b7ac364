"""The job that copies residents' photos, voice notes and videos out of WeChat before WeChat
deletes them (temporary media live 3 days).

Rows (models.MediaCopy) are claimed like outbox rows (bot/delivery/claims.py): one UPDATE …
WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED LIMIT n) so that any number of workers share the
work without overlap, and a claim is a lease: a worker that dies leaves its rows to be taken
up again when the lease lapses. Downloading twice is harmless (the file is content-addressed).

Per row: media/get → size cap → type check (files.accept) → the file → `stored`. A video is
answered by media/get with `{"video_url": …}` (WeChat's documented behaviour); the file is then
downloaded from that address, under `media.max_video_bytes`, straight into a temporary file in
the store (never whole in memory: up to CONCURRENCY videos are fetched at once). WeChat's 40007 (invalid media_id:
expired or never existed) → `expired`, at once. Too large, not an accepted image/audio/MP4
file or not of the kind the resident sent → `failed`, at once. Anything else (busy, token, network, disk) is
retried with exponential backoff and jitter, up to `media.max_attempts`, then `failed`. The
console shows a final state in words, never a broken image.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update

from bot.config import MediaSettings
from bot.delivery.client import BadVideoUrl, MediaTooLarge, WeChatClient
from bot.delivery.errors import WeChatError, WeChatUnavailable
from bot.media.files import MediaFiles, Refused, accept
from bot.media.models import MediaCopy, MediaStatus
from bot.storage import Database
from bot.storage.types import utcnow

log = logging.getLogger(__name__)

INVALID_MEDIA_ID = 40007
CONCURRENCY = 4


class MediaFetcher:
    def __init__(
        self,
        db: Database,
        client: WeChatClient,
        settings: MediaSettings,
        *,
        worker_id: str,
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
    ) -> None:
        self._db = db
        self._client = client
        self._cfg = settings
        self.files = MediaFiles(settings.dir)
        self.worker_id = worker_id
        self._clock = clock
        self._rng = rng or random.Random()
        self.counts: dict[str, int] = {}

    async def run(self, stop: asyncio.Event) -> None:
        """Copy until `stop` is set (a batch under way is finished first)."""
        while not stop.is_set():
            try:
                handled = await self.run_once()
            except Exception:  # the database may be away for a moment: keep going
                log.exception("media batch failed")
                handled = 0
            if handled:
                continue
            try:
                await asyncio.wait_for(stop.wait(), self._cfg.poll_seconds)
            except TimeoutError:
                pass

    async def run_once(self) -> int:
        """Claim one batch and fetch it; the number of rows handled."""
        rows = await self._claim()
        if rows:
            gate = asyncio.Semaphore(CONCURRENCY)

            async def one(row: MediaCopy) -> None:
                async with gate:
                    await self._fetch(row)

            await asyncio.gather(*(one(row) for row in rows))
        return len(rows)

    async def drain(self, *, within: float = 30.0) -> None:
        """Fetch until nothing is pending or being fetched (tests, and `--drain`)."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if await self.run_once():
                continue
            async with self._db.session() as session:
                left = (await session.execute(
                    select(func.count()).select_from(MediaCopy).where(
                        MediaCopy.status.in_((MediaStatus.PENDING, MediaStatus.FETCHING)))
                )).scalar_one()
            if not left:
                return
            await asyncio.sleep(min(0.05, self._cfg.poll_seconds))
        raise TimeoutError("media copies still pending")

    # -- one row ------------------------------------------------------------------------------

    async def _fetch(self, row: MediaCopy) -> None:
        attempt = row.attempts + 1
        cap = self._cfg.max_video_bytes if row.kind == "video" else self._cfg.max_bytes
        try:
            media = await self._client.get_media(row.media_id, max_bytes=cap)
            if media.video_url is not None:
                if row.kind != "video":
                    raise Refused(f"a video link for a {row.kind}")
                # streamed into the store as it arrives (up to max_video_bytes: not in memory)
                stored = await self._client.get_video(row.media_id, media.video_url,
                                                      self.files, max_bytes=cap)
                sha, content_type, size = stored.sha256, stored.content_type, stored.size
            else:
                content_type = accept(media.content_type, media.content, kind=row.kind)
                sha = hashlib.sha256(media.content).hexdigest()
                size = len(media.content)
                await asyncio.to_thread(self.files.write, sha, content_type, media.content)
        except WeChatError as exc:
            if exc.errcode == INVALID_MEDIA_ID:
                await self._finish(row, MediaStatus.EXPIRED, attempt, error=str(exc))
            else:
                await self._retry(row, attempt, str(exc))
            return
        except (MediaTooLarge, Refused, BadVideoUrl) as exc:
            log.warning("media %s not kept: %s", row.media_id, exc)
            await self._finish(row, MediaStatus.FAILED, attempt, error=f"not kept: {exc}")
            return
        except (WeChatUnavailable, OSError) as exc:
            await self._retry(row, attempt, f"{type(exc).__name__}: {exc}")
            return
        await self._finish(row, MediaStatus.STORED, attempt, sha256=sha,
                           content_type=content_type, size=size,
                           stored_at=self._clock())

    async def _retry(self, row: MediaCopy, attempt: int, error: str) -> None:
        if attempt >= self._cfg.max_attempts:
            await self._finish(row, MediaStatus.FAILED, attempt,
                               error=f"gave up after {attempt} attempts: {error}")
            return
        delay = self.backoff(attempt)
        await self._finish(row, MediaStatus.PENDING, attempt, error=error,
                           next_attempt_at=self._clock() + timedelta(seconds=delay))

    async def _finish(
        self, row: MediaCopy, status: MediaStatus, attempt: int, *, error: str | None = None,
        **values: Any,
    ) -> None:
        """Record the outcome while this worker still holds the claim."""
        async with self._db.session() as session:
            result = await session.execute(
                update(MediaCopy)
                .where(MediaCopy.id == row.id, MediaCopy.locked_by == self.worker_id,
                       MediaCopy.status == MediaStatus.FETCHING)
                .values(status=status, attempts=attempt, locked_by=None, locked_until=None,
                        last_error=None if error is None else error[:1000], **values)
                .execution_options(synchronize_session=False)
            )
        if result.rowcount != 1:
            log.warning("media %s: finished after losing the claim", row.media_id)
        self.counts[status.value] = self.counts.get(status.value, 0) + 1

    def backoff(self, attempt: int) -> float:
        cfg = self._cfg
        delay = min(cfg.retry_max_seconds, cfg.retry_base_seconds * 2 ** min(attempt - 1, 30))
        return delay * (1 + self._rng.uniform(-0.2, 0.2))

    # -- claims -------------------------------------------------------------------------------

    async def _claim(self) -> list[MediaCopy]:
        now = self._clock()
        due = or_(
            and_(MediaCopy.status == MediaStatus.PENDING, MediaCopy.next_attempt_at <= now),
            and_(MediaCopy.status == MediaStatus.FETCHING,
                 or_(MediaCopy.locked_until.is_(None), MediaCopy.locked_until < now)),
        )
        candidates = (
            select(MediaCopy.id).where(due).order_by(MediaCopy.id).limit(self._cfg.batch_size)
            .with_for_update(skip_locked=True)
        )
        stmt = (
            update(MediaCopy)
            .where(MediaCopy.id.in_(candidates.scalar_subquery()))
            .values(status=MediaStatus.FETCHING, locked_by=self.worker_id,
                    locked_until=now + timedelta(seconds=self._cfg.lease_seconds))
            .returning(MediaCopy)
            .execution_options(synchronize_session=False)
        )
        async with self._db.session() as session:
            rows = list((await session.scalars(stmt)).all())
        return sorted(rows, key=lambda r: r.id)


async def copies_of(db: Database, media_ids: list[str]) -> dict[str, MediaCopy]:
    """The copy rows of these media ids (for the console)."""
    ids = [m for m in media_ids if m][:500]
    if not ids:
        return {}
    async with db.session() as session:
        rows = (await session.scalars(
            select(MediaCopy).where(MediaCopy.media_id.in_(ids)))).all()
    return {r.media_id: r for r in rows}
