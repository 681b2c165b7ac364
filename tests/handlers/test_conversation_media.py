"""Videos, short videos and links through the webhook: WeChat's own sample messages
(../shared/fixtures/wechat) posted signed over real HTTP to create_app() with the real slip
desk, on SQLite with the in-process store and on PostgreSQL with Redis."""

from __future__ import annotations

import itertools
import re
import time

from bench.dialogs import Chat, Site
from bot.slips.actor import Actor
from tests.conftest import fixture_path

COMPLETE = "建新北路12号门口井盖丢了两天了，电话13812345678"
_ids = itertools.count(1)




def fixture_from(chat: Chat, name: str, **fields: str) -> str:
    """A fixture message as this resident sent it to our account now: their openid, a new
    MsgId and CreateTime, and the given fields (MediaId, Title, Url) replaced."""
    xml = fixture_path(name).read_text(encoding="utf-8")
    account = re.search(r"<ToUserName><!\[CDATA\[(.*?)\]\]>",
                        chat.site.peer.text_xml(chat.openid, "x")).group(1)  # type: ignore[union-attr]
    plain = {"MsgId": str(9_000_000 + next(_ids)), "CreateTime": str(int(time.time()))}
    fields = {"ToUserName": account, "FromUserName": chat.openid, **fields}
    for tag, value in [*fields.items(), *plain.items()]:
        text = value if tag in plain else f"<![CDATA[{value}]]>"
        xml, count = re.subn(rf"<{tag}>.*?</{tag}>", f"<{tag}>{text}</{tag}>", xml, flags=re.S)
        assert count == 1, tag
    return xml


async def post(chat: Chat, xml: str) -> str:
    return await chat._post(xml)


async def test_a_video_first_then_the_problem_gives_a_slip_with_the_video(site: Site) -> None:
    chat = Chat(site, "oWebhook-video-first")
    reply = await post(chat, fixture_from(chat, "msg_video.xml", MediaId="VID_FIRST_1"))
    assert reply.startswith("视频已收到") and "什么问题" in reply
    _, summary = await chat.send({"say": COMPLETE})
    assert "视频：1段" in summary
    await chat.send({"say": "确认"})
    (slip,) = await site.slips_of(chat.openid)
    assert slip.media == [{"type": "video", "media_id": "VID_FIRST_1"}]


async def test_a_short_video_mid_form_and_a_link_go_into_the_issued_slip(site: Site) -> None:
    chat = Chat(site, "oWebhook-video-mid")
    await chat.send({"say": "小区门口的路灯坏了三天了"})
    reply = await post(chat, fixture_from(chat, "msg_shortvideo.xml", MediaId="VID_MID_1"))
    assert reply.startswith("视频已收到（共1段）。") and "什么地方" in reply
    link = fixture_from(chat, "msg_link.xml", Title="路灯坏了的新闻",
                        Url="https://mp.weixin.qq.com/s/lamp")
    assert (await post(chat, link)).startswith("链接已收到，会和您反映的问题一起交给办理人员。")
    await chat.send({"say": "鲤鱼池小区"})
    _, summary = await chat.send({"say": "13812345678"})
    assert "视频：1段" in summary and "链接：1个" in summary
    await chat.send({"say": "确认"})
    (slip,) = await site.slips_of(chat.openid)
    assert slip.media == [{"type": "video", "media_id": "VID_MID_1"}]
    assert slip.description.endswith("群众发来的链接：路灯坏了的新闻 https://mp.weixin.qq.com/s/lamp")


async def test_a_shared_links_title_does_not_pick_the_category(site: Site) -> None:
    """The report is classified on the resident's own words: a shared article about school
    admissions does not make a broken street lamp an education matter (the link is still in the
    description staff read)."""
    chat = Chat(site, "oWebhook-link-category")
    await chat.send({"say": "小区门口路灯坏了"})
    link = fixture_from(chat, "msg_link.xml", Title="学校招生入学报名",
                        Url="https://mp.weixin.qq.com/s/school")
    assert (await post(chat, link)).startswith("链接已收到")
    await chat.send({"say": "鲤鱼池小区"})
    await chat.send({"say": "13812345678"})
    await chat.send({"say": "确认"})
    (slip,) = await site.slips_of(chat.openid)
    assert slip.category == ["城乡建设", "城市建设和市政管理", "路灯"]
    assert slip.lead_department_name == "区城市管理局"
    assert all(d.get("name") != "区教委" for d in slip.co_departments)
    assert slip.description == (
        "小区门口路灯坏了\n群众发来的链接：学校招生入学报名 https://mp.weixin.qq.com/s/school")


async def test_a_video_and_a_link_for_an_open_slip_are_follow_ups(site: Site) -> None:
    chat = Chat(site, "oWebhook-video-followup")
    await chat.send({"say": COMPLETE})
    await chat.send({"say": "确认"})
    (slip,) = await site.slips_of(chat.openid)
    reply = await post(chat, fixture_from(chat, "msg_video.xml", MediaId="VID_LATER_1"))
    assert reply == f"已把视频补充到交办单 {slip.number}，办理人员会看到。"
    reply = await post(chat, fixture_from(chat, "msg_link.xml", Url="https://j.map.baidu.com/a"))
    assert reply == f"已把链接补充到交办单 {slip.number}，办理人员会看到。"
    (slip,) = await site.slips_of(chat.openid)
    assert slip.media == [{"type": "video", "media_id": "VID_LATER_1"}]
    admin = Actor(kind="staff", id="t", name="管理员", role="admin")
    notes = [s.note for s in await site.service().timeline(slip.number, admin)
             if s.action == "followup"]
    assert "群众发来的链接：公众平台官网链接 https://j.map.baidu.com/a" in notes


async def test_a_link_on_its_own_is_answered_not_taken_as_a_complaint(site: Site) -> None:
    chat = Chat(site, "oWebhook-link-alone")
    reply = await post(chat, fixture_from(chat, "msg_link.xml"))
    assert "链接已收到" in reply and "用文字" in reply
    assert await site.slips_of(chat.openid) == []
