"""Survey, status and contact (fifth product review): thanks after a rating, a survey answer for
a slip someone else reopened, calls promised to residents who left no phone, who handles a slip
and when it is done, and withdrawal in everyday words."""

from __future__ import annotations

import pytest

from dialogs.kit import DialogKit
from dialogs.text import local_time
from tests.dialogs.conftest import COMPLETE, Resident, issued
from tests.dialogs.fakes import NOW, FakeDesk

pytestmark = pytest.mark.usefixtures("one_question_per_reply")


@pytest.fixture(autouse=True)
def now(kit: DialogKit) -> None:
    kit.clock = lambda: NOW


async def rated_basic(resident: Resident, desk: FakeDesk) -> str:
    number = await issued(resident, desk)
    desk.close(number)
    assert "已记录为“基本满意”" in await resident.say("2")
    return number


@pytest.mark.parametrize(("said", "verdict", "comment"), [
    ("还行吧 就是来得有点慢", "基本满意", "就是来得有点慢"),
    ("满意，师傅态度很好", "满意", "师傅态度很好"),
    ("2", "基本满意", None),
    ("很满意", "满意", None),
    ("1 已解决", "满意", None),  # solved: recorded as such
    ("1 很满意 谢谢你们", "满意", None),  # thanks, not an opinion
    ("2 谢谢 不过来得有点慢", "基本满意", "谢谢 不过来得有点慢"),
    ("满意[强]", "满意", None),
])
async def test_what_a_satisfied_resident_says_besides_the_verdict_is_kept(
    resident: Resident, desk: FakeDesk, said: str, verdict: str, comment: str | None
) -> None:
    """"还行吧 就是来得有点慢" was recorded as 基本满意 and the rest was lost (demo walk)."""
    number = await issued(resident, desk)
    desk.close(number)
    reply = await resident.say(said)
    assert f"已记录为“{verdict}”" in reply
    assert [(v, c) for v, _, c in desk.slips[number].surveys] == [(verdict, comment)]
    assert ("意见也记在交办单上" in reply) == (comment is not None)


# -- 1. thanks after a rating is not a new rating ------------------------------------------------
@pytest.mark.parametrize("said", ["谢谢你们哈", "谢谢", "辛苦了", "[强]"])
async def test_thanks_after_a_rating_changes_nothing(
    resident: Resident, desk: FakeDesk, said: str
) -> None:
    number = await rated_basic(resident, desk)
    reply = await resident.say(said)
    assert "评价已改为" not in reply
    assert desk.slips[number].surveys == [("基本满意", None, None)]


@pytest.mark.parametrize(("said", "verdict"), [
    ("改成满意", "满意"), ("其实挺满意的", "满意"),
])
async def test_an_explicit_rerating_changes_it(
    resident: Resident, desk: FakeDesk, said: str, verdict: str
) -> None:
    number = await rated_basic(resident, desk)
    reply = await resident.say(said)
    assert f"交办单 {number} 的评价已改为“{verdict}”" in reply
    assert [s[0] for s in desk.slips[number].surveys] == ["基本满意", verdict]


# -- 1b. a bare number after a rating never changes it silently ----------------------------------
@pytest.mark.parametrize("later_minutes", [1, 2 * 24 * 60], ids=["at-once", "two-days-later"])
@pytest.mark.parametrize("yes", ["是", "1"])
async def test_a_bare_number_after_a_rating_is_asked_about_first(
    resident: Resident, desk: FakeDesk, later_minutes: int, yes: str
) -> None:
    """A "1" sent within three days of a rating changed it without a word of warning (it may
    answer something else, or be a slip of the finger)."""
    number = await rated_basic(resident, desk)
    resident.clock.advance(later_minutes)
    asked = await resident.say("1")
    assert f"您之前对交办单 {number} 的评价是“基本满意”。要改成“满意”吗" in asked
    assert "已改为" not in asked and desk.slips[number].surveys == [("基本满意", None, None)]
    reply = await resident.say(yes)  # "是", or the same number again
    assert f"交办单 {number} 的评价已改为“满意”" in reply
    assert [s[0] for s in desk.slips[number].surveys] == ["基本满意", "满意"]


