"""Scheduled jobs, run by the workers: deadline lights and 督办, survey reminders and expiry.

Each job runs once per tick across all workers: a worker runs it only if it wins the tick's
slot in the stores (SET NX on `scheduler:<job>:<slot>`) and holds the job's lock while it
runs. Everything a job does is also safe to repeat (notice idempotency keys; actions that
check the slip's state), so a lost slot or a restart does no harm.

- lights: when a slip's yellow moment (80 % of a running limit, `slip.alert_yellow_at`)
  passes, its lead department gets a `due_soon` notice; when the red moment (100 %,
  `alert_red_at`) passes, the slip is supervised (督办) by the system actor: SlipService
  writes the event and its `supervised` notice to the lead department, and the supervisors get
  an `overdue` notice. Once per crossing: a new limit (extension, 重办, signing stops the
  response clock) is a new crossing. Only moments since the job's last run are looked at
  (a watermark in the stores; after a loss, `LOOKBACK` back).
- surveys: 24 h after the survey was sent (`request_survey`) a reminder (`remind_survey`),
  once per survey; 72 h after, `expire_survey` (the slip is archived as 未评价, never counted
  as satisfied; a slip without a resident of its own is archived without a verdict, and the
  residents merged into it who did not answer are 未评价 on their own slips). When the slip's
  own resident answered first, those merged residents are reminded and counted 未评价 all the
  same, on the same clock (remind_merged_survey, expire_merged_survey).
- drafts: copies of unfinished conversations (bot/storage/drafts.py) older than the
  conversation store keeps a conversation (72 h) are deleted.

Notice texts come from knowledge/notices.yaml; a kind missing there is skipped (logged).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy import func, select

import bot.outbox as outbox
from bot.config import Settings
from bot.slips.actor import Actor
from bot.slips.errors import SlipError
from bot.slips.models import Slip, SlipEvent
from bot.slips.notices import Notices
from bot.slips.notify import cn_date
from bot.slips.service import SlipService
from bot.storage import Database
from bot.storage.drafts import DraftBackup
from bot.storage.types import utcnow
from bot.stores import LockTimeout, Stores

log = logging.getLogger(__name__)

LOOKBACK = timedelta(days=7)
SUMMARY_CHARS = 30
SYSTEM = "scheduler"
SUPERVISE_NOTE = "已超过办理时限，系统自动督办"
DRAFT_MAX_AGE = timedelta(hours=72)  # the dialog engine's state_ttl_hours


class Scheduler:
    def __init__(
        self,
        db: Database,
        stores: Stores,
        slips: SlipService,
        settings: Settings,
        *,
        worker_id: str = "scheduler",
        clock: Callable[[], datetime] = utcnow,
        notices: Notices | None = None,
    ) -> None:
        self._db = db
        self._stores = stores
        self._slips = slips
        self._cfg = settings.delivery.scheduler
        self._worker_id = worker_id
        self._clock = clock
        self._notices = notices or slips.engine.notices
        self._actor = Actor.system(SYSTEM)
        self._jobs: dict[str, Callable[[datetime], Awaitable[int]]] = {
            "lights": self.lights,
            "surveys": self.surveys,
            "drafts": self.drafts,
        }
        self._warned: set[str] = set()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.tick()
            except Exception:
                log.exception("scheduler tick failed")
            try:
                await asyncio.wait_for(stop.wait(), self._cfg.tick_seconds)
            except TimeoutError:
                pass

    async def tick(self) -> dict[str, int]:
        """Run every job this worker wins for the current slot; what each did."""
        slot = int(time.time() // self._cfg.tick_seconds)
        done: dict[str, int] = {}
        for name, job in self._jobs.items():
            won = await self._stores.set_value(
                f"scheduler:{name}:{slot}", self._worker_id,
                ttl_seconds=self._cfg.tick_seconds * 3, only_if_absent=True,
            )
            if won:
                result = await self.run_job(name, job)
                if result is not None:
                    done[name] = result
        return done

    async def run_job(
        self, name: str, job: Callable[[datetime], Awaitable[int]] | None = None
    ) -> int | None:
        """Run one job now under its lock (None: another worker is running it)."""
        job = job or self._jobs[name]
        try:
            async with self._stores.lock(
                f"scheduler:{name}", ttl_seconds=max(60.0, self._cfg.tick_seconds * 2),
                wait_seconds=0.05,
            ):
                return await job(self._clock())
        except LockTimeout:
            return None

    # -- lights and 督办 ------------------------------------------------------------------------

    async def lights(self, now: datetime) -> int:
        since = await self._watermark("lights", now)
        done = 0
        async with self._db.session() as session:
            yellow = (await session.execute(
                select(Slip).where(Slip.alert_yellow_at > since, Slip.alert_yellow_at <= now,
                                   Slip.alert_red_at > now)
                .order_by(Slip.alert_yellow_at, Slip.id)
            )).scalars().all()
            red = (await session.execute(
                select(Slip).where(Slip.alert_red_at > since, Slip.alert_red_at <= now)
                .order_by(Slip.alert_red_at, Slip.id)
            )).scalars().all()
        for slip in yellow:
            done += await self._staff_notice(slip, "due_soon", slip.alert_yellow_at)
        for slip in red:
            crossed = slip.alert_red_at
            assert crossed is not None
            if slip.supervised_at is None or slip.supervised_at < crossed:
                try:
                    await self._slips.act(slip.id, "supervise", self._actor, note=SUPERVISE_NOTE)
                    done += 1
                except SlipError as exc:  # closed or changed meanwhile
                    log.info("slip %s not supervised: %s", slip.number, exc)
            done += await self._staff_notice(slip, "overdue", crossed)
        await self._set_watermark("lights", now)
        return done

    async def _staff_notice(self, slip: Slip, kind: str, crossed: datetime | None) -> int:
        if kind not in self._notices.kinds:
            if kind not in self._warned:
                self._warned.add(kind)
                log.warning("knowledge/notices.yaml has no %r notice; not sent", kind)
            return 0
        spec = self._notices.get(kind)
        timing = self._slips.timing
        text = slip.description or ""
        values = {
            "number": slip.number,
            "status": self._slips.workflow.states[slip.status].label
            if slip.status in self._slips.workflow.states else slip.status,
            "time": f"{timing.calendar.local(crossed or self._clock()):%Y-%m-%d %H:%M}",
            "summary": text if len(text) <= SUMMARY_CHARS else text[:SUMMARY_CHARS] + "…",
            "lead_department": slip.lead_department_name or "",
            "departments": slip.lead_department_name or "",
            "due_date": cn_date(slip.due_at, timing),
        }
        body, template = spec.render(values)
        stamp = f"{crossed:%Y%m%dT%H%M%S}" if crossed else "-"
        if spec.audience == "resident":
            if not slip.openid:
                return 0
            notice = outbox.Notice(
                kind=kind, text=body, idempotency_key=f"{slip.number}:{kind}:{stamp}",
                openid=slip.openid, resident_id=slip.resident_id, slip_id=slip.id,
                template_data=template,
            )
        else:
            notice = outbox.Notice(
                kind=kind, text=body, idempotency_key=f"{slip.number}:{kind}:{stamp}",
                slip_id=slip.id, audience="staff",
                template_data={"to": spec.to, "number": slip.number,
                               "department": slip.lead_department if spec.to == "lead" else None},
            )
        async with self._db.session() as session:
            return int(await outbox.enqueue(session, notice))

    # -- conversation copies -------------------------------------------------------------------

    async def drafts(self, now: datetime) -> int:
        """Copies of unfinished conversations that no conversation would read any more."""
        return await DraftBackup(self._db).purge(now - DRAFT_MAX_AGE)

    # -- surveys ------------------------------------------------------------------------------

    async def surveys(self, now: datetime) -> int:
        remind_after = timedelta(hours=self._cfg.survey_reminder_hours)
        expire_after = timedelta(hours=self._cfg.survey_expire_hours)
        asked = (
            select(SlipEvent.slip_id, func.max(SlipEvent.at).label("at"))
            .join(Slip, Slip.id == SlipEvent.slip_id)
            .where(Slip.status == "awaiting_survey", SlipEvent.action == "request_survey")
            .group_by(SlipEvent.slip_id)
            .subquery()
        )
        reminded = (
            select(SlipEvent.slip_id, func.max(SlipEvent.at).label("at"))
            .join(Slip, Slip.id == SlipEvent.slip_id)
            .where(Slip.status == "awaiting_survey", SlipEvent.action == "remind_survey")
            .group_by(SlipEvent.slip_id)
            .subquery()
        )
        async with self._db.session() as session:
            rows = (await session.execute(
                select(Slip.id, Slip.number, asked.c.at, reminded.c.at)
                .join(asked, asked.c.slip_id == Slip.id)
                .outerjoin(reminded, reminded.c.slip_id == Slip.id)
                .where(Slip.status == "awaiting_survey",
                       asked.c.at <= now - remind_after)
                .order_by(asked.c.at, Slip.id)
            )).all()
        done = 0
        for slip_id, number, asked_at, reminded_at in rows:
            done += await self._survey_step(slip_id, number, asked_at, reminded_at,
                                            now - remind_after, now - expire_after,
                                            ("remind_survey", "expire_survey"))
        return done + await self._merged_surveys(now, remind_after, expire_after)

    async def _survey_step(
        self, slip_id: int, number: str, asked_at: datetime | None,
        reminded_at: datetime | None, remind_before: datetime, expire_before: datetime,
        actions: tuple[str, str],
    ) -> int:
        """The reminder once a survey asked before `remind_before` (once per survey), the
        expiry once it was asked before `expire_before`; 1 when an action was taken."""
        remind, expire = actions
        if asked_at is None or asked_at > remind_before:
            return 0
        if asked_at <= expire_before:
            action = expire
        elif reminded_at is None or reminded_at < asked_at:
            action = remind
        else:
            return 0
        try:
            await self._slips.act(slip_id, action, self._actor)
        except SlipError as exc:  # answered or changed meanwhile
            log.info("slip %s: %s skipped: %s", number, action, exc)
            return 0
        return 1

    async def _merged_surveys(self, now: datetime, remind_after: timedelta,
                              expire_after: timedelta) -> int:
        """Residents of duplicates merged into a slip that is rated or archived already (its
        own resident answered first), who have not answered: the same reminder and expiry."""
        waiting = (
            select(Slip.merged_into_id.label("kept_id"))
            .where(Slip.status == "merged", Slip.openid.is_not(None),
                   Slip.satisfaction.is_(None), Slip.merged_into_id.is_not(None))
            .distinct()
            .subquery()
        )
        async with self._db.session() as session:
            kept = (await session.execute(
                select(Slip.id, Slip.number)
                .join(waiting, waiting.c.kept_id == Slip.id)
                .where(Slip.status.in_(("rated", "archived")))
            )).all()
            if not kept:
                return 0
            ids = [slip_id for slip_id, _ in kept]
            asked = dict((await session.execute(
                select(SlipEvent.slip_id, func.max(SlipEvent.at))
                .where(SlipEvent.slip_id.in_(ids), SlipEvent.action == "request_survey")
                .group_by(SlipEvent.slip_id)
            )).all())
            reminded = dict((await session.execute(
                select(SlipEvent.slip_id, func.max(SlipEvent.at))
                .where(SlipEvent.slip_id.in_(ids),
                       SlipEvent.action.in_(("remind_survey", "remind_merged_survey")))
                .group_by(SlipEvent.slip_id)
            )).all())
        done = 0
        for slip_id, number in kept:
            done += await self._survey_step(slip_id, number, asked.get(slip_id),
                                            reminded.get(slip_id), now - remind_after,
                                            now - expire_after,
                                            ("remind_merged_survey", "expire_merged_survey"))
        return done

    # -- watermarks ---------------------------------------------------------------------------

    async def _watermark(self, name: str, now: datetime) -> datetime:
        raw = await self._stores.get_value(f"scheduler:{name}:watermark")
        try:
            mark = datetime.fromisoformat(raw) if raw else None
        except ValueError:
            mark = None
        return mark if mark is not None and mark <= now else now - LOOKBACK

    async def _set_watermark(self, name: str, now: datetime) -> None:
        await self._stores.set_value(f"scheduler:{name}:watermark", now.isoformat())


