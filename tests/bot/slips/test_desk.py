"""The SlipDesk adapter: what the conversation layer gets from the slip service."""

from __future__ import annotations

import pytest

from bot.slips.desk import SlipDeskAdapter
from dialogs import ports
from tests.bot.slips.conftest import HANDLER, OPENID, OTHER_RESIDENT, Slips, draft, triage


@pytest.fixture
def desk(slips: Slips) -> SlipDeskAdapter:
    return SlipDeskAdapter(slips.service, slips.db, issued=ports.IssuedSlip,
                           status=ports.SlipStatus)


async def test_issue_answers_with_number_departments_and_deadlines(desk: SlipDeskAdapter) -> None:
    d = draft(triage=triage(lead="D-CGJ", co=("D-ZJW",)))
    issued = await desk.issue(ports.SlipDraft(**{f: getattr(d, f) for f in (
        "openid", "description", "idempotency_key", "triage")}, phone="13800138000"))
    assert isinstance(issued, ports.IssuedSlip)
    assert issued.number == "JB2026112500001"
    assert issued.departments == ["区城市管理局", "区住房城乡建委"]
    assert issued.lead == "区城市管理局" and issued.status_label == "办理中"
    assert issued.due_at is not None and issued.response_due_at is not None
    assert not issued.low_confidence and issued.advice == "您的诉求已受理。"
    again = await desk.issue(d)  # the same confirming message again
    assert again.number == issued.number


async def test_a_queued_slip_names_the_desk(desk: SlipDeskAdapter) -> None:
    issued = await desk.issue(draft(triage=triage(low_confidence=True)))
    assert issued.low_confidence and issued.departments == []
    assert issued.lead == "区民意交办中心" and issued.status_label == "已受理"


async def test_status_is_only_given_for_the_residents_own_slips(
    desk: SlipDeskAdapter, slips: Slips
) -> None:
    mine = await slips.issue()
    theirs = await slips.issue("楼上漏水", openid=OTHER_RESIDENT.id)
    await slips.service.act(mine.number, "sign", HANDLER)
    await slips.service.act(mine.number, "reply", HANDLER, note="明天上午来修")
    status = await desk.status(mine.number, OPENID)
    assert isinstance(status, ports.SlipStatus)
    assert (status.number, status.status, status.last_staff_reply) == (
        mine.number, "办理中", "明天上午来修"
    )
    assert status.summary == "小区门口的路灯坏了三天了"
    assert await desk.status(theirs.number, OPENID) is None
    assert await desk.status("JB2099010100001", OPENID) is None
    assert [s.number for s in await desk.slips_of(OPENID)] == [mine.number]


async def test_follow_ups_go_to_the_open_slip(desk: SlipDeskAdapter, slips: Slips) -> None:
    assert await desk.open_slip_of(OPENID) is None
    view = await slips.issue()
    open_slip = await desk.open_slip_of(OPENID)
    assert open_slip is not None and open_slip.number == view.number
    await desk.add_followup(OPENID, view.number, "又坏了一盏", [{"type": "image",
                                                                "media_id": "M1"}])
    events = await slips.events(view.number)
    assert (events[-1].action, events[-1].note) == ("followup", "又坏了一盏")
    with pytest.raises(LookupError):
        await desk.add_followup(OTHER_RESIDENT.id, view.number, "冒充", [])


async def test_the_survey_round_trip(desk: SlipDeskAdapter, slips: Slips) -> None:
    view = await slips.issue()
    assert await desk.awaiting_survey(OPENID) is None
    await slips.service.act(view.number, "sign", HANDLER)
    await slips.service.act(view.number, "close", HANDLER, data={"result": "已修复"})
    waiting = await desk.awaiting_survey(OPENID)
    assert waiting is not None and waiting.number == view.number and waiting.status == "待评价"
    assert (await desk.open_slip_of(OPENID)) is None
    after = await desk.record_survey(OPENID, view.number, "不满意", False, "还是不亮")
    assert after.status == "办理中"  # reopened
    with pytest.raises(ValueError, match="不能"):
        await desk.record_survey(OPENID, view.number, "满意", True, None)
    await slips.service.act(view.number, "sign", HANDLER)
    await slips.service.act(view.number, "close", HANDLER, data={"result": "再修"})
    with pytest.raises(ValueError, match="评价只能是"):
        await desk.record_survey(OPENID, view.number, "很好", None, None)


async def test_phone_numbers_are_remembered_per_resident(desk: SlipDeskAdapter) -> None:
    assert await desk.known_phone(OPENID) is None
    await desk.remember_phone(OPENID, "13800138000")
    assert await desk.known_phone(OPENID) == "13800138000"
    await desk.remember_phone(OPENID, " 023-67001234 ")
    assert await desk.known_phone(OPENID) == "023-67001234"
    assert await desk.known_phone(OTHER_RESIDENT.id) is None
