"""Whole conversations with the engine: fake slip desk, triage and gazetteer; real rasa-sdk."""

from __future__ import annotations

import asyncio

import pytest

from dialogs.engine import DialogEngine
from dialogs.state import STATE_VERSION
from dialogs.text import local_time
from tests.dialogs.conftest import COMPLETE, Clock, Resident, issued
from tests.dialogs.fakes import FakeDesk

pytestmark = pytest.mark.usefixtures("one_question_per_reply")


# -- intake ------------------------------------------------------------------------------------
async def test_a_complete_first_message_reaches_a_slip_in_two_turns(
    resident: Resident, desk: FakeDesk
) -> None:
    summary = await resident.say(COMPLETE)
    assert "请核对" in summary and "建新北路12号门口" in summary and "138****5678" in summary
    assert "两天了" in summary
    issued = await resident.say("确认")
    (slip,) = desk.of(resident.openid)
    assert slip.number in issued and "区城市管理局" in issued and "办理期限" in issued
    assert "我的工单" in issued  # how to query it
    assert slip.draft.phone == "13812345678" and slip.draft.location_text == "建新北路12号门口"
    assert slip.draft.description == "建新北路12号门口井盖丢了两天了"  # the number is not in it
    assert slip.draft.area and slip.draft.area["street"] == "观音桥街道"
    assert slip.draft.idempotency_key == f"{resident.openid}:m:2"  # the confirming message
    assert desk.phones[resident.openid] == "13812345678"


async def test_only_what_is_missing_is_asked_one_thing_at_a_time(resident: Resident) -> None:
    first = await resident.say("小区门口的路灯坏了三天了")
    assert "什么地方" in first and "电话" not in first
    second = await resident.say("鲤鱼池小区3栋")
    assert "联系电话" in second
    summary = await resident.say("13912345678")
    assert "鲤鱼池小区3栋" in summary and "鲤鱼池社区" in summary and "三天了" in summary


async def test_a_remembered_phone_is_offered_back(resident: Resident, desk: FakeDesk) -> None:
    desk.phones[resident.openid] = "13800001234"
    assert "还用 138****1234 联系您吗" in await resident.say("建新北路12号井盖丢了")
    assert "请核对" in await resident.say("是的")
    await resident.say("确认")
    assert desk.of(resident.openid)[0].draft.phone == "13800001234"


async def test_a_new_number_instead_of_the_remembered_one(
    resident: Resident, desk: FakeDesk
) -> None:
    desk.phones[resident.openid] = "13800001234"
    await resident.say("建新北路12号井盖丢了")
    assert "联系电话" in await resident.say("不是")
    assert "139****5678" in await resident.say("13912345678")


async def test_a_wrong_number_is_explained_and_asked_again(resident: Resident) -> None:
    await resident.say("建新北路12号井盖丢了")
    assert "号码好像不对" in await resident.say("1381234")
    assert "请核对" in await resident.say("13812345678")


# -- corrections -------------------------------------------------------------------------------
async def test_a_corrected_address_replaces_the_old_one(
    resident: Resident, desk: FakeDesk
) -> None:
    await resident.say("观音桥步行街的井盖丢了，电话13812345678")
    summary = await resident.say("地址不对，是建新北路12号")
    assert "地点：建新北路12号" in summary and "地点：观音桥步行街" not in summary
    await resident.say("确认")
    assert desk.of(resident.openid)[0].draft.location_text == "建新北路12号"


async def test_a_corrected_phone_replaces_the_old_one(resident: Resident, desk: FakeDesk) -> None:
    await resident.say(COMPLETE)
    assert "139****0000" in await resident.say("电话换成13900000000")
    await resident.say("确认")
    assert desk.of(resident.openid)[0].draft.phone == "13900000000"


async def test_a_correction_without_the_new_value_asks_for_it(resident: Resident) -> None:
    await resident.say(COMPLETE)
    assert "什么地方" in await resident.say("地址不对")
    summary = await resident.say("建新东路8号")
    assert "地点：建新东路8号" in summary


async def test_no_then_the_change(resident: Resident) -> None:
    await resident.say(COMPLETE)
    assert "要改哪里" in await resident.say("不对")
    assert "问题：井盖被偷了" in await resident.say("问题写错了，是井盖被偷了")


