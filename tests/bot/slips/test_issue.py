"""Issuing slips: numbers, idempotency, routing to a department or the dispatcher's queue."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.slips.errors import InvalidInput
from bot.slips.models import Slip
from bot.slips.service import SlipService
from bot.storage.models import Resident
from tests.bot.slips.conftest import (
    DISPATCHER,
    Clock,
    Slips,
    draft,
    triage,
)
from tests.conftest import make_settings


async def test_numbers_follow_the_local_date_and_restart_each_day(
    slips: Slips, clock: Clock
) -> None:
    clock.now = datetime(2026, 11, 25, 15, 59, tzinfo=UTC)  # 23:59 in Chongqing
    first = await slips.issue()
    second = await slips.issue()
    clock.now = datetime(2026, 11, 25, 16, 1, tzinfo=UTC)  # 00:01 the next day there
    third = await slips.issue()
    assert [first.number, second.number, third.number] == [
        "JB2026112500001", "JB2026112500002", "JB2026112600001"
    ]


async def test_the_prefix_is_configurable(database, clock, pack) -> None:  # type: ignore[no-untyped-def]
    service = SlipService(database, settings=make_settings(**{"slips.number_prefix": "YB"}),
                          clock=clock, pack=pack)
    view = await service.issue(draft())
    assert re.fullmatch(r"YB2026112500001", view.number)


@pytest.mark.parametrize("backend", ["postgres-redis"])
async def test_concurrent_issues_get_distinct_numbers(slips: Slips) -> None:
    views = await asyncio.gather(*(slips.issue(f"第{i}件事：路灯坏了") for i in range(20)))
    numbers = sorted(v.number for v in views)
    assert numbers == [f"JB20261125{i:05d}" for i in range(1, 21)]


async def test_issuing_the_same_message_twice_makes_one_slip(slips: Slips) -> None:
    first = await slips.issue(key="oResidentAAAA0001:m:6054768590064713728")
    again = await slips.issue("（重试）", key="oResidentAAAA0001:m:6054768590064713728")
    assert again.id == first.id and again.number == first.number
    async with slips.db.session() as session:
        assert (await session.execute(select(func.count()).select_from(Slip))).scalar_one() == 1
    assert [e.action for e in await slips.events(first.number)] == ["accept", "dispatch"]


@pytest.mark.parametrize("backend", ["postgres-redis"])
async def test_concurrent_retries_of_one_message_make_one_slip(slips: Slips) -> None:
    views = await asyncio.gather(*(slips.issue(key="oResidentAAAA0001:m:42") for _ in range(6)))
    assert len({v.id for v in views}) == 1
    async with slips.db.session() as session:
        assert (await session.execute(select(func.count()).select_from(Slip))).scalar_one() == 1


async def test_a_confident_slip_goes_straight_to_its_department(slips: Slips) -> None:
    view = await slips.issue(triage=triage(lead="D-CGJ", co=("D-ZJW",)), phone="13800138000",
                             area={"street": "观音桥街道", "community": "建新东路社区"})
    assert view.status == "dispatched" and view.status_label == "已派单"
    assert view.resident_status == "已转交部门"  # not 办理中: nobody has signed it yet
    assert view.lead_department.code == "D-CGJ"
    assert view.lead_department.name == "区城市管理局"  # from the department catalogue
    assert [d.code for d in view.co_departments] == ["D-ZJW"]
    assert view.phone == "13800138000"
    row = await slips.row(view.number)
    assert (row.street, row.community) == ("观音桥街道", "建新东路社区")
    events = await slips.events(view.number)
    assert [(e.action, e.actor_kind, e.to_status) for e in events] == [
        ("accept", "resident", "accepted"), ("dispatch", "system", "dispatched")
    ]
    # The resident is answered in the chat with the number: no push on issue.
    assert await slips.outbox(view.number) == []
    async with slips.db.session() as session:
        resident = (await session.execute(select(Resident))).scalar_one()
    assert resident.openid == view.openid and row.resident_id == resident.id


async def test_a_low_confidence_slip_waits_in_the_dispatchers_queue(slips: Slips) -> None:
    view = await slips.issue(triage=triage(low_confidence=True))
    assert view.status == "accepted" and view.lead_department is None
    assert view.low_confidence and view.queue_reason == "low_confidence"
    bench = await slips.service.workbench(DISPATCHER)
    assert [s.number for s in bench.queue] == [view.number]
    # The dispatcher names the department (the console offers the suggested one); pressing
    # 派单 with none is refused rather than taking a guess.
    with pytest.raises(InvalidInput) as exc:
        await slips.service.act(view.number, "dispatch", DISPATCHER)
    assert exc.value.field == "department"
    after = await slips.service.act(view.number, "dispatch", DISPATCHER,
                                    data={"department": "D-CGJ"})
    assert after.status == "dispatched" and after.lead_department.code == "D-CGJ"
    assert after.queue_reason is None
    assert (await slips.service.workbench(DISPATCHER)).queue == []
    [notice] = await slips.outbox(view.number)
    assert notice.kind == "dispatched" and notice.openid == view.openid
    assert "区城市管理局" in notice.text and view.number in notice.text


async def test_a_department_the_catalogue_lacks_is_routed_by_hand(slips: Slips) -> None:
    view = await slips.issue(triage=triage(lead="D-NOPE"))
    assert view.status == "accepted" and view.lead_department is None
    with pytest.raises(InvalidInput) as exc:
        await slips.service.act(view.number, "dispatch", DISPATCHER)
    assert exc.value.field == "department"
    after = await slips.service.act(view.number, "dispatch", DISPATCHER,
                                    data={"department": "D-CGJ", "co_departments": ["D-ZJW"]})
    assert after.lead_department.code == "D-CGJ"


async def test_without_a_classifier_the_complaint_is_still_recorded(
    database, clock, pack  # type: ignore[no-untyped-def]
) -> None:
    service = SlipService(database, settings=make_settings(), clock=clock, pack=pack)
    d = draft()
    view = await service.issue(type(d)(**{**d.__dict__, "triage": None}))
    assert view.status == "accepted" and view.low_confidence


async def test_a_failing_classifier_does_not_lose_the_complaint(
    database, clock, pack  # type: ignore[no-untyped-def]
) -> None:
    class Broken:
        def classify(self, text, *, area=None, now=None):  # type: ignore[no-untyped-def]
            raise RuntimeError("model file missing")

    service = SlipService(database, settings=make_settings(), clock=clock, pack=pack,
                          triage=Broken())
    d = draft()
    view = await service.issue(type(d)(**{**d.__dict__, "triage": None}))
    assert view.status == "accepted" and view.queue_reason == "low_confidence"


async def test_an_empty_complaint_is_refused(slips: Slips) -> None:
    with pytest.raises(InvalidInput) as exc:
        await slips.issue("   ")
    assert exc.value.field == "description"


@pytest.fixture(scope="session")
def real_triage():  # type: ignore[no-untyped-def]
    from knowledge.triage import load_default_triage

    return load_default_triage()


async def test_the_shipped_triage_classifies_routes_and_times_the_slip(
    database, clock, pack, real_triage  # type: ignore[no-untyped-def]
) -> None:
    service = SlipService(database, settings=make_settings(), clock=clock, pack=pack,
                          triage=real_triage)
    d = draft("建新北路12号小区门口的燃气管道漏气了，味道很大")
    view = await service.issue(type(d)(**{**d.__dict__, "triage": None}))
    assert view.urgency == "特急" and view.status == "dispatched"
    assert view.lead_department is not None and view.lead_department.code == "U-GAS"
    assert view.response_due_at == clock.now + timedelta(hours=2)
    assert view.category[0] == "城乡建设"
    assert view.area is not None and view.area["street"] == "观音桥街道"
    assert view.advice and "119" in view.advice
    assert isinstance(view.explanation, dict) and view.explanation["summary"]
