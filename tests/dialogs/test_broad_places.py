"""A street office's or town's name alone ("观音桥街道", "鱼嘴") is square kilometres: staff
could not find a pothole with it. The chat asks once for a road, an estate or a landmark; said
again, or "说不清", the street is kept. A problem that covers the area ("停水") is not asked."""

from __future__ import annotations

import pytest

from tests.dialogs.conftest import Resident
from tests.dialogs.fakes import FakeDesk

pytestmark = pytest.mark.usefixtures("one_question_per_reply")

PHONE = "13812345678"


@pytest.fixture
def resident(town_resident: Resident) -> Resident:
    return town_resident


def _location(desk: FakeDesk, resident: Resident) -> str | None:
    (slip,) = desk.of(resident.openid)
    return slip.draft.location_text


@pytest.mark.parametrize("street", ["观音桥街道", "观音桥", "我住鱼嘴镇那边", "在寸滩街道"])
async def test_a_street_alone_is_asked_about_once(
    resident: Resident, desk: FakeDesk, street: str
) -> None:
    await resident.say("路面有个大坑，好几个人摔了")
    asked = await resident.say(street)
    assert "范围比较大" in asked and "哪条路" in asked and "电话" not in asked
    assert "电话" in await resident.say("建新北路12号门口")
    assert "地点：建新北路12号门口" in await resident.say(PHONE)
    await resident.say("确认")
    assert _location(desk, resident) == "建新北路12号门口"


@pytest.mark.parametrize("again", ["观音桥街道", "说不清", "不知道"])
async def test_said_again_or_unsure_the_street_is_kept(
    resident: Resident, desk: FakeDesk, again: str
) -> None:
    await resident.say("路面有个大坑，好几个人摔了")
    assert "范围比较大" in await resident.say("观音桥街道")
    assert "电话" in await resident.say(again)
    assert "地点：观音桥街道" in await resident.say(PHONE)
    await resident.say("确认")
    assert _location(desk, resident) == "观音桥街道"


@pytest.mark.parametrize("place", ["观音桥街道建新北路", "观音桥街道嘉陵一村", "观音桥步行街",
                                   "观音桥街道 红旗河沟菜市场旁边"])
async def test_a_street_with_more_is_taken_at_once(
    resident: Resident, place: str
) -> None:
    await resident.say("路面有个大坑，好几个人摔了")
    reply = await resident.say(place)
    assert "范围比较大" not in reply and "电话" in reply


@pytest.mark.parametrize("problem", ["石马河街道停水了一整天", "鱼嘴镇到处都是垃圾没人管"])
async def test_a_problem_across_the_area_is_not_asked_for_a_spot(
    resident: Resident, problem: str
) -> None:
    reply = await resident.say(problem)
    assert "范围比较大" not in reply


async def test_a_phone_number_instead_keeps_the_street(
    resident: Resident, desk: FakeDesk
) -> None:
    """Asked for the spot, the resident sends their number: the street stands, nothing is
    asked twice."""
    await resident.say("路面有个大坑，好几个人摔了")
    assert "范围比较大" in await resident.say("观音桥街道")
    summary = await resident.say(PHONE)
    assert "请核对" in summary and "地点：观音桥街道" in summary


async def test_a_question_in_between_then_the_spot_is_asked_again(
    resident: Resident, desk: FakeDesk
) -> None:
    await resident.say("路面有个大坑，好几个人摔了")
    assert "范围比较大" in await resident.say("观音桥街道")
    again = await resident.say("我的电话会不会泄露？")
    assert "打码" in again and "范围比较大" in again
    assert "电话" in await resident.say("建新北路12号门口")
