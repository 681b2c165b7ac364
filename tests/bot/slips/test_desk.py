"""The SlipDesk adapter: what the conversation layer gets from the slip service."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.slips.desk import SlipDeskAdapter
from dialogs import ports
from tests.bot.slips.conftest import (
    DISPATCHER,
    HANDLER,
    OPENID,
    OTHER_RESIDENT,
    Slips,
    draft,
    triage,
)

CQ = ZoneInfo("Asia/Shanghai")


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
    assert issued.lead == "区城市管理局"
    assert issued.status_label == "已交给区城市管理局，等待签收"  # dispatched, not signed yet
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


async def test_a_follow_up_fills_in_the_place_and_phone_a_slip_lacks(
    desk: SlipDeskAdapter, slips: Slips
) -> None:
    bare = await slips.issue("楼道里有很大的煤气味")  # an emergency slip: issued at once
    details = {"location_text": "建新北路12号3单元", "street": "观音桥街道",
               "phone": "13812345678"}
    await desk.add_followup(OPENID, bare.number, "建新北路12号3单元，电话13812345678", [],
                            details)
    row = await slips.row(bare.number)
    assert (row.location_text, row.street, row.phone) == (
        "建新北路12号3单元", "观音桥街道", "13812345678")
    assert "13812345678" not in str((await slips.events(bare.number))[-1].data)

    placed = await slips.issue(location_text="鲤鱼池小区5栋", phone="13900000000")
    await desk.add_followup(OPENID, placed.number, "对面也有", [],
                            {"location_text": "对面小区", "phone": "13812345678"})
    row = await slips.row(placed.number)
    assert (row.location_text, row.phone) == ("鲤鱼池小区5栋", "13900000000")  # kept


async def test_the_survey_round_trip(desk: SlipDeskAdapter, slips: Slips) -> None:
    view = await slips.issue()
    assert await desk.awaiting_survey(OPENID) is None
    await slips.service.act(view.number, "sign", HANDLER)
    await slips.service.act(view.number, "close", HANDLER, data={"result": "已修复"})
    waiting = await desk.awaiting_survey(OPENID)
    assert waiting is not None and waiting.number == view.number and waiting.status == "待评价"
    assert (await desk.open_slip_of(OPENID)) is None
    after = await desk.record_survey(OPENID, view.number, "不满意", False, "还是不亮")
    assert after.status == "已交给区城市管理局，等待签收"  # reopened: to be signed again
    # the result the resident just called unsolved is not shown back as the latest reply
    assert after.last_staff_reply is None
    assert (await desk.status(view.number, OPENID)).last_staff_reply is None
    with pytest.raises(ValueError, match="不能"):
        await desk.record_survey(OPENID, view.number, "满意", True, None)
    await slips.service.act(view.number, "sign", HANDLER)
    await slips.service.act(view.number, "close", HANDLER, data={"result": "再修"})
    with pytest.raises(ValueError, match="评价只能是"):
        await desk.record_survey(OPENID, view.number, "很好", None, None)


async def test_an_unsatisfied_answer_in_the_chat_reopens_with_one_message_and_a_new_deadline(
    desk: SlipDeskAdapter, slips: Slips
) -> None:
    """Issued, closed and answered 不满意 on the same day (the fixed clock): the chat's reply
    is the resident's only message about it, and the deadline is a new one."""
    view = await slips.issue()
    await slips.service.act(view.number, "sign", HANDLER)
    await slips.service.act(view.number, "reply", HANDLER, note="已派人查看")
    await slips.service.act(view.number, "close", HANDLER, data={"result": "已修复"})
    before = len(await slips.outbox(view.number))
    after = await desk.record_survey(OPENID, view.number, "不满意", False, "还是不亮")
    assert after.is_open and after.lead == "区城市管理局"
    assert after.due_at is not None and view.due_at is not None and after.due_at > view.due_at
    new = [(n.kind, n.audience) for n in (await slips.outbox(view.number))[before:]]
    assert new == [("reopened_staff", "staff")]  # the chat's reply tells the resident
    staff = (await slips.outbox(view.number))[-1]
    day = after.due_at.astimezone(CQ)
    assert f"新的办结时限为 {day.year}年{day.month}月{day.day}日" in staff.text
    reopen = (await slips.events(view.number))[-1]
    assert reopen.action == "reopen"
    assert datetime.fromisoformat(reopen.data["previous_due_at"]) == view.due_at
    assert datetime.fromisoformat(reopen.data["due_at"]) == after.due_at
    shown = await slips.service.get(view.number, HANDLER)
    assert shown.due_at == after.due_at and shown.status == "dispatched"


