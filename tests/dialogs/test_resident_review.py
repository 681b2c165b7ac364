"""Conversations a reviewer had in the WeChat simulator, playing residents: what went wrong
then, and what the resident is told now."""

from __future__ import annotations

import pytest

from dialogs.kit import DialogKit
from tests.dialogs.conftest import Resident, issued
from tests.dialogs.fakes import FakeDesk

pytestmark = pytest.mark.usefixtures("one_question_per_reply")


async def closed_slip(resident: Resident, desk: FakeDesk) -> str:
    number = await issued(resident, desk)
    desk.close(number)
    return number


# -- 1. survey answers in everyday words -------------------------------------------------------
async def test_a_dissatisfied_survey_answer_in_dialect_reopens_the_slip(
    resident: Resident, desk: FakeDesk
) -> None:
    number = await closed_slip(resident, desk)
    said = "不咋个满意哦 晚上还是黑的嘛 你们到底来看过没得"
    reply = await resident.say(said)
    assert "什么地方" not in reply
    assert f"交办单 {number} 已重新交区城市管理局办理" in reply
    assert desk.slips[number].surveys == [
        ("不满意", False, "晚上还是黑的嘛 你们到底来看过没得")
    ]
    assert len(desk.of(resident.openid)) == 1  # no new complaint, no draft
    assert "请核对" not in await resident.say("确认")


@pytest.mark.parametrize("said", [
    "不太满意", "不怎么满意", "不咋个满意", "不满意",
])
async def test_negated_satisfaction_is_never_read_as_satisfied(
    resident: Resident, desk: FakeDesk, said: str
) -> None:
    number = await closed_slip(resident, desk)
    reply = await resident.say(said)
    assert "哪里不满意" in reply  # no reason yet: asked why
    assert "感谢您的评价" not in reply
    await resident.say("灯还是不亮")
    assert desk.slips[number].surveys == [("不满意", False, "灯还是不亮")]


@pytest.mark.parametrize("said", [
    "没解决", "还是没修好", "路灯还是黑的", "问题没解决，晚上还是黑的",
])
async def test_unsolved_while_a_survey_waits_is_an_unsatisfied_verdict(
    resident: Resident, desk: FakeDesk, said: str
) -> None:
    number = await closed_slip(resident, desk)
    reply = await resident.say(said)
    assert "已重新交区城市管理局办理" in reply
    assert desk.slips[number].surveys[0][0] == "不满意"
    assert desk.slips[number].surveys[0][2] == said


@pytest.mark.parametrize(("said", "verdict"), [
    ("满意", "满意"), ("挺好", "满意"), ("挺好的，谢谢你们", "满意"), ("很满意，修好了", "满意"),
    ("还可以", "基本满意"), ("基本满意", "基本满意"), ("还行吧", "基本满意"),
])
async def test_satisfied_answers_in_everyday_words(
    resident: Resident, desk: FakeDesk, said: str, verdict: str
) -> None:
    number = await closed_slip(resident, desk)
    reply = await resident.say(said)
    assert f"已记录为“{verdict}”" in reply
    assert desk.slips[number].surveys[0][0] == verdict


async def test_a_new_problem_while_a_survey_waits_is_still_a_new_report(
    resident: Resident, desk: FakeDesk
) -> None:
    number = await closed_slip(resident, desk)
    assert "联系" in await resident.say("鲤鱼池小区3栋门口的垃圾好几天没人收了")
    assert desk.slips[number].surveys == []


# -- 2. withdrawing a submitted slip -------------------------------------------------------------
async def test_a_resident_withdraws_a_slip_with_its_number(
    resident: Resident, desk: FakeDesk
) -> None:
    # "单号加上“已解决，不用办了”" only showed the status: the bot promised what it could not do
    number = await issued(resident, desk)
    # "取消" with a slip open and nothing being filled in: withdraw it? (asked, third review)
    told = await resident.say("取消")
    assert f"是要撤回交办单 {number}" in told
    assert "继续办理" in await resident.say("算了")
    assert desk.slips[number].withdrawn is None
    # with one slip open, which slip is meant is asked rather than how to name it
    asked = await resident.say("我想撤回交办单")
    assert f"是要撤回交办单 {number}" in asked
    assert "继续办理" in await resident.say("不是")
    assert desk.slips[number].status != "已撤销"
    reply = await resident.say(f"撤回 {number}")
    assert f"交办单 {number} 已撤回" in reply
    assert desk.slips[number].status == "已撤销"
    again = await resident.say(f"撤回{number}")  # already withdrawn: its status
    assert "已撤回" not in again and "已撤销" in again
    assert "办理期限" not in again  # no deadline left to tell


