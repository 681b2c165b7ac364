"""A third product review of the chat: a "确认" after the slip is issued, a resident who follows
the account again with a slip still open, a photo sent with the resume question, the words that
say a report is a 举报, and the issued message of an urgent slip."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from dialogs.kit import DialogKit
from dialogs.ports import SlipDraft
from dialogs.text import local_time
from tests.dialogs.conftest import COMPLETE, Resident, issued
from tests.dialogs.fakes import NOW, FakeDesk, FakeResult, FakeTriage

pytestmark = pytest.mark.usefixtures("one_question_per_reply")


# -- 1. "确认" again after the slip is issued ---------------------------------------------------
@pytest.mark.parametrize("said", ["确认", "好的确认", "确认提交"])
async def test_confirming_again_after_the_slip_is_issued_says_it_is_filed(
    resident: Resident, desk: FakeDesk, said: str
) -> None:
    number = await issued(resident, desk)
    reply = await resident.say(said)
    assert "不客气" not in reply
    assert number in reply and "已经" in reply
    assert "我的工单" in reply  # how to check on it
    assert len(desk.of(resident.openid)) == 1


async def test_confirming_after_the_slip_was_finished_is_only_thanked(
    resident: Resident, desk: FakeDesk
) -> None:
    number = await issued(resident, desk)
    desk.slips[number].status = "已评价"
    reply = await resident.say("确认")
    assert number not in reply and "不客气" in reply


# -- 2. following the account again with a slip open ------------------------------------------
async def test_a_resident_who_follows_again_is_told_of_their_open_slip(
    resident: Resident, desk: FakeDesk
) -> None:
    number = await issued(resident, desk)
    await resident.event("unsubscribe")
    reply = await resident.event("subscribe")
    assert "欢迎" in reply
    assert number in reply and "已派单" in reply


async def test_several_open_slips_are_all_named_and_closed_ones_are_not(
    resident: Resident, desk: FakeDesk
) -> None:
    first, second, third = [
        (await desk.issue(SlipDraft(openid=resident.openid, description=f"井盖丢了{n}",
                                    idempotency_key=f"k{n}"))).number
        for n in range(3)
    ]
    desk.slips[second].status = "办理中"
    desk.slips[third].status = "已评价"
    reply = await resident.event("subscribe")
    assert first in reply and second in reply and third not in reply
    assert "办理中" in reply


async def test_a_new_follower_gets_the_plain_welcome(resident: Resident) -> None:
    reply = await resident.event("subscribe")
    assert "欢迎" in reply and "JB" not in reply and "还在办理" not in reply


# -- 3. a photo, voice note or video with the resume question -----------------------------------
async def interrupted(resident: Resident) -> None:
    """A report waiting for its phone number, and an hour's pause."""
    assert "联系电话" in await resident.say("建新北路12号门口路灯坏了三天了")
    resident.clock.advance(60)


@pytest.mark.parametrize(("kind", "heard", "slot"), [
    ("image", "照片已收到", "image"), ("voice", "语音已收到", "voice"),
    ("video", "视频已收到", "video"),
])
async def test_media_that_brings_the_resume_question_joins_the_draft_on_continue(
    resident: Resident, desk: FakeDesk, kind: str, heard: str, slot: str
) -> None:
    await interrupted(resident)
    prompt = await resident.send(resident.message(kind, media_id="M1"))
    assert "还没有提交" in prompt and heard in prompt
    reply = await resident.say("继续")
    assert "接着办" in reply and "联系电话" in reply
    summary = await resident.say("13812345678")
    assert "请核对" in summary
    await resident.say("确认")
    (slip,) = desk.of(resident.openid)
    assert slip.draft.media == [{"type": slot, "media_id": "M1"}]


async def test_a_photo_with_the_resume_question_at_the_summary_shows_in_the_summary(
    resident: Resident, desk: FakeDesk
) -> None:
    await resident.say(COMPLETE)
    resident.clock.advance(60)
    await resident.photo("P9")
    summary = await resident.say("继续")
    assert "请核对" in summary and "照片：1张" in summary
    await resident.say("确认")
    (slip,) = desk.of(resident.openid)
    assert slip.draft.media == [{"type": "image", "media_id": "P9"}]


async def test_a_photo_sent_at_the_resume_question_is_kept_with_the_draft(
    resident: Resident, desk: FakeDesk
) -> None:
    await interrupted(resident)
    assert "还没有提交" in await resident.say("13812345678")
    reply = await resident.photo("P2")
    assert "照片已收到" in reply
    await resident.say("13812345678")
    await resident.say("确认")
    (slip,) = desk.of(resident.openid)
    assert slip.draft.media == [{"type": "image", "media_id": "P2"}]