async def test_a_rating_can_be_changed_and_a_later_unsatisfied_reopens(
    desk: SlipDeskAdapter, slips: Slips
) -> None:
    view = await slips.issue()
    await slips.service.act(view.number, "sign", HANDLER)
    await slips.service.act(view.number, "close", HANDLER, data={"result": "已打扫"})
    rated = await desk.record_survey(OPENID, view.number, "满意", True, None)
    assert rated.is_open is False
    after = await desk.record_survey(OPENID, view.number, "不满意", False, "又脏了")
    assert after.is_open and after.status == "已交给区城市管理局，等待签收"


async def test_an_archived_slip_is_final_for_its_resident_and_keeps_its_rating(
    desk: SlipDeskAdapter, slips: Slips
) -> None:
    """The chat tells a resident that a slip archived since their rating can no longer be
    rated (`final`); a rating sent anyway changes nothing."""
    view = await slips.issue()
    await slips.service.act(view.number, "sign", HANDLER)
    await slips.service.act(view.number, "close", HANDLER, data={"result": "已打扫"})
    rated = await desk.record_survey(OPENID, view.number, "满意", True, None)
    assert rated.final is False
    await slips.service.act(view.number, "archive", DISPATCHER)
    shown = await desk.status(view.number, OPENID)
    assert shown is not None and shown.final and shown.is_open is False
    with pytest.raises(ValueError):
        await desk.record_survey(OPENID, view.number, "不满意", False, "又脏了")
    kept = await slips.service.get(view.number, DISPATCHER)
    assert kept.status == "archived" and kept.reopen_count == 0


async def test_past_the_reopen_limit_the_chat_answer_is_only_recorded(
    desk: SlipDeskAdapter, slips: Slips
) -> None:
    view = await slips.issue()
    for _ in range(3):
        await slips.service.act(view.number, "sign", HANDLER)
        await slips.service.act(view.number, "close", HANDLER, data={"result": "已修复"})
        after = await desk.record_survey(OPENID, view.number, "不满意", False, "还是不亮")
    assert after.is_open is False and after.status == "已办结"


async def test_phone_numbers_are_remembered_per_resident(desk: SlipDeskAdapter) -> None:
    assert await desk.known_phone(OPENID) is None
    await desk.remember_phone(OPENID, "13800138000")
    assert await desk.known_phone(OPENID) == "13800138000"
    await desk.remember_phone(OPENID, " 023-67001234 ")
    assert await desk.known_phone(OPENID) == "023-67001234"
    assert await desk.known_phone(OTHER_RESIDENT.id) is None


async def test_a_resident_withdraws_their_own_open_slip(desk: SlipDeskAdapter, slips: Slips) -> None:
    mine = await slips.issue()
    theirs = await slips.issue("楼上漏水", openid=OTHER_RESIDENT.id)
    with pytest.raises(LookupError):
        await desk.withdraw(OPENID, theirs.number, None)
    after = await desk.withdraw(OPENID, mine.number, "自己修好了")
    assert after.status == "已撤销" and not after.is_open
    kinds = [(n.kind, n.audience) for n in await slips.outbox(mine.number)]
    assert ("withdrawn_staff", "staff") in kinds  # the department is told
    assert ("withdrawn", "resident") not in kinds  # the chat's own reply says it
    with pytest.raises(ValueError):
        await desk.withdraw(OPENID, mine.number, None)
