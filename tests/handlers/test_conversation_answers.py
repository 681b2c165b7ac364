"""The fourth product review's answers, through the webhook with the real gazetteer, triage and
slip desk (on SQLite with the in-process store and on PostgreSQL with Redis): an evasion at the
place question, two places in the first message, "我要举报" alone, the message that came with
the resume question, and a "谢谢" after the address."""

from __future__ import annotations

from bench.dialogs import Chat, Site
from tests.handlers.chat import say

PHONE = "13812345678"





async def test_an_evasion_is_asked_again_then_filed_without_a_place(site: Site) -> None:
    chat = Chat(site, "oWebhook-answers-evasion")
    await say(chat, "路灯坏了三天了")
    again = await say(chat, "你们自己去看嘛")
    assert "路名和门牌号" in again and "联系电话" not in again
    noted = await say(chat, "我也说不清楚")
    assert "待核实" in noted and "联系电话" in noted
    assert "地点：待核实" in await say(chat, PHONE)
    await say(chat, "确认")
    (slip,) = await site.slips_of(chat.openid)
    assert slip.location_text is None and slip.description == "路灯坏了三天了"


async def test_two_places_in_the_first_message_are_asked_about(site: Site) -> None:
    chat = Chat(site, "oWebhook-answers-two-places")
    reply = await say(chat, f"观音桥还有寸滩的路灯坏了，电话{PHONE}")
    assert "“观音桥”和“寸滩”两个地方" in reply and "请核对" not in reply
    assert "地点：观音桥还有寸滩" in await say(chat, "两处都有")
    await say(chat, "确认")
    (slip,) = await site.slips_of(chat.openid)
    assert slip.location_text == "观音桥还有寸滩"


async def test_a_report_marker_sent_alone_makes_a_report(site: Site) -> None:
    chat = Chat(site, "oWebhook-answers-report")
    await say(chat, "我要举报")
    await say(chat, f"建新北路12号的餐馆把油污倒进下水道，电话{PHONE}")
    await say(chat, "确认")
    (slip,) = await site.slips_of(chat.openid)
    assert slip.description == "我要举报，建新北路12号的餐馆把油污倒进下水道"
    assert slip.request_type == "举报"


async def test_the_address_that_came_with_the_resume_question_is_kept(site: Site) -> None:
    chat = Chat(site, "oWebhook-answers-resume")
    await say(chat, "小区门口的路灯坏了三天了")
    site.advance(60)
    assert "还没有提交" in await say(chat, "鲤鱼池小区3栋")
    resumed = await say(chat, "继续")
    assert "接着办" in resumed and "联系电话" in resumed and "什么地方" not in resumed
    await say(chat, PHONE)
    await say(chat, "确认")
    (slip,) = await site.slips_of(chat.openid)
    assert slip.location_text == "鲤鱼池小区3栋"


async def test_thanks_stay_out_of_the_address(site: Site) -> None:
    chat = Chat(site, "oWebhook-answers-thanks")
    await say(chat, "建新北路的路灯坏了三天了")  # the place is known: the phone is asked
    summary = await say(chat, "建新北路12号。不想留电话，谢谢")
    assert "地点：建新北路12号\n" in summary
    await say(chat, "确认")
    (slip,) = await site.slips_of(chat.openid)
    assert slip.location_text == "建新北路12号" and slip.phone is None
