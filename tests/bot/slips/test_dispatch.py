"""Dispatching by hand: a real handling department, the category put right, an emergency's
notices and its response clock (the promise made at intake)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.slips.errors import InvalidInput
from bot.slips.notices import load_notices
from bot.slips.views import SlipFilter
from tests.bot.slips.conftest import (
    ADMIN,
    DISPATCHER,
    HANDLER,
    SUPERVISOR,
    T0,
    Clock,
    Slips,
    triage,
)

FALL = "我妈在家里头摔倒了起不来了，喊不答应"


def _emergency(urgency: str = "特急", *, low_confidence: bool = True, **kwargs):  # type: ignore[no-untyped-def]
    """An emergency the triage was unsure about (it waits for the dispatcher)."""
    hours = 2 if urgency == "特急" else 24
    return triage(urgency=urgency, low_confidence=low_confidence, response_due_hours=hours,
                  due_working_days=5, **kwargs)


# -- 1a: what an emergency's resident is told ---------------------------------------------------
@pytest.mark.parametrize("urgency", ["特急", "紧急"])
async def test_dispatching_an_emergency_speaks_of_a_quick_contact_not_a_date(
    slips: Slips, clock: Clock, urgency: str
) -> None:
    view = await slips.issue(FALL, triage=_emergency(urgency, category=("商贸旅游",)),
                             phone="13812345678")
    clock.advance(minutes=12)
    await slips.service.act(view.number, "dispatch", DISPATCHER, data={"department": "D-WJW"})
    [told] = [n for n in await slips.outbox(view.number) if n.kind == "dispatched"]
    assert told.text == (f"您反映的紧急情况（交办单号 {view.number}）已转交区卫生健康委，"
                         "工作人员会尽快与您联系。")
    assert "办结" not in told.text and "年" not in told.text
    assert "办结时限" not in told.template_data["remark"]
    assert "尽快与您联系" in told.template_data["remark"]


async def test_an_ordinary_slip_is_still_told_its_completion_date(slips: Slips) -> None:
    view = await slips.issue(triage=triage(low_confidence=True))
    await slips.service.act(view.number, "dispatch", DISPATCHER, data={"department": "D-CGJ"})
    [told] = [n for n in await slips.outbox(view.number) if n.kind == "dispatched"]
    assert "将在2026年12月2日前办结并答复您" in told.text


async def test_an_emergency_transferred_or_reopened_is_not_promised_a_far_date(
    slips: Slips, clock: Clock
) -> None:
    view = await slips.issue(FALL, triage=_emergency(low_confidence=False))
    assert view.status == "dispatched"
    await slips.service.act(view.number, "transfer", DISPATCHER, note="属卫健职责",
                            data={"department": "D-WJW"})
    told = {n.kind: n for n in await slips.outbox(view.number)}
    # no phone on this slip: nobody promises to call (fifth product review)
    assert "工作人员会尽快在微信里回复您" in told["transferred"].text
    assert "办结时限" not in told["transferred"].text
    assert told["transferred_staff"].text.startswith(f"【特急】交办单 {view.number} 已改派给本单位，请立即签收")
    await slips.service.act(view.number, "sign", ADMIN)
    await slips.service.act(view.number, "close", ADMIN, data={"result": "已送医"})
    clock.advance(hours=1)
    await slips.service.act(view.number, "reopen", SUPERVISOR, note="居民说没人来")
    told = {n.kind: n for n in await slips.outbox(view.number)}
    # a supervisor reopened it: the resident gave no opinion (fifth product review)
    assert told["reopened"].text == ("经工作人员复核，您反映的问题还需要再办理。"
                                     f"交办单 {view.number} 已重新交区卫生健康委办理，"
                                     "工作人员会尽快在微信里回复您。")
    assert "【重办·特急】" in told["reopened_staff"].text


def test_every_urgent_wording_has_the_template_fields_of_its_notice() -> None:
    """The notices a resident gets with a completion date have an urgent wording without it."""
    notices = load_notices()
    for kind, spec in notices.texts.items():
        if spec.audience == "resident" and "{due_date}" in spec.text and kind != "extended":
            assert spec.urgent is not None, kind
            assert "{due_date}" not in spec.urgent.text, kind
            assert "{due_date}" not in "".join(spec.urgent.template.values()), kind
        if spec.urgent is not None and spec.template:
            assert set(spec.urgent.template) == set(spec.template), kind


# -- 1b: a real handling department -----------------------------------------------------------
async def test_staff_must_name_a_department_to_dispatch(slips: Slips) -> None:
    view = await slips.issue(triage=triage(lead="D-MYZX", low_confidence=True))
    for actor in (DISPATCHER, ADMIN):
        with pytest.raises(InvalidInput) as exc:
            await slips.service.act(view.number, "dispatch", actor)
        assert exc.value.field == "department" and "主办单位" in exc.value.message
    row = await slips.row(view.number)
    assert (row.status, row.lead_department) == ("accepted", None)
    assert await slips.outbox(view.number) == []


async def test_the_dispatch_desk_itself_is_not_a_handling_department(slips: Slips) -> None:
    view = await slips.issue(triage=triage(lead="D-MYZX", low_confidence=True))
    with pytest.raises(InvalidInput) as exc:
        await slips.service.act(view.number, "dispatch", DISPATCHER,
                                data={"department": "D-MYZX"})
    assert exc.value.field == "department" and "区民意交办中心" in exc.value.message
    with pytest.raises(InvalidInput) as exc:
        await slips.service.act(view.number, "dispatch", DISPATCHER,
                                data={"department": "D-CGJ", "co_departments": ["D-MYZX"]})
    assert exc.value.field == "co_departments"
    assert (await slips.row(view.number)).status == "accepted"
    done = await slips.service.act(view.number, "dispatch", DISPATCHER,
                                   data={"department": "D-CGJ"})
    assert done.lead_department.code == "D-CGJ"
    with pytest.raises(InvalidInput) as exc:
        await slips.service.act(view.number, "transfer", DISPATCHER, note="x",
                                data={"department": "D-MYZX"})
    assert exc.value.field == "department"


async def test_a_confident_triage_naming_the_desk_waits_in_the_queue(slips: Slips) -> None:
    """区政府兜底: the triage names the dispatch desk when nobody else fits; the machine does
    not 'dispatch' the slip to the desk that should route it."""
    view = await slips.issue(triage=triage(lead="D-MYZX", co=("D-CGJ",)))
    assert view.status == "accepted" and view.lead_department is None
    bench = await slips.service.workbench(DISPATCHER)
    assert [s.number for s in bench.queue] == [view.number]
    # the suggestion's co-handlers other than the desk are still taken
    done = await slips.service.act(view.number, "dispatch", DISPATCHER,
                                   data={"department": "D-ZJW"})
    assert [d.code for d in done.co_departments] == ["D-CGJ"]


# -- 1d: the response clock is the one set at intake -------------------------------------------
async def test_dispatch_and_return_keep_the_response_deadline_set_at_intake(
    slips: Slips, clock: Clock
) -> None:
    view = await slips.issue(FALL, triage=_emergency())
    promised = T0 + timedelta(hours=2)
    assert view.response_due_at == promised and view.status == "accepted"
    clock.advance(minutes=5)
    dispatched = await slips.service.act(view.number, "dispatch", DISPATCHER,
                                         data={"department": "D-CGJ"})
    assert dispatched.response_due_at == promised
    clock.advance(minutes=30)
    returned = await slips.service.act(view.number, "return", HANDLER, note="不属城管职责")
    assert returned.response_due_at == promised
    clock.advance(minutes=10)
    again = await slips.service.act(view.number, "dispatch", DISPATCHER,
                                    data={"department": "D-WJW"})
    assert again.response_due_at == promised
    moved = await slips.service.act(view.number, "transfer", SUPERVISOR, note="由住建处理",
                                    data={"department": "D-ZJW"})
    assert moved.response_due_at == promised
    # the red light is the intake promise's too
    clock.now = promised + timedelta(seconds=1)
    assert (await slips.service.get(view.number, ADMIN)).light == "red"


async def test_a_returned_ordinary_slip_does_not_get_a_fresh_day(
    slips: Slips, clock: Clock
) -> None:
    view = await slips.issue(triage=triage(urgency="紧急", response_due_hours=24))
    assert view.status == "dispatched"
    clock.advance(hours=20)
    returned = await slips.service.act(view.number, "return", HANDLER, note="属住建委职责")
    assert returned.response_due_at == view.response_due_at == T0 + timedelta(hours=24)
    # the 退单 window still counts from the dispatch, not from intake
    again = await slips.service.act(view.number, "dispatch", DISPATCHER,
                                    data={"department": "D-CGJ"})
    assert "return" in [a.code for a in await slips.service.actions_for(again.number, HANDLER)]


# -- 1c: the dispatcher puts a wrong category right --------------------------------------------
async def test_the_dispatcher_corrects_the_category_and_the_audit_keeps_both(
    slips: Slips,
) -> None:
    view = await slips.issue(FALL, triage=_emergency(category=("商贸旅游",)))
    done = await slips.service.act(view.number, "dispatch", DISPATCHER, data={
        "department": "D-WJW", "category": "卫生计生/公共卫生/突发公共卫生事件处理"})
    assert done.category == ["卫生计生", "公共卫生", "突发公共卫生事件处理"]
    row = await slips.row(view.number)
    assert row.category_top == "卫生计生"  # what the statistics and public pages group by
    accept, dispatch = (await slips.events(view.number))[:2]
    assert accept.data["category"] == ["商贸旅游"]  # what the machine decided stays
    assert dispatch.data["category"] == {
        "from": ["商贸旅游"], "to": ["卫生计生", "公共卫生", "突发公共卫生事件处理"]}
    listed = await slips.service.list(ADMIN, SlipFilter(category="卫生计生"))
    assert [s.number for s in listed.items] == [view.number]


async def test_a_category_outside_the_taxonomy_is_refused(slips: Slips) -> None:
    view = await slips.issue(triage=triage(low_confidence=True))
    with pytest.raises(InvalidInput) as exc:
        await slips.service.act(view.number, "dispatch", DISPATCHER,
                                data={"department": "D-CGJ", "category": "城乡建设/屋顶救人"})
    assert exc.value.field == "category"
    assert (await slips.row(view.number)).status == "accepted"
    # left alone, the category stays and no correction is recorded
    done = await slips.service.act(view.number, "dispatch", DISPATCHER,
                                   data={"department": "D-CGJ", "category": ""})
    assert done.category == view.category
    assert "category" not in (await slips.events(view.number))[-1].data