# -- cancel and restart ------------------------------------------------------------------------
@pytest.mark.parametrize("before", [[], ["小区门口的路灯坏了"], [COMPLETE]])
async def test_cancel_works_from_any_step(
    resident: Resident, desk: FakeDesk, before: list[str]
) -> None:
    for text in before:
        await resident.say(text)
    reply = await resident.say("取消")
    assert ("已取消" if before else "没有正在填写") in reply
    assert "没有需要确认" in await resident.say("确认")
    assert desk.of(resident.openid) == []


async def test_restart_forgets_the_draft_and_asks_for_the_problem(
    resident: Resident, desk: FakeDesk
) -> None:
    await resident.say(COMPLETE)
    reply = await resident.say("重新开始")
    assert "重新开始" in reply and "遇到了什么问题" in reply
    summary = await resident.say("鲤鱼池小区的化粪池满了，电话13912345678")
    assert "地点：建新北路" not in summary and "化粪池" in summary


# -- emergencies -------------------------------------------------------------------------------
async def test_danger_gets_the_emergency_advice_first_and_is_still_recorded(
    resident: Resident, desk: FakeDesk
) -> None:
    reply = await resident.say("鲤鱼池小区5栋楼下着火了！")
    assert reply.startswith("请立即拨打119")
    (slip,) = desk.of(resident.openid)
    assert slip.number in reply and slip.draft.location_text == "鲤鱼池小区5栋楼下"
    assert "具体地点" not in reply  # the place is known already


async def test_danger_in_the_middle_of_another_report(resident: Resident, desk: FakeDesk) -> None:
    await resident.say("路灯坏了")
    reply = await resident.say("等一下，我家煤气泄漏了")
    assert reply.startswith("请立即拨打119") and "具体地点" in reply
    assert len(desk.of(resident.openid)) == 1
    assert "补充到交办单" in await resident.say("建新北路12号3单元")


async def test_the_place_and_phone_sent_after_an_emergency_go_onto_its_slip(
    resident: Resident, desk: FakeDesk
) -> None:
    reply = await resident.say("我家煤气泄漏了")
    assert "具体地点和联系电话" in reply  # neither is known yet
    (slip,) = desk.of(resident.openid)
    reply = await resident.say("建新北路12号3单元，电话13812345678")
    assert "已把地点“建新北路12号3单元”和联系电话 138****5678 补充到交办单" in reply
    assert slip.number in reply
    assert slip.details[-1]["location_text"] == "建新北路12号3单元"
    assert slip.details[-1]["phone"] == "13812345678"


# -- pauses and stored state -------------------------------------------------------------------
async def test_after_a_long_pause_the_resident_is_asked_whether_to_continue(
    resident: Resident, clock: Clock
) -> None:
    await resident.say("小区门口的路灯坏了三天了")
    clock.advance(31)
    prompt = await resident.say("鲤鱼池小区")
    assert "还没有提交" in prompt and "路灯坏了" in prompt and "继续" in prompt
    resumed = await resident.say("继续")
    # the place sent with the question answers the place question: the phone comes next
    assert "接着办" in resumed and "联系电话" in resumed and "什么地方" not in resumed


async def test_a_short_pause_continues_silently(resident: Resident, clock: Clock) -> None:
    await resident.say("小区门口的路灯坏了三天了")
    clock.advance(29)
    assert "联系电话" in await resident.say("鲤鱼池小区")


async def test_a_new_problem_after_a_pause_starts_over_with_it(
    resident: Resident, clock: Clock, desk: FakeDesk
) -> None:
    await resident.say("小区门口的路灯坏了")
    clock.advance(120)
    await resident.say("建新北路12号的下水道堵了，电话13812345678")
    summary = await resident.say("重新开始")
    assert "下水道堵了" in summary and "路灯" not in summary


