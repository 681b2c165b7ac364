"""Scheduled jobs over the real slip service: lights and 督办 once per crossing, survey
reminder and 未评价 expiry, one execution across workers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot.config import Settings
from bot.delivery.scheduler import Scheduler
from bot.outbox import OutboxRow
from bot.slips.actor import Actor
from bot.slips.models import Slip, SlipEvent
from bot.slips.notices import DEFAULT_NOTICES, load_notices
from bot.slips.service import SlipService
from bot.slips.views import SlipDraft
from bot.storage import Database
from bot.storage.drafts import ConversationDraft, DraftBackup
from bot.stores import Stores, open_stores
from knowledge.triage import load_default_triage

RESIDENT = "oSchedResident00000000000001"
T0 = datetime.fromisoformat("2026-03-02T01:00:00+00:00")  # a Monday, 09:00 in Chongqing

EXTRA_NOTICES = """
  due_soon:
    audience: staff
    to: lead
    text: "交办单 {number} 即将到期（{due_date}），请抓紧办理。"
  overdue:
    audience: staff
    to: supervisors
    text: "交办单 {number}（{lead_department}）已超期，系统已督办。"
"""


@dataclass
class Desk:
    db: Database
    stores: Stores
    slips: SlipService
    settings: Settings
    now: list[datetime]

    def scheduler(self, name: str = "w1") -> Scheduler:
        return Scheduler(self.db, self.stores, self.slips, self.settings, worker_id=name,
                         clock=lambda: self.now[0], notices=self.slips.engine.notices)

    async def issue(self, key: str = "s1") -> str:
        view = await self.slips.issue(SlipDraft(
            openid=RESIDENT, description="小区门口的路灯坏了三天了", idempotency_key=key,
            location_text="建新北路12号"))
        if not view.lead_department:
            pytest.skip("triage queued the slip for a dispatcher: no lead department")
        return view.number

    async def slip(self, number: str) -> Slip:
        async with self.db.session() as session:
            return (await session.scalars(select(Slip).where(Slip.number == number))).one()

    async def notices(self, kind: str) -> list[OutboxRow]:
        async with self.db.session() as session:
            return list((await session.scalars(
                select(OutboxRow).where(OutboxRow.kind == kind))).all())

    async def actions(self, number: str) -> list[str]:
        async with self.db.session() as session:
            return list((await session.scalars(
                select(SlipEvent.action).join(Slip, Slip.id == SlipEvent.slip_id)
                .where(Slip.number == number).order_by(SlipEvent.seq))).all())


@pytest.fixture
async def desk(backend_settings: Settings, tmp_path: Path) -> AsyncIterator[Desk]:
    path = tmp_path / "notices.yaml"
    path.write_text(DEFAULT_NOTICES.read_text(encoding="utf-8") + EXTRA_NOTICES, "utf-8")
    settings = backend_settings
    db = Database.open(settings.database.url)
    await db.upgrade()
    stores = open_stores(settings.redis.url, settings.redis.prefix)
    now = [T0]
    slips = SlipService(db, settings=settings, clock=lambda: now[0],
                        notices=load_notices(path), triage=load_default_triage())
    yield Desk(db, stores, slips, settings, now)
    await stores.close()
    await db.close()


async def test_yellow_then_red_once_per_crossing(desk: Desk) -> None:
    number = await desk.issue()
    slip = await desk.slip(number)
    yellow, red = slip.alert_yellow_at, slip.alert_red_at
    assert yellow and red and T0 < yellow < red
    scheduler = desk.scheduler()

    desk.now[0] = yellow - timedelta(minutes=1)
    await scheduler.run_job("lights")
    assert await desk.notices("due_soon") == []

    desk.now[0] = yellow + timedelta(minutes=1)
    await scheduler.run_job("lights")
    [soon] = await desk.notices("due_soon")
    assert (soon.audience, soon.template_data["to"]) == ("staff", "lead")
    assert number in soon.text
    desk.now[0] += timedelta(minutes=1)
    await scheduler.run_job("lights")
    assert len(await desk.notices("due_soon")) == 1

    desk.now[0] = red + timedelta(minutes=1)
    await scheduler.run_job("lights")
    desk.now[0] += timedelta(minutes=5)
    await scheduler.run_job("lights")
    assert (await desk.actions(number)).count("supervise") == 1
    assert (await desk.slip(number)).supervised
    [overdue] = await desk.notices("overdue")
    assert overdue.template_data["to"] == "supervisors"
    assert len(await desk.notices("supervised")) == 1  # the slip service's notice to the lead
    assert len(await desk.notices("due_soon")) == 1


async def test_a_new_deadline_is_a_new_crossing(desk: Desk) -> None:
    number = await desk.issue()
    first = await desk.slip(number)
    scheduler = desk.scheduler()
    desk.now[0] = first.alert_red_at + timedelta(minutes=1)
    await scheduler.run_job("lights")
    # signing stops the response clock: the completion limit is the next crossing
    handler = Actor(kind="staff", id="7", name="王工", role="handler",
                    department=first.lead_department)
    await desk.slips.act(number, "sign", handler)
    second = await desk.slip(number)
    assert second.alert_red_at > first.alert_red_at
    desk.now[0] = second.alert_red_at + timedelta(minutes=1)
    await scheduler.run_job("lights")
    assert (await desk.actions(number)).count("supervise") == 2
    assert len(await desk.notices("overdue")) == 2


async def _one_reminder_after_24_hours(desk: Desk, scheduler: Scheduler) -> None:
    """Nothing before 24 h after the survey (sent at T0), one reminder after, once."""
    desk.now[0] = T0 + timedelta(hours=23)
    assert await scheduler.run_job("surveys") == 0
    desk.now[0] = T0 + timedelta(hours=25)
    assert await scheduler.run_job("surveys") == 1
    desk.now[0] = T0 + timedelta(hours=30)
    assert await scheduler.run_job("surveys") == 0  # one reminder per survey


async def test_survey_reminder_after_24h_and_unrated_after_72h(desk: Desk) -> None:
    number = await desk.issue()
    lead = (await desk.slip(number)).lead_department
    handler = Actor(kind="staff", id="7", name="王工", role="handler", department=lead)
    await desk.slips.act(number, "sign", handler)
    await desk.slips.act(number, "close", handler, data={"result": "已修复"})
    assert (await desk.slip(number)).status == "awaiting_survey"
    scheduler = desk.scheduler()

    await _one_reminder_after_24_hours(desk, scheduler)
    assert (await desk.actions(number)).count("remind_survey") == 1
    [reminder] = await desk.notices("survey_reminder")
    assert reminder.openid == RESIDENT and number in reminder.text

    desk.now[0] = T0 + timedelta(hours=73)
    assert await scheduler.run_job("surveys") == 1
    slip = await desk.slip(number)
    assert (slip.status, slip.satisfaction) == ("archived", "未评价")


async def test_an_answered_survey_is_left_alone(desk: Desk) -> None:
    number = await desk.issue()
    lead = (await desk.slip(number)).lead_department
    handler = Actor(kind="staff", id="7", name="王工", role="handler", department=lead)
    await desk.slips.act(number, "sign", handler)
    await desk.slips.act(number, "close", handler, data={"result": "已修复"})
    await desk.slips.act(number, "survey", Actor.resident(RESIDENT), data={"verdict": "满意"})
    desk.now[0] = T0 + timedelta(hours=80)
    assert await desk.scheduler().run_job("surveys") == 0
    assert (await desk.slip(number)).satisfaction == "满意"


OTHER = "oSchedResident00000000000002"


async def _merged_and_rated(desk: Desk) -> tuple[str, str, str]:
    """A slip with another resident's duplicate merged into it, closed and rated by its own
    resident at once: (its number, the duplicate's, the duplicate's resident)."""
    number = await desk.issue()
    dup = (await desk.slips.issue(SlipDraft(
        openid=OTHER, description="建新北路那盏路灯不亮了", idempotency_key="s2",
        location_text="建新北路12号"))).number
    dispatcher = Actor(kind="staff", id="2", name="派单员小王", role="dispatcher")
    await desk.slips.act(dup, "merge", dispatcher, data={"into": number})
    lead = (await desk.slip(number)).lead_department
    handler = Actor(kind="staff", id="7", name="王工", role="handler", department=lead)
    await desk.slips.act(number, "sign", handler)
    await desk.slips.act(number, "close", handler, data={"result": "已修复"})
    await desk.slips.act(number, "survey", Actor.resident(RESIDENT), data={"verdict": "满意"})
    return number, dup, OTHER


async def test_merged_residents_are_reminded_and_expire_after_the_kept_slips_own_rates(
    desk: Desk,
) -> None:
    """The kept slip's own resident answered at once (rated): the resident whose duplicate
    was merged into it was still never reminded nor counted 未评价 (product review)."""
    number, dup, other = await _merged_and_rated(desk)
    assert (await desk.slip(number)).status == "rated"
    scheduler = desk.scheduler()

    await _one_reminder_after_24_hours(desk, scheduler)
    [reminder] = await desk.notices("survey_reminder_merged")
    assert reminder.openid == other and number in reminder.text
    assert not await desk.notices("survey_reminder")  # the kept slip's resident has answered

    desk.now[0] = T0 + timedelta(hours=73)
    assert await scheduler.run_job("surveys") == 1
    merged = await desk.slip(dup)
    assert (merged.status, merged.satisfaction) == ("merged", "未评价")
    kept = await desk.slip(number)
    assert (kept.status, kept.satisfaction) == ("rated", "满意")
    assert (await desk.actions(dup))[-1] == "merged_survey_expired"
    desk.now[0] = T0 + timedelta(hours=100)
    assert await scheduler.run_job("surveys") == 0


async def test_a_merged_resident_who_answered_is_left_alone(desk: Desk) -> None:
    number, dup, other = await _merged_and_rated(desk)
    await desk.slips.act(dup, "survey", Actor.resident(other),
                         data={"verdict": "基本满意"})
    desk.now[0] = T0 + timedelta(hours=80)
    assert await desk.scheduler().run_job("surveys") == 0
    assert (await desk.slip(dup)).satisfaction == "基本满意"


async def test_one_execution_per_tick_across_workers(desk: Desk) -> None:
    await desk.issue()
    schedulers = [desk.scheduler(f"w{n}") for n in range(4)]
    results = await asyncio.gather(*(s.tick() for s in schedulers))
    assert sum("lights" in r for r in results) == 1
    assert sum("surveys" in r for r in results) == 1


async def test_copies_of_conversations_nobody_would_read_are_purged(desk: Desk) -> None:
    copies = DraftBackup(desk.db)
    await copies.save("dialog:oStale", {"slots": {}})
    await copies.save("dialog:oRecent", {"slots": {}})
    async with desk.db.session() as session:
        for key, age in (("dialog:oStale", timedelta(hours=73)),
                         ("dialog:oRecent", timedelta(hours=71))):
            await session.execute(update(ConversationDraft).where(ConversationDraft.key == key)
                                  .values(updated_at=T0 - age))
    assert await desk.scheduler().run_job("drafts") == 1
    async with desk.db.session() as session:
        keys = (await session.scalars(select(ConversationDraft.key))).all()
    assert keys == ["dialog:oRecent"]