async def test_what_cannot_be_withdrawn_is_said_plainly(resident: Resident, desk: FakeDesk) -> None:
    number = await issued(resident, desk)
    assert "没有找到" in await resident.say("撤回 JB2026112599999")
    assert desk.slips[number].status != "已撤销"


@pytest.mark.parametrize("text", ["{n} 已解决，不用办了", "{n}已经修好了不用办了"])
async def test_a_numbered_not_needed_reaches_the_staff_on_that_slip(
    resident: Resident, desk: FakeDesk, text: str
) -> None:
    # "JB… 已解决，不用办了" only showed the status, and nothing reached staff
    number = await issued(resident, desk)
    reply = await resident.say(text.format(n=number))
    assert f"已转告交办单 {number} 的办理人员" in reply and "和您确认" in reply
    assert f"撤回 {number}" in reply  # how to withdraw it at once instead
    assert desk.slips[number].followups[-1][0] == text.format(n=number)
    assert desk.slips[number].status != "已撤销"


async def test_solved_with_nothing_open_is_not_a_new_report(
    resident: Resident, desk: FakeDesk
) -> None:
    # with no open slip, "路灯已经修好了，不用办了" started a new complaint ("请问具体在什么地方？")
    reply = await resident.say("路灯已经修好了，不用办了")
    assert "解决了就好" in reply and "什么地方" not in reply
    assert desk.of(resident.openid) == []
    # a new problem that mentions an old repair is still a report
    assert "什么地方" in await resident.say("路灯修好了没几天又坏了，晚上黑得很")


async def test_a_number_alone_still_shows_the_status(resident: Resident, desk: FakeDesk) -> None:
    number = await issued(resident, desk)
    reply = await resident.say(f"{number} 办得咋样了")
    assert "当前状态" in reply and desk.slips[number].followups == []


# -- 3. a refusal is not a place -----------------------------------------------------------------
@pytest.mark.parametrize("refusal", ["不留", "不知道", "没有", "不清楚", "不想说"])
async def test_a_refusal_is_not_taken_as_the_place(
    resident: Resident, desk: FakeDesk, refusal: str
) -> None:
    assert "什么地方" in await resident.say("楼下烧烤摊天天半夜吵得睡不着")
    reply = await resident.say(refusal)
    assert "工作人员才知道去哪里处理" in reply  # why a place is needed, plainly
    assert "联系电话" not in reply and "请核对" not in reply
    assert "联系电话" in await resident.say("建新北路12号门口")
    summary = await resident.say("13812345678")
    assert "地点：建新北路12号门口" in summary and refusal not in summary.split("问题：")[0]
    await resident.say("确认")
    assert desk.of(resident.openid)[0].draft.location_text == "建新北路12号门口"


# -- 4. a question is not a place; a consultation needs no place ---------------------------------
async def test_a_question_is_not_taken_as_the_place(resident: Resident) -> None:
    assert "什么地方" in await resident.say("楼下烧烤摊天天半夜吵得睡不着")
    reply = await resident.say("公积金怎么提取")
    assert "地点" in reply and "联系电话" not in reply and "请核对" not in reply
    await resident.say("鲤鱼池小区3栋楼下")
    summary = await resident.say("13812345678")
    assert "地点：鲤鱼池小区3栋楼下" in summary and "公积金" not in summary


async def test_a_policy_question_is_not_asked_for_a_place(resident: Resident) -> None:
    reply = await resident.say("办身份证要带啥子")
    assert "什么地方" not in reply and "联系电话" in reply
    summary = await resident.say("13812345678")
    assert "问题：办身份证要带啥子" in summary and "地点" not in summary


