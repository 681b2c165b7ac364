"""Videos a resident films go with the report like photos; a shared link is kept with the
report or the open slip, and on its own it is answered, not taken as a complaint."""

from __future__ import annotations

import pytest

from tests.dialogs.conftest import COMPLETE, Resident, issued
from tests.dialogs.fakes import FakeDesk

ARTICLE = {"title": "鲤鱼池小区污水横流无人管", "url": "https://mp.weixin.qq.com/s/abc123"}
pytestmark = pytest.mark.usefixtures("one_question_per_reply")


async def video(resident: Resident, media_id: str = "VIDEO1") -> str:
    return await resident.send(resident.message("video", media_id=media_id))


async def link(resident: Resident, title: str = ARTICLE["title"],
               url: str = ARTICLE["url"]) -> str:
    return await resident.send(resident.message("link", title=title, url=url))


# -- videos ------------------------------------------------------------------------------------
async def test_a_video_first_asks_what_the_problem_is(
    resident: Resident, desk: FakeDesk
) -> None:
    reply = await video(resident, "V1")
    assert reply.startswith("视频已收到") and "什么问题" in reply
    summary = await resident.say(COMPLETE)
    assert "视频：1段" in summary
    await resident.say("确认")
    (slip,) = desk.of(resident.openid)
    assert slip.draft.media == [{"type": "video", "media_id": "V1"}]


async def test_a_video_during_the_form_goes_into_the_issued_slip(
    resident: Resident, desk: FakeDesk
) -> None:
    assert "什么地方" in await resident.say("路灯坏了三天了，晚上一片黑")
    reply = await video(resident, "V2")
    # acknowledged in plain words, and the pending question is asked again
    assert reply.startswith("视频已收到（共1段）。") and "什么地方" in reply
    await resident.photo("P2")
    await resident.say("鲤鱼池小区3栋")
    summary = await resident.say("13812345678")
    assert "照片：1张" in summary and "视频：1段" in summary
    await resident.say("确认")
    (slip,) = desk.of(resident.openid)
    assert slip.draft.media == [{"type": "image", "media_id": "P2"},
                                {"type": "video", "media_id": "V2"}]


async def test_the_same_video_twice_is_kept_once(resident: Resident, desk: FakeDesk) -> None:
    await resident.say(COMPLETE)
    await video(resident, "V3")
    assert "视频：1段" in await video(resident, "V3")
    await resident.say("确认")
    assert desk.of(resident.openid)[0].draft.media == [{"type": "video", "media_id": "V3"}]


async def test_a_video_for_an_open_slip_is_a_follow_up(
    resident: Resident, desk: FakeDesk
) -> None:
    number = await issued(resident, desk)
    reply = await video(resident, "V4")
    assert reply == f"已把视频补充到交办单 {number}，办理人员会看到。"
    assert desk.slips[number].followups == [(None, [{"type": "video", "media_id": "V4"}])]
    assert len(desk.of(resident.openid)) == 1


# -- links -------------------------------------------------------------------------------------
async def test_a_link_during_the_form_is_kept_with_the_report(
    resident: Resident, desk: FakeDesk
) -> None:
    await resident.say("小区污水横流好几天了")
    reply = await link(resident)
    assert reply.startswith("链接已收到，会和您反映的问题一起交给办理人员。")
    await resident.say("鲤鱼池小区")
    summary = await resident.say("13812345678")
    assert "链接：1个" in summary and "mp.weixin.qq.com" not in summary
    await resident.say("确认")
    (slip,) = desk.of(resident.openid)
    assert slip.draft.description == (
        "小区污水横流好几天了\n"
        "群众发来的链接：鲤鱼池小区污水横流无人管 https://mp.weixin.qq.com/s/abc123"
    )
    assert slip.draft.triage_text == "小区污水横流好几天了"  # classified on their own words
    assert slip.draft.media == []


async def test_a_link_before_the_problem_is_kept_and_the_problem_still_asked(
    resident: Resident, desk: FakeDesk
) -> None:
    await resident.event("click", "REPORT")  # the form runs, nothing said yet
    reply = await link(resident, title="", url="https://j.map.baidu.com/xyz")
    assert reply.startswith("链接已收到") and "什么问题" in reply
    await resident.say(COMPLETE)
    await resident.say("确认")
    (slip,) = desk.of(resident.openid)
    assert slip.draft.description.startswith("建新北路12号门口井盖丢了两天了")
    assert slip.draft.description.endswith("群众发来的链接：https://j.map.baidu.com/xyz")


async def test_a_link_for_an_open_slip_is_a_note_staff_see(
    resident: Resident, desk: FakeDesk
) -> None:
    number = await issued(resident, desk)
    reply = await link(resident)
    assert reply == f"已把链接补充到交办单 {number}，办理人员会看到。"
    assert desk.slips[number].followups == [
        (f"群众发来的链接：{ARTICLE['title']} {ARTICLE['url']}", [])]
    # "新问题" after it does not turn the link into a report
    assert "遇到了什么问题" in await resident.say("新问题")


async def test_a_link_on_its_own_is_not_a_complaint(resident: Resident, desk: FakeDesk) -> None:
    reply = await link(resident)
    assert "链接已收到" in reply and "用文字" in reply
    assert desk.of(resident.openid) == []
    # nothing was started: the next message is a report of its own
    assert "请核对" in await resident.say(COMPLETE)
    assert "链接" not in resident.replies[-1]