@pytest.mark.parametrize("stored", [
    {"version": STATE_VERSION + 1, "slots": {"awaiting_confirmation": True}},
    {"version": 0, "slots": {}},
    {"version": STATE_VERSION, "slots": "garbage"},
])
async def test_state_this_version_cannot_read_starts_fresh(
    resident: Resident, engine: DialogEngine, stored: dict
) -> None:
    await engine.store.save_state(engine.state_key(resident.openid), stored, 600)
    assert "没有需要确认" in await resident.say("确认")
    saved = await engine.store.load_state(engine.state_key(resident.openid))
    assert saved and saved["version"] == STATE_VERSION


# -- never two slips ---------------------------------------------------------------------------
async def test_a_crash_after_issuing_does_not_issue_again(
    resident: Resident, desk: FakeDesk
) -> None:
    await resident.say(COMPLETE)
    real_issue = desk.issue

    async def issue_then_die(draft):  # type: ignore[no-untyped-def]
        await real_issue(draft)
        raise SystemExit("the process died after the slip was committed")

    desk.issue = issue_then_die  # type: ignore[method-assign]
    with pytest.raises(SystemExit):
        await resident.say("确认")
    desk.issue = real_issue  # type: ignore[method-assign]
    reply = await resident.say("确认")  # a new message, not WeChat's retry
    (slip,) = desk.of(resident.openid)
    assert slip.number in reply


async def test_the_same_confirmation_processed_twice_issues_one_slip(
    resident: Resident, desk: FakeDesk
) -> None:
    await resident.say(COMPLETE)
    confirm = resident.message("text", "确认")
    await resident.send(confirm)
    await resident.send(confirm)
    assert len(desk.of(resident.openid)) == 1


async def test_two_confirmations_at_once_issue_one_slip(
    resident: Resident, desk: FakeDesk
) -> None:
    await resident.say(COMPLETE)
    replies = await asyncio.gather(resident.say("确认"), resident.say("确认"))
    assert len(desk.of(resident.openid)) == 1
    assert sum("交办单号" in r for r in replies) == 1


async def test_a_failed_issue_keeps_the_draft_for_another_try(
    resident: Resident, desk: FakeDesk
) -> None:
    await resident.say(COMPLETE)
    desk.fail_next = True
    assert "出了点问题" in await resident.say("确认")
    assert "交办单号" in await resident.say("确认")
    assert len(desk.of(resident.openid)) == 1


# -- after the slip ----------------------------------------------------------------------------
async def test_messages_while_a_slip_is_open_are_added_to_it(
    resident: Resident, desk: FakeDesk
) -> None:
    number = await issued(resident, desk)
    assert number in await resident.say("现在更严重了，都漫到路上了")
    await resident.photo("PHOTO7")
    assert desk.slips[number].followups == [
        ("现在更严重了，都漫到路上了", []), (None, [{"type": "image", "media_id": "PHOTO7"}])
    ]


async def test_new_problem_turns_the_last_follow_up_into_a_report(
    resident: Resident, desk: FakeDesk
) -> None:
    await issued(resident, desk)
    await resident.say("另外鲤鱼池小区的路灯也坏了")  # marked as another matter: a new report
    assert len(desk.of(resident.openid)) == 1
    assert "还用 138****5678" in resident.replies[-1]  # the phone given with the first slip


async def test_status_by_number_and_my_slips(resident: Resident, desk: FakeDesk) -> None:
    number = await issued(resident, desk)
    desk.slips[number].last_staff_reply = "明天上午派人去看"
    by_number = await resident.say(f"{number} 怎么样了")
    assert "当前状态：已派单" in by_number and "明天上午派人去看" in by_number
    assert "办理期限" in by_number
    assert number in await resident.say("我的工单")
    assert "没有找到" in await resident.say("JB2020010100001")


async def test_survey_satisfied(resident: Resident, desk: FakeDesk) -> None:
    number = await issued(resident, desk)
    desk.close(number)
    assert "感谢您的评价" in await resident.say("1 已解决")
    assert desk.slips[number].surveys == [("满意", True, None)]


