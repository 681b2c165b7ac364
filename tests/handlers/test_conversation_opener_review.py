"""The fifth product review's gaps, through the webhook with the real slip desk, triage and
gazetteer (on SQLite with the in-process store and on PostgreSQL with Redis): a vague first
message is not the complaint, a corrected building number and an address detail change the
address, a local number at the summary becomes the phone, and 华新村 has its street office."""

from __future__ import annotations

from bench.dialogs import Chat, Site
from tests.handlers.chat import say


def line(reply: str, head: str) -> str:
    return next((row for row in reply.splitlines() if row.startswith(head)), "")


async def test_the_problem_after_a_vague_opener_is_the_slip(site: Site) -> None:
    chat = Chat(site, "oWebhook-review-opener")
    assert "请说说遇到了什么问题" in await say(chat, "我要反映个事情")
    await say(chat, "我们小区的水管爆了 到处都是水")
    await say(chat, "在盘溪")
    summary = await say(chat, "不留")
    assert line(summary, "问题：") == "问题：我们小区的水管爆了 到处都是水"
    await say(chat, "确认")
    (slip,) = await site.slips_of(chat.openid)
    assert slip.description == "我们小区的水管爆了 到处都是水"
    assert slip.street == "石马河街道"


async def test_a_corrected_building_and_a_local_number_at_the_summary(site: Site) -> None:
    chat = Chat(site, "oWebhook-review-building")
    await say(chat, "鲤鱼池小区8栋门口的路灯坏了三天了")
    await say(chat, "不留")
    summary = await say(chat, "不对不对 是9栋不是8栋")
    assert line(summary, "地点：") == "地点：鲤鱼池小区9栋门口"
    summary = await say(chat, "67891234")
    assert "电话：023-****1234" in summary
    await say(chat, "确认")
    (slip,) = await site.slips_of(chat.openid)
    assert slip.location_text == "鲤鱼池小区9栋门口"
    assert slip.description == "鲤鱼池小区9栋门口的路灯坏了三天了"
    assert slip.phone == "023-67891234"


async def test_an_address_detail_extends_the_address(site: Site) -> None:
    chat = Chat(site, "oWebhook-review-detail")
    await say(chat, "路灯坏了三天了")
    await say(chat, "建新东路")
    await say(chat, "3号附近 农业银行门口")
    await say(chat, "13812345678")
    await say(chat, "确认")
    (slip,) = await site.slips_of(chat.openid)
    assert slip.location_text == "建新东路3号附近 农业银行门口"
    assert "农业银行" not in slip.description and slip.street == "观音桥街道"


async def test_huaxincun_has_its_street_office(site: Site) -> None:
    chat = Chat(site, "oWebhook-review-huaxincun")
    summary = await say(chat, "华新村的路灯坏了三天了，电话13812345678")
    assert "所属：华新街街道" in summary
    await say(chat, "确认")
    (slip,) = await site.slips_of(chat.openid)
    assert (slip.street, slip.community) == ("华新街街道", "华新村社区")