@pytest.mark.parametrize("question", [
    "请问户口迁移要带什么材料", "低保怎么申请", "请问社保怎么转移", "医保报销要哪些材料",
    "我想问一下 老年人坐公交免费的卡在哪里办", "公交卡怎么充值",
])
async def test_a_question_about_a_subject_of_policy_is_not_asked_for_a_place(
    resident: Resident, question: str
) -> None:
    """户口, 社保 and the like are report words, but a question about them is no problem at a
    place: "请问户口迁移要带什么材料" was asked "请问具体在什么地方" (tenth session's demo walk)."""
    reply = await resident.say(question)
    assert "什么地方" not in reply and "联系电话" in reply, reply


async def test_a_question_about_a_fault_is_still_asked_for_its_place(resident: Resident) -> None:
    reply = await resident.say("小区电梯坏了，物业也不管，怎么办")
    assert "什么地方" in reply, reply


@pytest.mark.parametrize("question", ["办身份证要带啥子", "咨询一下低保怎么申请"])
@pytest.mark.parametrize("said", ["鲤鱼池小区3栋", "我住鲤鱼池小区3栋"])
async def test_a_place_said_to_a_consultations_phone_question_is_kept(
    resident: Resident, desk: FakeDesk, question: str, said: str
) -> None:
    """A consultation needs no place; one said anyway, at the phone question, was dropped."""
    await resident.say(question)
    reply = await resident.say(said)
    assert "地点记下了：鲤鱼池小区3栋" in reply and "联系电话" in reply
    summary = await resident.say("13812345678")
    assert "地点：鲤鱼池小区3栋\n" in summary and "所属：观音桥街道 鲤鱼池社区" in summary
    await resident.say("确认")
    (slip,) = desk.of(resident.openid)
    assert slip.draft.location_text == "鲤鱼池小区3栋"
    assert (slip.draft.area or {}).get("community") == "鲤鱼池社区"


@pytest.mark.parametrize("said", ["鲤鱼池小区3栋，13812345678", "13812345678，我住鲤鱼池小区3栋"])
async def test_a_phone_and_place_said_to_a_consultations_phone_question_are_both_kept(
    resident: Resident, desk: FakeDesk, said: str
) -> None:
    await resident.say("办身份证要带啥子")
    summary = await resident.say(said)
    assert "地点记下了" not in summary  # the summary that follows shows it
    assert "地点：鲤鱼池小区3栋\n" in summary and "电话：138****5678" in summary
    await resident.say("确认")
    (slip,) = desk.of(resident.openid)
    assert (slip.draft.location_text, slip.draft.phone) == ("鲤鱼池小区3栋", "13812345678")


async def test_a_place_in_a_consultation_is_kept_but_never_asked_for(
    resident: Resident, desk: FakeDesk
) -> None:
    reply = await resident.say("咨询一下低保怎么申请，我住鲤鱼池小区3栋")
    assert "什么地方" not in reply and "联系电话" in reply
    summary = await resident.say("13812345678")
    assert "地点：鲤鱼池小区3栋\n" in summary


async def test_a_place_a_consultation_cannot_use_is_let_go_without_a_question(
    resident: Resident, desk: FakeDesk
) -> None:
    await resident.say("咨询一下低保怎么申请")
    reply = await resident.say("解放碑")  # another district's
    assert "联系电话" in reply and "渝中区" not in reply and "地点" not in reply
    summary = await resident.say("13812345678")
    assert "地点" not in summary.split("没问题")[0]


# -- 5. the complaint text is kept as the resident wrote it --------------------------------------
async def test_a_lead_phrase_is_dropped_whole(resident: Resident, desk: FakeDesk) -> None:
    summary = await resident.say("我要反映一下建新西路5号门口井盖丢了，电话13812345678")
    assert "问题：建新西路5号门口井盖丢了" in summary


@pytest.mark.parametrize(("said", "kept"), [
    ("你好 建新西路5号门口井盖丢了，电话13812345678", "建新西路5号门口井盖丢了"),
    ("领导好！建新西路5号门口井盖丢了，电话13812345678", "建新西路5号门口井盖丢了"),
    ("您好在吗？建新西路5号门口井盖丢了，电话13812345678", "建新西路5号门口井盖丢了"),
    # words that only lead into the problem: the slip's summary in every list began "我是石马河
    # 那边的住户 我们那个楼道的灯…" (12th session's demo walk)
    ("喂 我跟你说 建新西路5号门口井盖丢了，电话13812345678", "建新西路5号门口井盖丢了"),
    ("是这样的，建新西路5号门口井盖丢了，电话13812345678", "建新西路5号门口井盖丢了"),
    ("你们看 建新西路5号门口井盖丢了，电话13812345678", "建新西路5号门口井盖丢了"),
    ("同志你好 我是鲤鱼池小区的住户 3栋门口井盖丢了，电话13812345678", "3栋门口井盖丢了"),
])
async def test_a_greeting_is_not_part_of_the_problem(
    resident: Resident, desk: FakeDesk, said: str, kept: str
) -> None:
    summary = await resident.say(said)
    assert "地点：" in summary  # who the resident is still tells where
    assert f"问题：{kept}\n" in summary
    await resident.say("确认")
    assert desk.of(resident.openid)[0].draft.description == kept