async def test_survey_unsatisfied_asks_why_then_reopens(
    resident: Resident, desk: FakeDesk
) -> None:
    number = await issued(resident, desk)
    desk.close(number)
    old_due = desk.slips[number].due_at
    assert "哪里不满意" in await resident.say("3")
    reopened = await resident.say("根本没人来修")
    # One message: reopened, by whom, and the new deadline (not the old one).
    assert f"交办单 {number} 已重新交区城市管理局办理" in reopened
    assert f"新的办理期限是{local_time(desk.slips[number].due_at)}" in reopened
    assert local_time(old_due) not in reopened
    assert desk.slips[number].surveys == [("不满意", False, "根本没人来修")]


async def test_unsatisfied_with_a_reason_in_one_message(
    resident: Resident, desk: FakeDesk
) -> None:
    number = await issued(resident, desk)
    desk.close(number)
    assert "已重新交区城市管理局办理" in await resident.say("不满意，根本没人来")
    assert desk.slips[number].surveys[0][2] == "根本没人来"


async def test_unsatisfied_past_the_reopen_limit_is_not_called_a_reopening(
    resident: Resident, desk: FakeDesk
) -> None:
    number = await issued(resident, desk)
    desk.reopen_limit = 0
    desk.close(number)
    reply = await resident.say("不满意，根本没人来")
    assert "不满意" in reply and "重新" not in reply and "办理期限" not in reply
    assert desk.slips[number].status == "已评价"


# -- media, events and everything else ---------------------------------------------------------
async def test_voice_with_recognition_is_text(resident: Resident) -> None:
    reply = await resident.voice(COMPLETE)
    assert reply.startswith("您说的是") and "请核对" in reply and "语音：1条" in reply


async def test_voice_without_recognition_asks_to_type(resident: Resident) -> None:
    assert "打字" in await resident.voice("")


async def test_photo_first_then_the_problem(resident: Resident, desk: FakeDesk) -> None:
    assert "照片已收到" in await resident.photo("P1")
    assert "照片：1张" in await resident.say(COMPLETE)
    await resident.say("确认")
    assert desk.of(resident.openid)[0].draft.media == [{"type": "image", "media_id": "P1"}]


async def test_location_first_then_the_problem(resident: Resident, desk: FakeDesk) -> None:
    assert "位置已收到：北城天街" in await resident.location(29.5728, 106.5332, "北城天街")
    await resident.say("这里垃圾没人收，电话13812345678")
    await resident.say("确认")
    draft = desk.of(resident.openid)[0].draft
    assert (draft.lat, draft.location_text) == (29.5728, "北城天街")


async def test_subscribe_and_menu(resident: Resident) -> None:
    assert "欢迎关注" in await resident.event("subscribe")
    assert "还没有在这里反映过" in await resident.event("click", "QUERY")
    assert "遇到了什么问题" in await resident.event("click", "REPORT")
    assert "菜单暂时没有内容" in await resident.event("click", "NO-SUCH-KEY")


async def test_a_question_in_the_middle_is_answered_then_the_form_goes_on(
    resident: Resident,
) -> None:
    await resident.say("小区门口的路灯坏了")
    reply = await resident.say("12345是什么？")
    assert "政务服务便民热线" in reply and reply.rstrip().endswith("发送位置。")


async def test_the_fallback_says_what_the_resident_can_do(resident: Resident) -> None:
    reply = await resident.say("asdf")
    assert "直接说遇到的问题" in reply and "12345" in reply


async def test_a_bare_number_follows_the_numbered_help_when_no_survey_waits(
    resident: Resident,
) -> None:
    assert "回复“查询”" in await resident.say("帮助")
    assert "还没有在这里反映过" in await resident.say("2")
    assert "遇到了什么问题" in await resident.say("1")


async def test_time_and_markers_are_tidied_for_the_slip(resident: Resident, desk: FakeDesk) -> None:
    await issued(resident, desk)
    await resident.say("另外，鲤鱼池小区停水两天了，一直没人管")
    summary = await resident.say("是")
    assert "问题：鲤鱼池小区停水两天了" in summary and "时间：两天了\n" in summary


async def test_after_a_failed_issue_the_resident_may_still_cancel(
    resident: Resident, desk: FakeDesk
) -> None:
    await resident.say(COMPLETE)
    desk.fail_next = True
    assert "出了点问题" in await resident.say("确认")
    assert "已取消" in await resident.say("取消")
    assert desk.of(resident.openid) == [] and desk.issue_calls == 1
