"""The third product review's gaps, through the webhook with the real slip desk and triage (on
SQLite with the in-process store and on PostgreSQL with Redis): "确认" after the slip is issued,
following the account again with a slip open, a photo with the resume question, "我要举报" kept
in the description, and the issued message of a 紧急 slip."""

from __future__ import annotations

from bench.dialogs import Chat, Site
from dialogs.text import local_time
from tests.handlers.chat import say

COMPLETE = "建新北路12号门口井盖丢了两天了，电话13812345678"





async def test_confirming_again_and_following_again_name_the_open_slip(site: Site) -> None:
    chat = Chat(site, "oWebhook-review-filed")
    await say(chat, COMPLETE)
    await say(chat, "确认")
    (slip,) = await site.slips_of(chat.openid)
    again = await say(chat, "好的确认")
    assert slip.number in again and "不用再确认" in again and "不客气" not in again
    _, welcome = await chat.send({"subscribe": True})
    assert "欢迎关注" in welcome and "还在办理" in welcome and slip.number in welcome
    assert len(await site.slips_of(chat.openid)) == 1


async def test_a_photo_with_the_resume_question_goes_into_the_slip(site: Site) -> None:
    chat = Chat(site, "oWebhook-review-resume-photo")
    await say(chat, "小区门口的路灯坏了三天了")
    site.advance(60)
    _, prompt = await chat.send({"photo": "PIC_RESUME_1"})
    assert "还没有提交" in prompt and "照片已收到" in prompt
    assert "什么地方" in await say(chat, "继续")
    await say(chat, "鲤鱼池小区")
    assert "照片：1张" in await say(chat, "13812345678")
    await say(chat, "确认")
    (slip,) = await site.slips_of(chat.openid)
    assert slip.media == [{"type": "image", "media_id": "PIC_RESUME_1"}]


async def test_a_report_keeps_the_words_that_say_it_is_one(site: Site) -> None:
    chat = Chat(site, "oWebhook-review-report")
    await say(chat, "我要举报，建新北路12号的餐馆把油污倒进下水道，电话13812345678")
    await say(chat, "确认")
    (slip,) = await site.slips_of(chat.openid)
    assert slip.description == "我要举报，建新北路12号的餐馆把油污倒进下水道"
    assert slip.request_type == "举报"


async def test_an_urgent_slip_is_issued_with_the_contact_first(site: Site) -> None:
    chat = Chat(site, "oWebhook-review-urgent")
    await say(chat, "嘉陵一村社区停水两天了，一直没通知，电话13812345678")
    issued = await say(chat, "确认")
    (slip,) = await site.slips_of(chat.openid)
    assert slip.urgency == "紧急" and slip.response_due_at is not None
    contact = f"工作人员会在24小时内（{local_time(slip.response_due_at)}前）与您联系"
    due = f"办理期限：{local_time(slip.due_at)}前办结"
    assert contact in issued and due in issued
    assert issued.index(contact) < issued.index(due) and "前联系您）" not in issued