@pytest.mark.parametrize("again", ["2", "2。", "基本满意", "还是基本满意"])
async def test_the_same_rating_again_is_told_it_is_recorded(
    resident: Resident, desk: FakeDesk, again: str
) -> None:
    """A number tapped twice was the help menu's "2" (the status card), a "1" twice started a new
    report with "请说说遇到了什么问题", and "满意" after "1" said the rating was "改为“满意”" and
    recorded it a second time."""
    number = await rated_basic(resident, desk)
    reply = await resident.say(again)
    assert f"交办单 {number} 已经记录为“基本满意”了" in reply, reply
    assert "已改为" not in reply and "遇到了什么问题" not in reply
    assert desk.slips[number].surveys == [("基本满意", None, None)]
    assert [s.number for s in desk.of(resident.openid)] == [number]


async def test_a_satisfied_resident_tapping_one_twice_starts_no_report(
    resident: Resident, desk: FakeDesk
) -> None:
    number = await issued(resident, desk)
    desk.close(number)
    assert "已记录为“满意”" in await resident.say("1")
    assert "已经记录为“满意”了" in await resident.say("1")
    reply = await resident.say("满意")
    assert "已经记录为“满意”了" in reply and "什么地方" not in reply, reply
    assert desk.slips[number].surveys == [("满意", None, None)]


@pytest.mark.parametrize("then", ["谢谢", "我的工单", "不是"])
async def test_a_bare_number_not_confirmed_leaves_the_rating(
    resident: Resident, desk: FakeDesk, then: str
) -> None:
    number = await rated_basic(resident, desk)
    await resident.say("1")
    assert "已改为" not in await resident.say(then)
    assert "已改为" not in await resident.say("是")  # the question is gone by now
    assert desk.slips[number].surveys == [("基本满意", None, None)]


async def test_a_bare_number_in_the_middle_of_a_report_is_no_rating(
    resident: Resident, desk: FakeDesk
) -> None:
    number = await rated_basic(resident, desk)
    asked = await resident.say("鲤鱼池小区3栋楼道灯坏了")
    assert "联系您" in asked or "联系电话" in asked
    reply = await resident.say("1")  # a wrong answer to the phone question
    assert "评价" not in reply and "号码好像不对" in reply
    assert desk.slips[number].surveys == [("基本满意", None, None)]


@pytest.mark.parametrize("no", ["不改", "打错了", "不是"])
async def test_a_bare_3_after_a_rating_asks_why_and_no_keeps_it(
    resident: Resident, desk: FakeDesk, no: str
) -> None:
    number = await rated_basic(resident, desk)
    asked = await resident.say("3")
    assert "评价是“基本满意”" in asked and "哪里不满意" in asked and "不改" in asked
    assert desk.slips[number].surveys == [("基本满意", None, None)]
    reply = await resident.say(no)
    assert f"交办单 {number} 的评价没有改，还是“基本满意”" in reply
    assert desk.slips[number].surveys == [("基本满意", None, None)]
    assert desk.slips[number].status == "已评价"


async def test_a_bare_3_after_a_rating_with_a_reason_reopens_the_slip(
    resident: Resident, desk: FakeDesk
) -> None:
    number = await rated_basic(resident, desk)
    await resident.say("3")
    reply = await resident.say("井盖又松了，踩上去一直晃")
    assert f"交办单 {number} 已重新交" in reply
    assert desk.slips[number].surveys[-1] == ("不满意", None, "井盖又松了，踩上去一直晃")
    assert desk.slips[number].status == "重办"


# -- 2. a survey answer for a slip someone else reopened meanwhile --------------------------------
@pytest.mark.parametrize("said", ["1", "满意", "3 还是脏得很"])
async def test_an_answer_for_a_slip_reopened_by_someone_else_is_about_that_slip(
    resident: Resident, desk: FakeDesk, said: str
) -> None:
    number = await issued(resident, desk)
    slip = desk.slips[number]
    # surveyed, then another resident's 不满意 (their slip was merged into this one) reopened it
    slip.status, slip.reopen_count, slip.signed_at = "已派单", 1, None
    reply = await resident.say(said)
    assert "请说说遇到了什么问题" not in reply
    assert f"交办单 {number} 已经重新交区城市管理局办理，办好后会再请您评价" in reply
    assert len(desk.of(resident.openid)) == 1 and slip.surveys == []
    if said.startswith("3"):
        assert slip.followups == [(said, [])]  # their words reach the handler


async def test_a_digit_with_no_reopened_slip_is_still_the_menu(
    resident: Resident, desk: FakeDesk
) -> None:
    await issued(resident, desk)
    assert "请说说遇到了什么问题" in await resident.say("1")