def test_words_that_only_start_like_a_greeting_stay(kit: DialogKit) -> None:
    assert kit.nlu.without_greeting("你好像没听懂，路灯坏了") == "你好像没听懂，路灯坏了"


@pytest.mark.parametrize("said", ["我是说路灯坏了", "我是外卖员，电动车被扣了", "我是业主"])
def test_words_about_the_resident_that_are_the_problem_stay(kit: DialogKit, said: str) -> None:
    assert kit.nlu.without_greeting(said) == said


async def test_a_phone_with_spaces_after_wo_leaves_no_stray_word(
    resident: Resident, desk: FakeDesk
) -> None:
    summary = await resident.say("路灯坏了好几天了在建新北路20号 我电话138 2345 6789")
    assert "问题：路灯坏了好几天了在建新北路20号\n" in summary
    assert "138****6789" in summary
    await resident.say("确认")
    (slip,) = desk.of(resident.openid)
    assert slip.draft.description == "路灯坏了好几天了在建新北路20号"
    assert slip.draft.phone == "13823456789"


async def test_a_very_long_message_is_kept_whole_and_shortened_only_for_reading(
    resident: Resident, desk: FakeDesk
) -> None:
    long = "建新北路12号门口的井盖丢了，" + "晚上路过的老人和小孩很容易踩空掉下去，非常危险。" * 50
    assert len(long) > 1200
    summary = await resident.say(long + "电话13812345678")
    line = next(x for x in summary.splitlines() if x.startswith("问题："))
    assert line.endswith("…（共" + str(len(long.rstrip("，。"))) + "字，已全部记下）")
    assert line.split("…")[0].endswith("。")  # cut after a whole sentence
    await resident.say("确认")
    assert desk.of(resident.openid)[0].draft.description == long.rstrip("，。")


# -- 6. a place given when the phone is asked ----------------------------------------------------
async def test_a_place_given_for_the_phone_corrects_the_place(resident: Resident) -> None:
    await resident.say("小区门口的路灯坏了三天了")
    assert "联系电话" in await resident.say("鲤鱼池小区3栋")
    reply = await resident.say("在建新南路那个啥子 就是菜市场旁边")
    assert "号码好像不对" not in reply
    assert "建新南路那个啥子 就是菜市场旁边" in reply and "联系电话" in reply
    summary = await resident.say("13812345678")
    assert "地点：建新南路那个啥子 就是菜市场旁边" in summary and "鲤鱼池" not in summary


# -- 7. asking about an earlier report -----------------------------------------------------------
@pytest.mark.parametrize("asked", [
    "我上回说的那个路灯咋个样了", "上次反映的井盖怎么样了", "我之前报的事有进展没得",
])
async def test_asking_about_an_earlier_report_gets_its_status(
    resident: Resident, desk: FakeDesk, asked: str
) -> None:
    number = await issued(resident, desk)
    reply = await resident.say(asked)
    assert f"交办单 {number}" in reply and "当前状态：已派单" in reply
    assert "已补充" not in reply and desk.slips[number].followups == []


# -- 8. a phone number read out in a voice message -----------------------------------------------
async def test_spoken_digits_are_a_phone_number(resident: Resident, desk: FakeDesk) -> None:
    await resident.say("建新北路12号门口井盖丢了")
    reply = await resident.voice("我电话是幺三八幺二三四五六七八")
    assert "号码好像不对" not in reply and "138****5678" in reply
    await resident.say("确认")
    (slip,) = desk.of(resident.openid)
    assert slip.draft.phone == "13812345678" and "幺" not in slip.draft.description