async def test_a_photo_with_the_resume_question_is_kept_when_they_start_again(
    resident: Resident, desk: FakeDesk
) -> None:
    await interrupted(resident)
    await resident.photo("P3")
    reply = await resident.say("重新开始")
    assert "照片已收到" in reply and "什么问题" in reply
    await resident.say("鲤鱼池小区的化粪池满了，电话13812345678")
    await resident.say("确认")
    (slip,) = desk.of(resident.openid)
    assert "化粪池" in slip.draft.description
    assert slip.draft.media == [{"type": "image", "media_id": "P3"}]


# -- 4. "我要举报" stays in the resident's words ------------------------------------------------
@pytest.mark.parametrize("said", [
    "我要举报，建新北路12号的餐馆把油污倒进下水道，电话13812345678",
    "我要投诉，建新北路12号的餐馆把油污倒进下水道，电话13812345678",
])
async def test_the_words_that_say_what_kind_of_report_stay_in_the_description(
    resident: Resident, desk: FakeDesk, said: str
) -> None:
    summary = await resident.say(said)
    assert f"问题：{said[:4]}，建新北路12号的餐馆把油污倒进下水道" in summary
    await resident.say("确认")
    (slip,) = desk.of(resident.openid)
    assert slip.draft.description == f"{said[:4]}，建新北路12号的餐馆把油污倒进下水道"


async def test_words_about_the_chat_still_go(resident: Resident, desk: FakeDesk) -> None:
    summary = await resident.say("另外，建新北路12号的餐馆把油污倒进下水道，电话13812345678")
    assert "问题：建新北路12号的餐馆把油污倒进下水道" in summary


# -- 5. the issued message of an urgent slip ----------------------------------------------------
class UrgentTriage(FakeTriage):
    """停水 is 紧急 (basic living cut off), as the shipped urgency rules say."""

    def classify(self, text: str, *, area: Any = None, now: Any = None) -> FakeResult:
        result = super().classify(text, area=area, now=now)
        if "停水" in text:
            result.data["urgency"] = "紧急"
            result.data["advice"] = "您反映的问题已列为紧急诉求，区城市管理局会在24小时内与您联系处理。"
            result.data["guidance"] = "停水时请关好水龙头，免得来水时漫进屋。"
        return result


async def test_an_urgent_slip_is_issued_with_the_contact_promised_first(
    resident: Resident, desk: FakeDesk, kit: DialogKit
) -> None:
    kit.classifier = UrgentTriage()
    kit.clock = lambda: NOW
    await resident.say("建新北路12号停水两天了，电话13812345678")
    reply = await resident.say("确认")
    (slip,) = desk.of(resident.openid)
    contact = f"工作人员会在24小时内（{local_time(NOW + timedelta(hours=24))}前）与您联系"
    assert contact in reply
    due = f"办理期限：{local_time(slip.due_at)}前办结"
    assert due in reply and reply.index(contact) < reply.index(due)
    assert "前联系您）" not in reply  # the due line is plain
    assert reply.count("24小时内") == 1  # the triage's advice does not say it again
    # what to do meanwhile, right after the contact promise
    lines = reply.split("\n")
    assert lines[2] == "等待处理期间：停水时请关好水龙头，免得来水时漫进屋。"
    assert contact in lines[1]


async def test_an_urgent_slip_without_advice_has_no_empty_line(
    resident: Resident, desk: FakeDesk, kit: DialogKit
) -> None:
    class NoAdvice(UrgentTriage):
        def classify(self, text: str, *, area: Any = None, now: Any = None) -> FakeResult:
            result = super().classify(text, area=area, now=now)
            result.data.pop("guidance", None)
            return result

    kit.classifier = NoAdvice()
    await resident.say("建新北路12号停水两天了，电话13812345678")
    reply = await resident.say("确认")
    assert "等待处理期间" not in reply and "\n\n" not in reply


async def test_a_slip_the_service_finds_dangerous_is_issued_with_the_emergency_numbers(
    resident: Resident, desk: FakeDesk, kit: DialogKit
) -> None:
    """The chat's triage of the first words saw nothing dangerous; the slip service's triage
    of the whole report says 特急: the resident is told to call 119 / 110 at once."""
    kit.clock = lambda: NOW
    desk.urgency = "特急"
    desk.advice = "情况紧急，请立即拨打119（火警）、110（报警）！我们已同时通知值班人员。"
    await resident.say("建新北路12号楼道里堆满了纸箱，电话13812345678")
    reply = await resident.say("确认")
    lines = reply.split("\n")
    assert "交办单" in lines[0] and lines[1] == desk.advice
    assert "这是紧急诉求，工作人员会在" in lines[2]


async def test_an_ordinary_slip_is_issued_as_before(resident: Resident, desk: FakeDesk) -> None:
    await issued(resident, desk)
    reply = resident.replies[-1]
    assert "办理期限" in reply and "与您联系" not in reply
