"""Residents asking what the desk's own words mean (交办单, 签收, 办结, …) get a plain answer,
never a form; survey answers given as WeChat emoji count, and an answer the chat does not
understand while a survey waits repeats the survey question."""

from __future__ import annotations

import pytest

from tests.dialogs.conftest import Resident, issued
from tests.dialogs.fakes import FakeDesk

pytestmark = pytest.mark.usefixtures("one_question_per_reply")

# what each definition answer says, in a word or two
MEANINGS = [
    ("交办单是什么意思", "编号"),
    ("办结是什么意思", "办完"),
    ("签收是啥子", "接下"),
    ("延期是啥子意思嘛，为啥要延期", "延长"),
    ("待评价是什么意思", "评价"),
    ("重办是啥意思", "重新"),
    ("合并办理是什么意思", "一起办"),
    ("撤回是什么意思", "不再办理"),
]
FORM_WORDS = ("联系电话", "什么地方", "已补充", "没太看明白", "已记录")


def told_meaning(reply: str, word: str) -> bool:
    return word in reply and not any(w in reply for w in FORM_WORDS)


@pytest.mark.parametrize(("asked", "word"), MEANINGS)
async def test_what_a_word_means_is_answered_plainly(
    resident: Resident, desk: FakeDesk, asked: str, word: str
) -> None:
    reply = await resident.say(asked)
    assert told_meaning(reply, word), reply
    assert desk.of(resident.openid) == []


@pytest.mark.parametrize(("asked", "word"), MEANINGS)
async def test_with_a_slip_open_the_question_is_no_followup(
    resident: Resident, desk: FakeDesk, asked: str, word: str
) -> None:
    number = await issued(resident, desk)
    reply = await resident.say(asked)
    assert told_meaning(reply, word), reply
    assert desk.slips[number].followups == [] and desk.slips[number].status != "已撤回"
    assert len(desk.of(resident.openid)) == 1


@pytest.mark.parametrize(("asked", "word"), MEANINGS[:3])
async def test_while_a_survey_waits_the_question_is_answered_not_rated(
    resident: Resident, desk: FakeDesk, asked: str, word: str
) -> None:
    number = await issued(resident, desk)
    desk.close(number)
    reply = await resident.say(asked)
    assert told_meaning(reply, word), reply
    assert desk.slips[number].surveys == []


async def test_a_complaint_that_names_a_word_is_still_a_complaint(
    resident: Resident, desk: FakeDesk
) -> None:
    number = await issued(resident, desk)
    reply = await resident.say(f"交办单{number}一直没人签收")
    assert f"交办单 {number}" in reply and "什么意思" not in reply
    reply = await resident.say("鲤鱼池小区3栋楼下的路灯坏了，办结了又坏了")
    assert "补充到交办单" in reply and "意思" not in reply


# -- survey answers as WeChat emoji ----------------------------------------------------------
@pytest.mark.parametrize("said", ["[强]", "/:strong", "[OK]", "[好的]", "[赞]", "👍", "👌",
                                  "👍👍👍"])
async def test_a_thumbs_up_at_the_survey_is_satisfied(
    resident: Resident, desk: FakeDesk, said: str
) -> None:
    number = await issued(resident, desk)
    desk.close(number)
    reply = await resident.say(said)
    assert "已记录为“满意”" in reply, reply
    assert desk.slips[number].surveys == [("满意", None, None)]


@pytest.mark.parametrize("said", ["啊啊啊", "🌹", "嗯这个嘛"])
async def test_what_is_not_understood_at_the_survey_repeats_it(
    resident: Resident, desk: FakeDesk, said: str
) -> None:
    number = await issued(resident, desk)
    desk.close(number)
    reply = await resident.say(said)
    assert number in reply and "1 满意" in reply and "3 不满意" in reply, reply
    assert "帮助" not in reply and desk.slips[number].surveys == []
    assert "已记录为“满意”" in await resident.say("1")


async def test_a_thumbs_up_with_nothing_to_rate_is_no_menu(resident: Resident) -> None:
    reply = await resident.say("👍")
    assert "1." not in reply and "没太看明白" not in reply


@pytest.mark.parametrize("said", ["🙏🙏🙏", "🙏", "👏👏", "谢谢谢谢"])
async def test_folded_hands_and_thanks_said_again_are_thanks(resident: Resident, said: str) -> None:
    """"🙏🙏🙏" got "我没太看明白您的意思" (12th session's demo walk)."""
    assert "不客气" in await resident.say(said)


async def test_a_digit_said_again_is_not_the_digit(resident: Resident, desk: FakeDesk) -> None:
    """"333" is no survey answer: only the menu's or survey's own "3" is."""
    number = await issued(resident, desk)
    desk.close(number)
    await resident.say("333")
    assert desk.slips[number].surveys == []


@pytest.mark.parametrize("said", ["喂喂 听得到吗", "喂，听得见吗？", "能收到吗"])
async def test_checking_the_line_works_is_a_greeting_not_a_followup(
    resident: Resident, desk: FakeDesk, said: str
) -> None:
    """A resident who takes the chat for a phone call: "喂喂 听得到吗" was added to their open
    slip as more about the problem (12th session's demo walk)."""
    number = await issued(resident, desk)
    reply = await resident.say(said)
    assert "已补充" not in reply and desk.slips[number].followups == []
    assert "您好" in reply


async def test_a_slip_number_without_its_jb_is_still_its_number(
    resident: Resident, desk: FakeDesk
) -> None:
    number = await issued(resident, desk)
    reply = await resident.say(number.removeprefix("JB"))
    assert f"交办单 {number}" in reply and "当前状态" in reply and "没太看明白" not in reply


async def test_a_slip_number_too_short_is_told_so_with_the_residents_slips(
    resident: Resident, desk: FakeDesk
) -> None:
    """"JB20261127000" got "我没太看明白您的意思" (12th session's demo walk)."""
    number = await issued(resident, desk)
    reply = await resident.say(number[:-2])
    assert f"单号 {number[:-2]} 好像不完整" in reply and number in reply
    assert "没太看明白" not in reply


async def test_asking_whether_a_voice_note_arrived_is_answered(resident: Resident) -> None:
    """"刚才发的语音你们听到没有" was taken for the problem and asked where (12th session)."""
    assert "没能听清" in await resident.voice()  # WeChat could not recognise it
    reply = await resident.say("刚才发的语音你们听到没有")
    assert "收得到" in reply and "打字说说" in reply and "路名门牌" not in reply


@pytest.mark.parametrize("said", ["微信联系我就行", "就在这里回复我吧"])
async def test_answering_in_the_chat_instead_of_a_phone_is_taken(
    resident: Resident, desk: FakeDesk, said: str
) -> None:
    """"微信联系我就行" was asked for the phone again, word for word (12th session)."""
    await resident.say("建新北路12号门口路灯坏了")
    summary = await resident.say(said)
    assert "请核对一下" in summary and "办理情况在这里告诉您" in summary