# -- 4. no phone: nobody promises to call -------------------------------------------------------
async def test_an_urgent_slip_without_a_phone_is_answered_in_wechat(
    resident: Resident, desk: FakeDesk
) -> None:
    await resident.say("我们小区停水两天了，建新北路12号")
    await resident.say("不留")
    reply = await resident.say("确认")
    if "紧急诉求" in reply:
        assert "在微信里回复您" in reply and "与您联系" not in reply
    number = desk.of(resident.openid)[-1].number
    desk.slips[number].urgency = "紧急"
    status = await resident.say(f"{number} 怎么样了")
    assert "在微信里回复您" in status and "与您联系" not in status


async def test_an_ordinary_slip_without_a_phone_promises_no_call(
    resident: Resident, desk: FakeDesk
) -> None:
    await resident.say("建新北路12号门口井盖丢了两天了")
    await resident.say("不留")
    reply = await resident.say("确认")
    assert "联系您" not in reply and "与您联系" not in reply


# -- 5. the department, the state and the deadline ------------------------------------------------
async def test_the_status_reply_names_the_department_and_the_deadline(
    resident: Resident, desk: FakeDesk
) -> None:
    number = await issued(resident, desk)
    slip = desk.slips[number]
    slip.urgency = "紧急"
    reply = await resident.say("我的工单")
    assert "承办部门：区城市管理局" in reply
    assert f"办理期限：{local_time(slip.due_at)}" in reply


async def test_an_ordinary_slip_not_signed_yet_says_when_someone_will_be_in_touch(
    resident: Resident, desk: FakeDesk
) -> None:
    """The issued message promised "…前联系您"; asked again before a department signed, the
    status says it again (it had only the completion date days away)."""
    number = await issued(resident, desk)
    slip = desk.slips[number]
    slip.urgency = "一般"
    assert slip.response_due_at is not None
    reply = await resident.say("我的工单")
    assert f"工作人员会在{local_time(slip.response_due_at)}前联系您" in reply
    slip.signed_at = NOW  # signed: the department is on it, the completion date stands
    reply = await resident.say("我的工单")
    assert "前联系您" not in reply and f"办理期限：{local_time(slip.due_at)}" in reply


async def test_an_ordinary_slip_without_a_phone_is_answered_in_the_chat(
    resident: Resident, desk: FakeDesk
) -> None:
    await resident.say("建新北路12号门口井盖丢了两天了")
    await resident.say("不留")
    await resident.say("确认")
    number = desk.of(resident.openid)[-1].number
    reply = await resident.say(f"{number} 怎么样了")
    assert "前在微信里答复您" in reply and "联系您" not in reply


@pytest.mark.parametrize("said", ["这个事情是哪个在管嘛", "哪个部门在管我这个事 电话多少",
                                  "好久能修好"])
async def test_who_handles_it_and_when_is_answered_from_the_open_slip(
    resident: Resident, desk: FakeDesk, said: str
) -> None:
    number = await issued(resident, desk)
    reply = await resident.say(said)
    slip = desk.slips[number]
    assert f"交办单 {number}" in reply and "承办部门：区城市管理局" in reply
    assert f"办理期限：{local_time(slip.due_at)}" in reply
    assert slip.followups == []  # not filed as more about the slip
    assert "没太看明白" not in reply
    if "电话" in said:
        assert "没有对外公布电话" in reply and "12345" in reply


async def test_who_handles_it_with_no_slip_says_there_is_none(resident: Resident) -> None:
    assert "还没有在这里反映过问题" in await resident.say("这个事情是哪个在管嘛")


# -- 6. withdrawal in everyday words ------------------------------------------------------------
@pytest.mark.parametrize("said", ["算了 不要你们管了 我自己去找劳动局", "不用你们管了",
                                  "我不反映了", "撤回", "取消"])
async def test_withdrawal_in_everyday_words_asks_to_confirm(
    resident: Resident, desk: FakeDesk, said: str
) -> None:
    number = await issued(resident, desk)
    asked = await resident.say(said)
    assert f"是要撤回交办单 {number}" in asked
    assert desk.slips[number].followups == [] and desk.slips[number].withdrawn is None
    assert "已撤回" in await resident.say("是")
    assert desk.slips[number].status == "已撤销"


async def test_a_cancelled_benefit_is_not_a_withdrawal(
    resident: Resident, desk: FakeDesk
) -> None:
    number = await issued(resident, desk)
    assert "撤回" not in await resident.say("我的低保被取消了，建新北路12号")
    assert desk.slips[number].status != "已撤销"


async def test_withdrawal_words_while_filling_a_report_cancel_the_draft(
    resident: Resident, desk: FakeDesk
) -> None:
    await resident.say(COMPLETE.split("，")[0])
    assert "已取消" in await resident.say("取消")
    assert desk.of(resident.openid) == []
