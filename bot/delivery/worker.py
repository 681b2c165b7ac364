"""The delivery worker: outbox rows into the resident's WeChat.

Life of a row: pending → sending (claimed with a lease, claims.py) → sent / failed (after
`retry.max_attempts`, exponential backoff with jitter) / undeliverable (WeChat says the
resident cannot get it: unfollowed 43004, refused 43101, unknown openid 40003; or no channel
is configured). Channel per notice: the chat (customer-service message) while the 48-hour
window allows, else the configured template message, else a subscription message
(channels.py); 45015 / 45047 fall back at once.

Nothing twice, nothing lost
---------------------------
Before each WeChat call the worker commits a `delivery_attempt` row; after it, the outcome.
A worker that dies in between leaves an attempt with no outcome: that notice is *in doubt*,
WeChat may or may not have sent it. The same holds for a call that timed out after the
request left. What happens next:

- template messages carry a `client_msg_id` derived from the row's idempotency key; WeChat
  sends one message per resident and client_msg_id within 10 minutes. An in-doubt template
  is sent again with the same id (within 9 minutes of the doubtful call; its retries are
  kept short for that), so it arrives exactly once.
- customer-service (and subscription) messages have no such key. `delivery.in_doubt: skip`
  (the default) never sends an in-doubt one again: at most once. The row becomes `sent`
  with last_error saying it is unconfirmed, so staff can see it. The doubt window is the
  WeChat call itself (the token is read before the attempt is written), and a call that
  reached WeChat is processed even if the caller dies, so "in doubt" nearly always means
  "sent": resending would nearly always duplicate. `in_doubt: resend` chooses at least once
  instead.

A process that stops normally finishes the calls it started and gives back rows it had not
started (claims.release); only kill -9 or a crash leaves doubt.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import random
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.config import Settings
from bot.delivery import channels
from bot.delivery.channels import CUSTOM, TEMPLATE, Window
from bot.delivery.claims import claim, release
from bot.delivery.client import WeChatClient
from bot.delivery.errors import ErrorKind, WeChatError, WeChatUnavailable
from bot.delivery.models import DeliveryAttempt, DeliveryWindow
from bot.delivery.reconcile import apply_parked
from bot.outbox.models import OutboxRow, OutboxStatus
from bot.storage import Database
from bot.storage.models import Resident
from bot.storage.types import utcnow
from bot.stores import Stores

log = logging.getLogger(__name__)

# WeChat keeps a client_msg_id for 10 minutes; resend an in-doubt template only well inside.
TEMPLATE_DEDUPE_SAFE = timedelta(minutes=9)
IN_DOUBT_TEMPLATE_RETRY = 60.0  # seconds, at most, before an in-doubt template is retried

# attempt outcomes
SENT = "sent"
FALLBACK = "fallback"  # refused on this channel, the next one was tried
UNDELIVERABLE = "undeliverable"
RETRY = "retry"
UNKNOWN = "unknown"  # no answer after the request left: in doubt
UNCONFIRMED = "unconfirmed"  # in doubt, and by policy not sent again
SUPERSEDED = "superseded"  # in doubt, and sent again

UNCONFIRMED_NOTE = (
    "unconfirmed: the call to WeChat was interrupted and may have been delivered; "
    "not sent again so that the resident does not get it twice"
)


def default_worker_id() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{random.getrandbits(24):06x}"


def client_msg_id_for(idempotency_key: str) -> str:
    return "minyi-" + hashlib.sha1(idempotency_key.encode()).hexdigest()[:32]


@dataclass
class _Job:
    row: OutboxRow
    openid: str | None
    window: Window
    prior: DeliveryAttempt | None  # the row's latest attempt


@dataclass(frozen=True, slots=True)
class _Request:
    channel: str
    text: str = ""
    template_id: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    url: str = ""
    client_msg_id: str | None = None


class DeliveryWorker:
    def __init__(
        self,
        db: Database,
        client: WeChatClient,
        settings: Settings,
        *,
        stores: Stores,
        worker_id: str | None = None,
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
    ) -> None:
        self._db = db
        self._client = client
        self._settings = settings
        self._cfg = settings.delivery
        self._stores = stores
        self.worker_id = worker_id or default_worker_id()
        self._clock = clock
        self._rng = rng or random.Random()
        self._pause_until = 0.0  # monotonic: WeChat looked down, wait before the next batch
        self._failures = 0  # consecutive batches that met a transient failure
        self.counts: dict[str, int] = {}

    # -- loop ---------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until `stop` is set; the batch in hand is finished first."""
        log.info("delivery worker %s started", self.worker_id)
        while not stop.is_set():
            try:
                handled = await self.run_once()
            except Exception:  # the database may be away for a moment: keep going
                log.exception("delivery batch failed")
                handled = 0
            if handled and not self.paused:
                continue
            wait = max(self._cfg.poll_seconds, self._pause_until - time.monotonic())
            try:
                await asyncio.wait_for(stop.wait(), wait)
            except TimeoutError:
                pass
        log.info("delivery worker %s stopped", self.worker_id)

    @property
    def paused(self) -> bool:
        return time.monotonic() < self._pause_until

    async def run_once(self) -> int:
        """Claim one batch and deliver it; the number of rows handled."""
        if self.paused:
            return 0
        rows = await claim(
            self._db,
            self.worker_id,
            self._clock(),
            lease_seconds=self._cfg.lease_seconds,
            # after a transient failure only one row probes whether WeChat is back, so an
            # outage does not use up every row's attempts
            limit=1 if self._failures else self._cfg.batch_size,
        )
        if not rows:
            return 0
        jobs = await self._prepare(rows)
        gate = asyncio.Semaphore(self._cfg.concurrency)
        untouched: list[int] = []
        failures_before = self._failures

        async def one(job: _Job) -> None:
            async with gate:
                if self.paused:
                    untouched.append(job.row.id)
                    return
                try:
                    await self._deliver(job)
                except Exception:
                    # the row keeps its lease; when it lapses the row is taken up again
                    log.exception("delivering outbox row %s failed", job.row.id)

        await asyncio.gather(*(one(job) for job in jobs))
        await release(self._db, self.worker_id, untouched)
        if self._failures == failures_before:
            self._failures = 0
        return len(rows) - len(untouched)

    async def drain(self, *, within: float = 30.0) -> None:
        """Deliver until no row is pending or being sent, retries included (tests and
        `minyi worker --drain`); TimeoutError if that takes longer than `within` seconds."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.paused:
                await asyncio.sleep(min(0.05, self._pause_until - time.monotonic()))
                continue
            if await self.run_once():
                continue
            if not await open_rows(self._db):
                return
            await asyncio.sleep(min(0.05, self._cfg.poll_seconds))
        raise TimeoutError("outbox still busy")

    def _bump(self, name: str) -> None:
        self.counts[name] = self.counts.get(name, 0) + 1

    # -- one batch ----------------------------------------------------------------------------

    async def _prepare(self, rows: list[OutboxRow]) -> list[_Job]:
        ids = [row.id for row in rows]
        openids = {row.openid for row in rows if row.openid}
        resident_ids = {row.resident_id for row in rows if not row.openid and row.resident_id}
        async with self._db.session() as session:
            residents = (
                await session.execute(
                    select(Resident.id, Resident.openid, Resident.last_message_at).where(
                        or_(Resident.openid.in_(openids), Resident.id.in_(resident_ids))
                    )
                )
            ).all()
            by_openid = {r.openid: r for r in residents}
            by_id = {r.id: r.openid for r in residents}
            all_openids = openids | set(by_id.values())
            windows = {
                w.openid: w
                for w in (
                    await session.scalars(
                        select(DeliveryWindow).where(DeliveryWindow.openid.in_(all_openids))
                    )
                ).all()
            }
            latest = select(func.max(DeliveryAttempt.id)).where(
                DeliveryAttempt.outbox_id.in_(ids)
            ).group_by(DeliveryAttempt.outbox_id)
            priors = {
                a.outbox_id: a
                for a in (
                    await session.scalars(
                        select(DeliveryAttempt).where(DeliveryAttempt.id.in_(latest))
                    )
                ).all()
            }
        jobs = []
        for row in rows:
            openid = row.openid or by_id.get(row.resident_id or -1)
            resident = by_openid.get(openid or "")
            stored = windows.get(openid or "")
            window = Window(
                resident.last_message_at if resident else None,
                stored.window_started_at if stored else None,
                stored.custom_used if stored else 0,
            )
            jobs.append(_Job(row, openid, window, priors.get(row.id)))
        return jobs

    # -- one row ------------------------------------------------------------------------------

    async def _deliver(self, job: _Job) -> None:
        row = job.row
        now = self._clock()
        if not job.openid:
            if row.audience == "staff":
                # no WeChat account to push to: the console's notice list is where it shows
                await self._close(row, OutboxStatus.SENT, channel="console")
            else:
                await self._close(row, OutboxStatus.UNDELIVERABLE, error="no openid")
            return
        prior = job.prior
        in_doubt = prior is not None and prior.outcome in (None, UNKNOWN)
        forced: list[str] | None = None
        if in_doubt:
            assert prior is not None
            if (
                prior.channel == TEMPLATE
                and prior.client_msg_id
                and now - prior.started_at < TEMPLATE_DEDUPE_SAFE
            ):
                forced = [TEMPLATE]  # the same client_msg_id: WeChat sends it at most once
            elif self._cfg.in_doubt == "skip":
                await self._unconfirmed(job, prior.id, prior.channel)
                return
        plan = forced or channels.plan(row.kind, job.window, self._cfg, now)
        if not plan:
            await self._close(
                row,
                OutboxStatus.UNDELIVERABLE,
                error="the chat window is closed and no template message is configured "
                f"for {row.kind!r}",
            )
            return
        attempt_no = row.attempts + 1
        last_error = ""
        try:
            await self._client.tokens.get()  # read before the attempt: the call leaves at once
        except (WeChatError, WeChatUnavailable) as exc:
            await self._retry(row, None, attempt_no, getattr(exc, "errcode", None),
                              f"no access token: {exc}", transient=True)
            return
        for index, channel in enumerate(plan):
            request = self._request_for(channel, row)
            attempt_id = await self._begin(
                row, request, first=index == 0, supersede=prior.id if in_doubt and prior else None
            )
            if attempt_id is None:
                log.warning("outbox row %s: claim lost (lease expired?); left alone", row.id)
                return
            try:
                msgid = await self._send(job.openid, request)
            except WeChatError as exc:
                last_error = str(exc)
                more = index + 1 < len(plan)
                if channel == CUSTOM and exc.kind is ErrorKind.WINDOW:
                    await self._note(attempt_id, FALLBACK, exc, exhaust=job)
                    continue
                if exc.kind is ErrorKind.UNDELIVERABLE:
                    if exc.errcode == 43101 and more:
                        await self._note(attempt_id, FALLBACK, exc)
                        continue
                    await self._finish(
                        row, attempt_id, UNDELIVERABLE, OutboxStatus.UNDELIVERABLE,
                        errcode=exc.errcode, error=str(exc),
                    )
                    return
                transient = exc.kind in (ErrorKind.TRANSIENT, ErrorKind.TOKEN)
                await self._retry(row, attempt_id, attempt_no, exc.errcode, str(exc),
                                  transient=transient)
                return
            except WeChatUnavailable as exc:
                await self._retry(
                    row, attempt_id, attempt_no, None, str(exc), transient=True,
                    in_doubt=exc.maybe_delivered, template=channel == TEMPLATE,
                )
                return
            await self._finish(
                row, attempt_id, SENT, OutboxStatus.SENT, msgid=msgid, count=job
                if channel == CUSTOM else None,
            )
            self._bump(f"sent_{channel}")
            if msgid is not None and channel == TEMPLATE:
                await apply_parked(self._db, self._stores, msgid)
            return
        # every channel refused for window reasons and nothing else is configured
        await self._close(
            row,
            OutboxStatus.UNDELIVERABLE,
            error=f"no channel left: {last_error}; no template message configured for "
            f"{row.kind!r}",
        )

    def _request_for(self, channel: str, row: OutboxRow) -> _Request:
        if channel == CUSTOM:
            return _Request(CUSTOM, text=row.text)
        specs = self._cfg.templates if channel == TEMPLATE else self._cfg.subscribe
        spec = channels.spec_for(row.kind, specs)
        assert spec is not None, "plan() only offers configured channels"
        context = channels.notice_context(
            kind=row.kind,
            text=row.text,
            template_data=row.template_data,
            created_at=row.created_at,
            public_url=self._settings.server.public_url,
        )
        data, url = channels.render(spec, context)
        return _Request(
            channel,
            template_id=spec.template_id,
            data=data,
            url=url,
            client_msg_id=client_msg_id_for(row.idempotency_key) if channel == TEMPLATE else None,
        )

    async def _send(self, openid: str, request: _Request) -> int | None:
        if request.channel == CUSTOM:
            await self._client.send_text(openid, request.text)
            return None
        if request.channel == TEMPLATE:
            return await self._client.send_template(
                openid,
                request.template_id,
                request.data,
                url=request.url or None,
                client_msg_id=request.client_msg_id,
            )
        return await self._client.send_subscribe(
            openid, request.template_id, request.data, page=request.url or None
        )

    # -- bookkeeping (each its own short transaction) -----------------------------------------

    async def _begin(
        self, row: OutboxRow, request: _Request, *, first: bool, supersede: int | None
    ) -> int | None:
        """Write the attempt before the call; None if the row is no longer ours."""
        now = self._clock()
        values: dict[str, Any] = {
            "locked_until": now + timedelta(seconds=self._cfg.lease_seconds),
            "channel": request.channel,
        }
        if request.client_msg_id:
            values["client_msg_id"] = request.client_msg_id
        if first:
            values["attempts"] = OutboxRow.attempts + 1
        async with self._db.session() as session:
            result = await session.execute(
                update(OutboxRow)
                .where(
                    OutboxRow.id == row.id,
                    OutboxRow.locked_by == self.worker_id,
                    OutboxRow.status == OutboxStatus.SENDING,
                )
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:
                return None
            if supersede is not None and first:
                await session.execute(
                    update(DeliveryAttempt)
                    .where(DeliveryAttempt.id == supersede, or_(
                        DeliveryAttempt.outcome.is_(None), DeliveryAttempt.outcome == UNKNOWN))
                    .values(outcome=SUPERSEDED, finished_at=func.coalesce(
                        DeliveryAttempt.finished_at, now))
                    .execution_options(synchronize_session=False)
                )
            attempt = DeliveryAttempt(
                outbox_id=row.id,
                channel=request.channel,
                client_msg_id=request.client_msg_id,
                worker=self.worker_id,
                started_at=now,
            )
            session.add(attempt)
            await session.flush()
            return int(attempt.id)

    async def _finish(
        self,
        row: OutboxRow,
        attempt_id: int | None,
        outcome: str,
        status: OutboxStatus,
        *,
        errcode: int | None = None,
        error: str | None = None,
        msgid: int | None = None,
        next_attempt_at: datetime | None = None,
        count: _Job | None = None,
        count_attempt: bool = False,
    ) -> None:
        now = self._clock()
        async with self._db.session() as session:
            if attempt_id is not None:
                await session.execute(
                    update(DeliveryAttempt)
                    .where(DeliveryAttempt.id == attempt_id)
                    .values(finished_at=now, outcome=outcome, errcode=errcode,
                            error=_cut(error), wechat_msg_id=msgid)
                    .execution_options(synchronize_session=False)
                )
            values: dict[str, Any] = {
                "status": status,
                "last_error": _cut(error),
                "locked_by": None,
                "locked_until": None,
            }
            if status is OutboxStatus.SENT:
                values.update(sent_at=now, wechat_msg_id=msgid)
            if next_attempt_at is not None:
                values["next_attempt_at"] = next_attempt_at
            if count_attempt:  # an attempt that failed before any call was written
                values["attempts"] = OutboxRow.attempts + 1
            result = await session.execute(
                update(OutboxRow)
                .where(
                    OutboxRow.id == row.id,
                    OutboxRow.locked_by == self.worker_id,
                    OutboxRow.status == OutboxStatus.SENDING,
                )
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:
                log.warning("outbox row %s: finished after losing the claim", row.id)
            if count is not None:
                await self._count_custom(session, count, exhaust=False)
        self._bump(status.value)

    async def _note(
        self, attempt_id: int, outcome: str, exc: WeChatError, *, exhaust: _Job | None = None
    ) -> None:
        """An attempt refused on its channel; the next channel is tried."""
        async with self._db.session() as session:
            await session.execute(
                update(DeliveryAttempt)
                .where(DeliveryAttempt.id == attempt_id)
                .values(finished_at=self._clock(), outcome=outcome, errcode=exc.errcode,
                        error=_cut(str(exc)))
                .execution_options(synchronize_session=False)
            )
            if exhaust is not None:
                await self._count_custom(session, exhaust, exhaust=True)
        self._bump(f"fallback_{exc.errcode}")

    async def _close(
        self, row: OutboxRow, status: OutboxStatus, *, channel: str | None = None,
        error: str | None = None,
    ) -> None:
        """Finish a row without (another) WeChat call."""
        now = self._clock()
        values: dict[str, Any] = {"status": status, "locked_by": None, "locked_until": None,
                                  "last_error": _cut(error)}
        if channel:
            values["channel"] = channel
        if status is OutboxStatus.SENT:
            values["sent_at"] = now
        async with self._db.session() as session:
            await session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == row.id, OutboxRow.locked_by == self.worker_id,
                       OutboxRow.status == OutboxStatus.SENDING)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
        self._bump(status.value)

    async def _unconfirmed(
        self, job: _Job, attempt_id: int, channel: str, *, error: str | None = None
    ) -> None:
        """In doubt and not to be sent again (in_doubt: skip)."""
        note = UNCONFIRMED_NOTE + (f" ({error})" if error else "")
        log.warning("outbox row %s: %s", job.row.id, note)
        await self._finish(
            job.row, attempt_id, UNCONFIRMED, OutboxStatus.SENT, error=note,
            count=job if channel == CUSTOM else None,
        )
        self._bump("unconfirmed")

    async def _retry(
        self,
        row: OutboxRow,
        attempt_id: int | None,
        attempt_no: int,
        errcode: int | None,
        error: str,
        *,
        transient: bool,
        in_doubt: bool = False,
        template: bool = False,
    ) -> None:
        """Try again later, or give up. A call in doubt is settled on the next claim (see the
        module notes); that claim waits `hold` so that WeChat is done with the doubtful call
        before the resident's next notice can overtake it."""
        retry = self._cfg.retry
        hold = 2 * (self._cfg.api_timeout_seconds + self._cfg.connect_timeout_seconds)
        if in_doubt and template:
            delay = min(max(hold, self.backoff(attempt_no)), IN_DOUBT_TEMPLATE_RETRY)
        elif in_doubt:
            delay = max(hold, self.backoff(attempt_no))
        else:
            delay = self.backoff(attempt_no)
        outcome = UNKNOWN if in_doubt else RETRY
        settles_later = in_doubt and not template and self._cfg.in_doubt == "skip"
        if attempt_no >= retry.max_attempts and not settles_later:
            await self._finish(row, attempt_id, outcome, OutboxStatus.FAILED, errcode=errcode,
                               error=f"gave up after {attempt_no} attempts: {error}",
                               count_attempt=attempt_id is None)
        else:
            await self._finish(
                row, attempt_id, outcome, OutboxStatus.PENDING, errcode=errcode, error=error,
                next_attempt_at=self._clock() + timedelta(seconds=delay),
                count_attempt=attempt_id is None,
            )
        if transient:
            self._failures += 1
            pause = self.backoff(self._failures)
            self._pause_until = max(self._pause_until, time.monotonic() + pause)
            log.warning("WeChat unavailable (%s); pausing %.1f s", error, pause)

    def backoff(self, attempt: int) -> float:
        """Seconds before attempt `attempt + 1`: base * 2^(attempt-1), capped, with jitter."""
        retry = self._cfg.retry
        delay = min(retry.max_seconds, retry.base_seconds * (2 ** min(attempt - 1, 30)))
        return max(0.0, delay * (1 + self._rng.uniform(-retry.jitter, retry.jitter)))

    async def _count_custom(self, session: Any, job: _Job, *, exhaust: bool) -> None:
        """One more customer-service message used in the resident's window (or all of them:
        WeChat said the window is closed or full)."""
        started = job.window.last_message_at
        if started is None or not job.openid:
            return
        limit = self._cfg.custom_per_window
        insert = pg_insert if self._db.dialect == "postgresql" else sqlite_insert
        stmt = insert(DeliveryWindow).values(
            openid=job.openid,
            window_started_at=started,
            custom_used=limit if exhaust else 1,
            updated_at=self._clock(),
        )
        used = (
            stmt.excluded.custom_used
            if exhaust
            else case(
                (DeliveryWindow.window_started_at == stmt.excluded.window_started_at,
                 DeliveryWindow.custom_used + 1),
                else_=1,
            )
        )
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=["openid"],
                set_={
                    "custom_used": used,
                    "window_started_at": stmt.excluded.window_started_at,
                    "updated_at": stmt.excluded.updated_at,
                },
            )
        )


async def open_rows(db: Database) -> int:
    """Rows still pending or being sent."""
    async with db.session() as session:
        return int(
            (
                await session.execute(
                    select(func.count()).where(
                        OutboxRow.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING))
                    )
                )
            ).scalar_one()
        )


def _cut(text: str | None, limit: int = 1000) -> str | None:
    return None if text is None else text[:limit]
