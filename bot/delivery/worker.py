"""The delivery worker: outbox rows into the resident's WeChat.

Life of a row: pending → sending (claimed with a lease, claims.py) → sent / failed (after
`retry.max_attempts`, exponential backoff with jitter) / undeliverable (WeChat says the
resident cannot get it: unfollowed 43004, refused 43101, unknown openid 40003; or no channel
is configured). Channel per notice: the chat (customer-service message) while the 48-hour
window allows, else the configured template message, else a subscription message
(channels.py); 45015 / 45047 fall back at once.

A claimed batch (at most one row per resident) is sent in waves of `concurrency` rows: one
transaction writes the wave's attempts, the wave's WeChat calls leave together, one
transaction records their outcomes (and a row refused on its channel goes on to the next
channel in a further wave).

Nothing twice, nothing lost
---------------------------
The `delivery_attempt` row of a call is committed before the call; its outcome after. A worker
that dies in between leaves an attempt with no outcome: that notice is *in doubt*, WeChat may
or may not have sent it. The same holds for a call that timed out after the request left.
What happens next:

- template messages carry a `client_msg_id` derived from the row's idempotency key; WeChat
  sends one message per resident and client_msg_id within 10 minutes. An in-doubt template
  is sent again with the same id (within 9 minutes of the doubtful call; its retries are
  kept short for that), so it arrives exactly once.
- customer-service (and subscription) messages have no such key. `delivery.in_doubt: skip`
  (the default) never sends an in-doubt one again: at most once. The row becomes `sent`
  with last_error saying it is unconfirmed, so staff can see it. The doubt window is short
  (the token is read before the attempts are written and a wave's calls leave together right
  after), and a call that reached WeChat is processed even if the caller dies, so "in doubt"
  mostly means "sent": resending would mostly duplicate (bench/delivery_kill.py measures
  both). `in_doubt: resend` chooses at least once instead.

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
from sqlalchemy.ext.asyncio import AsyncSession

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
from bot.storage.messages import MessageLog
from bot.storage.models import Resident
from bot.storage.types import utcnow
from bot.stores import Stores

log = logging.getLogger(__name__)

# WeChat keeps a client_msg_id for 10 minutes; resend an in-doubt template only well inside.
TEMPLATE_DEDUPE_SAFE = timedelta(minutes=9)
IN_DOUBT_TEMPLATE_RETRY = 60.0  # seconds, at most, before an in-doubt template is retried

# attempt outcomes
SENT = "sent"
LATE_REPLY = "late_reply"  # the outbox kind of a reply that missed WeChat's 5 s (runtime.py)
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


@dataclass(frozen=True, slots=True)
class _Request:
    channel: str
    text: str = ""
    template_id: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    url: str = ""
    client_msg_id: str | None = None


@dataclass
class _Job:
    row: OutboxRow
    openid: str | None
    window: Window
    prior: DeliveryAttempt | None  # the row's latest attempt
    plan: list[str] = field(default_factory=list)
    step: int = 0  # the channel of `plan` being tried
    supersede: int | None = None  # the in-doubt attempt this delivery sends again
    attempt_id: int | None = None
    request: _Request | None = None
    last_error: str = ""

    @property
    def attempt_no(self) -> int:
        return self.row.attempts + 1

    @property
    def channel(self) -> str:
        return self.plan[self.step]


Outcome = tuple[bool, Any]  # (True, msgid) or (False, WeChatError | WeChatUnavailable)


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
        self._failures = 0  # consecutive waves that met a transient failure
        self._stop: asyncio.Event | None = None
        self.counts: dict[str, int] = {}

    # -- loop ---------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until `stop` is set; the calls under way are finished first and the rest
        of the batch is given back."""
        log.info("delivery worker %s started", self.worker_id)
        self._stop = stop
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
        failures_before = self._failures
        jobs = await self._prepare(rows)
        ready = [job for job in jobs if not await self._settle_without_call(job)]
        untouched: list[int] = []
        if ready:
            try:
                await self._client.tokens.get()  # before the attempts: the calls leave at once
            except (WeChatError, WeChatUnavailable) as exc:
                async with self._db.session() as session:
                    await self._retry(session, ready[0], None, f"no access token: {exc}")
                self._note_transient(str(exc))
                untouched = [job.row.id for job in ready[1:]]
                ready = []
        size = self._cfg.concurrency
        for start in range(0, len(ready), size):
            if self.paused or (self._stop is not None and self._stop.is_set()):
                untouched += [job.row.id for job in ready[start:]]  # given back, not tried
                break
            try:
                await self._wave(ready[start:start + size])
            except Exception:
                # the rows keep their lease; when it lapses they are taken up again
                log.exception("delivery wave failed (rows %s)",
                              [job.row.id for job in ready[start:start + size]])
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

    # -- a batch ------------------------------------------------------------------------------

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

    async def _settle_without_call(self, job: _Job) -> bool:
        """Decide the job's channels; finish it here when no call is to be made (nobody to
        send to, an in-doubt notice not to be repeated, no channel). True if finished."""
        row, now = job.row, self._clock()
        if not job.openid:
            if row.audience == "staff":
                # no WeChat account to push to: the console's notice list is where it shows
                await self._close(row, OutboxStatus.SENT, channel="console")
            else:
                await self._close(row, OutboxStatus.UNDELIVERABLE, error="no openid")
            return True
        prior = job.prior
        if prior is not None and prior.outcome in (None, UNKNOWN):
            if (
                prior.channel == TEMPLATE
                and prior.client_msg_id
                and now - prior.started_at < TEMPLATE_DEDUPE_SAFE
            ):
                job.plan, job.supersede = [TEMPLATE], prior.id  # same client_msg_id: once
                return False
            if self._cfg.in_doubt == "skip":
                async with self._db.session() as session:
                    await self._unconfirmed(session, job, prior.id, prior.channel)
                return True
            job.supersede = prior.id
        job.plan = channels.plan(row.kind, job.window, self._cfg, now)
        if not job.plan:
            await self._close(
                row,
                OutboxStatus.UNDELIVERABLE,
                error="the chat window is closed and no template message is configured "
                f"for {row.kind!r}",
            )
            return True
        return False

    # -- a wave -------------------------------------------------------------------------------

    async def _wave(self, jobs: list[_Job]) -> None:
        pending = jobs
        while pending:
            for job in pending:
                job.request = self._request_for(job.channel, job.row)
            began = await self._begin(pending)
            outcomes = await asyncio.gather(*(self._call(job) for job in began))
            pending, transient = await self._finish_wave(began, outcomes)
            if transient:
                self._note_transient(transient)

    async def _call(self, job: _Job) -> Outcome:
        assert job.openid is not None and job.request is not None
        request = job.request
        try:
            if request.channel == CUSTOM:
                await self._client.send_text(job.openid, request.text)
                return True, None
            if request.channel == TEMPLATE:
                return True, await self._client.send_template(
                    job.openid, request.template_id, request.data, url=request.url or None,
                    client_msg_id=request.client_msg_id,
                )
            return True, await self._client.send_subscribe(
                job.openid, request.template_id, request.data, page=request.url or None
            )
        except (WeChatError, WeChatUnavailable) as exc:
            return False, exc
        except Exception as exc:  # a bug below us: the request may have left
            log.exception("outbox row %s: unexpected error while calling WeChat", job.row.id)
            return False, WeChatUnavailable(request.channel, repr(exc), maybe_delivered=True)

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

    async def _begin(self, jobs: list[_Job]) -> list[_Job]:
        """Write the wave's attempts before its calls (one transaction); the jobs whose rows
        are still this worker's."""
        now = self._clock()
        kept: list[tuple[_Job, DeliveryAttempt]] = []
        async with self._db.session() as session:
            for job in jobs:
                assert job.request is not None
                values: dict[str, Any] = {
                    "locked_until": now + timedelta(seconds=self._cfg.lease_seconds),
                    "channel": job.request.channel,
                }
                if job.request.client_msg_id:
                    values["client_msg_id"] = job.request.client_msg_id
                if job.step == 0:
                    values["attempts"] = OutboxRow.attempts + 1
                if not await self._update_claimed(session, job.row.id, values):
                    log.warning("outbox row %s: claim lost (lease expired?); left alone",
                                job.row.id)
                    continue
                if job.supersede is not None and job.step == 0:
                    await session.execute(
                        update(DeliveryAttempt)
                        .where(DeliveryAttempt.id == job.supersede,
                               or_(DeliveryAttempt.outcome.is_(None),
                                   DeliveryAttempt.outcome == UNKNOWN))
                        .values(outcome=SUPERSEDED,
                                finished_at=func.coalesce(DeliveryAttempt.finished_at, now))
                        .execution_options(synchronize_session=False)
                    )
                attempt = DeliveryAttempt(
                    outbox_id=job.row.id,
                    channel=job.request.channel,
                    client_msg_id=job.request.client_msg_id,
                    worker=self.worker_id,
                    started_at=now,
                )
                session.add(attempt)
                kept.append((job, attempt))
            await session.flush()
        for job, attempt in kept:
            job.attempt_id = int(attempt.id)
        return [job for job, _ in kept]

    async def _finish_wave(
        self, jobs: list[_Job], outcomes: list[Outcome]
    ) -> tuple[list[_Job], str]:
        """Record the wave's outcomes (one transaction); the jobs to try on their next
        channel, and a transient failure met (WeChat busy or away), if any."""
        again: list[_Job] = []
        parked: list[int] = []
        transient = ""
        async with self._db.session() as session:
            for job, (ok, value) in zip(jobs, outcomes, strict=True):
                channel, attempt = job.channel, job.attempt_id
                if ok:
                    await self._finish(session, job, attempt, SENT, OutboxStatus.SENT,
                                       msgid=value, count=channel == CUSTOM)
                    self._bump(f"sent_{channel}")
                    if value is not None and channel == TEMPLATE:
                        parked.append(value)
                    continue
                exc = value
                job.last_error = str(exc)
                if isinstance(exc, WeChatUnavailable):
                    await self._retry(session, job, attempt, str(exc),
                                      in_doubt=exc.maybe_delivered)
                    transient = str(exc)
                    continue
                more = job.step + 1 < len(job.plan)
                if channel == CUSTOM and exc.kind is ErrorKind.WINDOW:
                    await self._fallback(session, job, exc, exhaust=True)
                elif exc.kind is ErrorKind.UNDELIVERABLE and exc.errcode == 43101 and more:
                    await self._fallback(session, job, exc)
                elif exc.kind is ErrorKind.UNDELIVERABLE:
                    await self._finish(session, job, attempt, UNDELIVERABLE,
                                       OutboxStatus.UNDELIVERABLE, errcode=exc.errcode,
                                       error=str(exc))
                    continue
                else:
                    await self._retry(session, job, attempt, str(exc), errcode=exc.errcode)
                    if exc.kind in (ErrorKind.TRANSIENT, ErrorKind.TOKEN):
                        transient = str(exc)
                    continue
                # refused on this channel: the next one, if any
                job.step += 1
                if job.step < len(job.plan):
                    again.append(job)
                else:
                    await self._finish(
                        session, job, None, "", OutboxStatus.UNDELIVERABLE,
                        error=f"no channel left: {exc}; no template message configured "
                        f"for {job.row.kind!r}",
                    )
        for msgid in parked:
            await apply_parked(self._db, self._stores, msgid)
        return again, transient

    # -- bookkeeping --------------------------------------------------------------------------

    async def _finish(
        self,
        session: AsyncSession,
        job: _Job,
        attempt_id: int | None,
        outcome: str,
        status: OutboxStatus,
        *,
        errcode: int | None = None,
        error: str | None = None,
        msgid: int | None = None,
        next_attempt_at: datetime | None = None,
        count: bool = False,
        count_attempt: bool = False,
    ) -> None:
        """Record an attempt's outcome and the row's new status (in the caller's
        transaction)."""
        now = self._clock()
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
        if not await self._update_claimed(session, job.row.id, values):
            log.warning("outbox row %s: finished after losing the claim", job.row.id)
        elif status is OutboxStatus.SENT:
            await self._record_in_chat(session, job, msgid, unconfirmed=outcome == UNCONFIRMED)
        if count:
            await self._count_custom(session, job, exhaust=False)
        self._bump(status.value)

    async def _record_in_chat(
        self, session: AsyncSession, job: _Job, msgid: int | None, *, unconfirmed: bool
    ) -> None:
        """What the resident was sent joins their chat record, which staff read on the slip
        page (it showed only the resident's messages and the instant replies: not the staff's
        answers, the status notices or the survey question). A late reply is there already,
        as the reply of the message it answers."""
        row = job.row
        if row.audience != "resident" or row.kind == LATE_REPLY or not job.plan:
            return
        resident_id = row.resident_id
        if resident_id is None and job.openid:
            resident_id = (await session.execute(
                select(Resident.id).where(Resident.openid == job.openid))).scalar_one_or_none()
        if resident_id is None:
            return
        payload: dict[str, Any] = {"outbox_id": row.id, "kind": row.kind}
        if row.slip_id is not None:
            payload["slip_id"] = row.slip_id
        if unconfirmed:
            payload["unconfirmed"] = True
        await MessageLog.record_push(
            session, resident_id=resident_id, content=row.text, channel=job.channel,
            wechat_msg_id=msgid if isinstance(msgid, int) else None, payload=payload)

    async def _fallback(
        self, session: AsyncSession, job: _Job, exc: WeChatError, *, exhaust: bool = False
    ) -> None:
        """An attempt refused on its channel; the next channel is tried."""
        await session.execute(
            update(DeliveryAttempt)
            .where(DeliveryAttempt.id == job.attempt_id)
            .values(finished_at=self._clock(), outcome=FALLBACK, errcode=exc.errcode,
                    error=_cut(str(exc)))
            .execution_options(synchronize_session=False)
        )
        if exhaust:
            await self._count_custom(session, job, exhaust=True)
        self._bump(f"fallback_{exc.errcode}")

    async def _close(
        self, row: OutboxRow, status: OutboxStatus, *, channel: str | None = None,
        error: str | None = None,
    ) -> None:
        """Finish a row without (another) WeChat call."""
        values: dict[str, Any] = {"status": status, "locked_by": None, "locked_until": None,
                                  "last_error": _cut(error)}
        if channel:
            values["channel"] = channel
        if status is OutboxStatus.SENT:
            values["sent_at"] = self._clock()
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
        self, session: AsyncSession, job: _Job, attempt_id: int, channel: str
    ) -> None:
        """In doubt and not to be sent again (in_doubt: skip)."""
        log.warning("outbox row %s: %s", job.row.id, UNCONFIRMED_NOTE)
        await self._finish(session, job, attempt_id, UNCONFIRMED, OutboxStatus.SENT,
                           error=UNCONFIRMED_NOTE, count=channel == CUSTOM)
        self._bump("unconfirmed")

    async def _retry(
        self,
        session: AsyncSession,
        job: _Job,
        attempt_id: int | None,
        error: str,
        *,
        errcode: int | None = None,
        in_doubt: bool = False,
    ) -> None:
        """Try again later, or give up. A call in doubt is settled on the next claim (see the
        module notes); that claim waits `hold` so that WeChat is done with the doubtful call
        before the resident's next notice can overtake it."""
        template = bool(job.plan) and job.channel == TEMPLATE
        hold = 2 * (self._cfg.api_timeout_seconds + self._cfg.connect_timeout_seconds)
        if in_doubt and template:
            delay = min(max(hold, self.backoff(job.attempt_no)), IN_DOUBT_TEMPLATE_RETRY)
        elif in_doubt:
            delay = max(hold, self.backoff(job.attempt_no))
        else:
            delay = self.backoff(job.attempt_no)
        outcome = UNKNOWN if in_doubt else RETRY
        settles_later = in_doubt and not template and self._cfg.in_doubt == "skip"
        if job.attempt_no >= self._cfg.retry.max_attempts and not settles_later:
            await self._finish(session, job, attempt_id, outcome, OutboxStatus.FAILED,
                               errcode=errcode,
                               error=f"gave up after {job.attempt_no} attempts: {error}",
                               count_attempt=attempt_id is None)
        else:
            await self._finish(
                session, job, attempt_id, outcome, OutboxStatus.PENDING, errcode=errcode,
                error=error, next_attempt_at=self._clock() + timedelta(seconds=delay),
                count_attempt=attempt_id is None,
            )

    def _note_transient(self, error: str) -> None:
        self._failures += 1
        self._pause(error)

    def _pause(self, error: str) -> None:
        pause = self.backoff(self._failures)
        self._pause_until = max(self._pause_until, time.monotonic() + pause)
        log.warning("WeChat unavailable (%s); pausing %.1f s", error, pause)

    def backoff(self, attempt: int) -> float:
        """Seconds before attempt `attempt + 1`: base * 2^(attempt-1), capped, with jitter."""
        retry = self._cfg.retry
        delay = min(retry.max_seconds, retry.base_seconds * (2 ** min(max(attempt, 1) - 1, 30)))
        return max(0.0, delay * (1 + self._rng.uniform(-retry.jitter, retry.jitter)))

    async def _update_claimed(
        self, session: Any, row_id: int, values: dict[str, Any]
    ) -> bool:
        """Update a row only while this worker still holds its claim."""
        result = await session.execute(
            update(OutboxRow)
            .where(
                OutboxRow.id == row_id,
                OutboxRow.locked_by == self.worker_id,
                OutboxRow.status == OutboxStatus.SENDING,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount == 1)

    async def _count_custom(self, session: AsyncSession, job: _Job, *, exhaust: bool) -> None:
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
