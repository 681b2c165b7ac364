"""Who sees which slips: handlers only their department's (lead or co-handler), residents only
their own; dispatchers, supervisors and administrators everything."""

from __future__ import annotations

import pytest

from bot.slips.actor import Actor
from bot.slips.errors import Forbidden
from bot.slips.views import SlipFilter
from tests.bot.slips.conftest import (
    ADMIN,
    CO_HANDLER,
    DISPATCHER,
    HANDLER,
    OTHER_HANDLER,
    OTHER_RESIDENT,
    RESIDENT,
    SUPERVISOR,
    Slips,
    triage,
)


async def test_a_handler_of_another_department_cannot_reach_the_slip(slips: Slips) -> None:
    view = await slips.issue(triage=triage(lead="D-CGJ", co=("D-ZJW",)))
    service = slips.service
    for ref in (view.number, view.id, str(view.id)):
        with pytest.raises(Forbidden):
            await service.get(ref, OTHER_HANDLER)
    with pytest.raises(Forbidden):
        await service.timeline(view.number, OTHER_HANDLER)
    with pytest.raises(Forbidden):
        await service.actions_for(view.number, OTHER_HANDLER)
    for action, data in (("sign", {}), ("reply", {}), ("close", {"result": "x"})):
        with pytest.raises(Forbidden):
            await service.act(view.number, action, OTHER_HANDLER, note="越权", data=data)
    assert (await service.list(OTHER_HANDLER, SlipFilter())).items == []
    assert (await service.list(OTHER_HANDLER, SlipFilter(q="路灯"))).total == 0
    bench = await service.workbench(OTHER_HANDLER)
    assert sum(bench.counts.values()) == 0
    assert len(await slips.events(view.number)) == 2  # nothing was recorded


async def test_lead_and_co_handlers_see_the_slip(slips: Slips) -> None:
    view = await slips.issue(triage=triage(lead="D-CGJ", co=("D-ZJW",)))
    other = await slips.issue("河里有人倒垃圾", triage=triage(lead="D-STHJ"))
    for actor in (HANDLER, CO_HANDLER):
        assert (await slips.service.get(view.number, actor)).number == view.number
        page = await slips.service.list(actor, SlipFilter())
        assert [s.number for s in page.items] == [view.number]
    for actor in (DISPATCHER, SUPERVISOR, ADMIN):
        page = await slips.service.list(actor, SlipFilter())
        assert {s.number for s in page.items} == {view.number, other.number}


async def test_a_transfer_moves_the_slip_out_of_the_old_departments_reach(slips: Slips) -> None:
    view = await slips.issue()
    await slips.service.act(view.number, "transfer", DISPATCHER, note="属环保职责",
                            data={"department": "D-STHJ"})
    with pytest.raises(Forbidden):
        await slips.service.get(view.number, HANDLER)
    assert (await slips.service.get(view.number, OTHER_HANDLER)).lead_department.code == "D-STHJ"
    assert (await slips.service.list(HANDLER, SlipFilter())).items == []


async def test_a_handler_without_a_department_sees_nothing(slips: Slips) -> None:
    await slips.issue()
    nowhere = Actor(kind="staff", id="9", name="无部门", role="handler", department=None)
    assert (await slips.service.list(nowhere, SlipFilter())).items == []


async def test_residents_see_and_act_on_their_own_slips_only(slips: Slips) -> None:
    mine = await slips.issue()
    theirs = await slips.issue("楼上漏水", openid=OTHER_RESIDENT.id)
    assert (await slips.service.get(mine.number, RESIDENT)).number == mine.number
    with pytest.raises(Forbidden):
        await slips.service.get(theirs.number, RESIDENT)
    with pytest.raises(Forbidden):
        await slips.service.act(theirs.number, "withdraw", RESIDENT)
    with pytest.raises(Forbidden):
        await slips.service.act(theirs.number, "followup", RESIDENT, note="我来补充")
    page = await slips.service.list(RESIDENT, SlipFilter())
    assert [s.number for s in page.items] == [mine.number]
    assert [v.number for v in await slips.service.for_resident(RESIDENT.id)] == [mine.number]


async def test_residents_get_a_view_without_staff_internals(slips: Slips) -> None:
    view = await slips.issue(phone="13800138000")
    await slips.service.act(view.number, "sign", HANDLER, note="内部：已电话联系")
    await slips.service.act(view.number, "reply", HANDLER, note="明天上午来修")
    mine = await slips.service.get(view.number, RESIDENT)
    assert mine.phone == "138****8000"
    assert mine.openid == RESIDENT.id
    assert (await slips.service.get(view.number, HANDLER)).phone == "13800138000"
    steps = await slips.service.timeline(view.number, RESIDENT)
    assert [(e.action, e.actor_name, e.note) for e in steps] == [
        ("accept", RESIDENT.name, None),
        ("dispatch", "系统", None),
        ("sign", "区城市管理局", None),  # the handler's name and internal note stay inside
        ("reply", "区城市管理局", "明天上午来修"),
    ]
    assert all(e.actor_role is None and e.actor_department is None for e in steps)
