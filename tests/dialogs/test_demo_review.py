"""A second reviewer's residents on the demo: corrections, a second problem, calling a slip
off, status questions and survey answers in dialect, and what is not a complaint."""

from __future__ import annotations

import pytest

from tests.dialogs.conftest import Resident
from tests.dialogs.fakes import FakeDesk

pytestmark = pytest.mark.usefixtures("one_question_per_reply")




def line(summary: str, head: str) -> str:
    return next((x for x in summary.splitlines() if x.startswith(head)), "")


# -- 1. the summary's own example of a correction ----------------------------------------------
@pytest.mark.parametrize(("said", "place"), [
    ("地址改成建新北路12号", "建新北路12号"),
    ("地址改成建新北路20号金源小区门口", "建新北路20号金源小区门口"),
    ("地点应该是鲤鱼池小区3栋", "鲤鱼池小区3栋"),
])
async def test_changing_the_address_as_the_summary_suggests(
    resident: Resident, desk: FakeDesk, said: str, place: str
) -> None:
    await resident.say("观音桥步行街的路灯坏了，电话13812345678")
    summary = await resident.say(said)
    assert line(summary, "地点：") == f"地点：{place}"
    await resident.say("确认")
    assert desk.of(resident.openid)[0].draft.location_text == place


# -- 2. a correction of the description replaces it, and only it --------------------------------
async def test_a_new_description_at_the_summary_replaces_it_and_keeps_the_place(
    resident: Resident, desk: FakeDesk
) -> None:
    await resident.say("建新北路12号门口路灯坏了，电话13812345678")
    summary = await resident.say("问题改成垃圾站的垃圾一个星期没人清运了")
    assert line(summary, "问题：") == "问题：垃圾站的垃圾一个星期没人清运了"
    assert line(summary, "地点：") == "地点：建新北路12号门口"
    assert "所属：观音桥街道" in summary and "时间：" not in summary
    await resident.say("确认")
    (slip,) = desk.of(resident.openid)
    assert slip.draft.location_text == "建新北路12号门口"
    assert slip.draft.description == "垃圾站的垃圾一个星期没人清运了"


@pytest.mark.parametrize("said", ["说错了，不是路灯，是红绿灯坏了", "描述改一下：是红绿灯不是路灯"])
async def test_one_thing_said_wrong_is_swapped_in_the_description(
    resident: Resident, said: str
) -> None:
    await resident.say("建新北路12号门口路灯坏了，电话13812345678")
    summary = await resident.say(said)
    assert line(summary, "问题：") == "问题：建新北路12号门口红绿灯坏了"
    assert line(summary, "地点：") == "地点：建新北路12号门口"


async def test_an_addition_is_added_without_its_marker(resident: Resident) -> None:
    await resident.say("建新北路12号门口路灯坏了，电话13812345678")
    summary = await resident.say("补充一下，晚上路过的老人容易摔跤")
    assert line(summary, "问题：") == "问题：建新北路12号门口路灯坏了；晚上路过的老人容易摔跤"
