"""Places in the resident's dialog (third product review): a place of another district is not
filed for ours, two separate places make the chat ask which one, and what an answer says about
the resident (phone, name) stays out of the place."""

from __future__ import annotations

import pytest

from dialogs.entities import EntityExtractor
from dialogs.nlu import Nlu
from knowledge.gazetteer import Gazetteer
from knowledge.pack import load_pack
from tests.dialogs.conftest import Resident
from tests.dialogs.fakes import FakeDesk

pytestmark = pytest.mark.usefixtures("one_question_per_reply")

PHONE = "13812345678"


def _location(desk: FakeDesk, resident: Resident) -> str | None:
    (slip,) = desk.of(resident.openid)
    return slip.draft.location_text


# -- 1. a place of another district --------------------------------------------------------------
async def test_a_place_of_another_district_in_the_first_message_is_not_filed(
    resident: Resident, desk: FakeDesk
) -> None:
    reply = await resident.say(f"解放碑的路灯坏了三天了，电话{PHONE}")
    assert "解放碑属于渝中区" in reply and "不归江北区管" in reply
    assert "12345" in reply and "请告诉我详细地址" in reply
    assert "请核对" not in reply
    # "好的" or "确认" is no address: the explanation again, nothing to confirm, no slip
    for said in ("好的", "确认"):
        reply = await resident.say(said)
        assert "渝中区" in reply and "请核对" not in reply
    assert desk.of(resident.openid) == []


async def test_after_another_districts_place_a_place_of_ours_is_filed(
    resident: Resident, desk: FakeDesk
) -> None:
    await resident.say("路灯坏了三天了")
    reply = await resident.say("南坪")
    assert "您说的南坪属于南岸区，不归江北区管" in reply
    assert "电话" in await resident.say("建新北路12号")
    assert "地点：建新北路12号" in await resident.say(PHONE)
    await resident.say("确认")
    assert _location(desk, resident) == "建新北路12号"


async def test_the_other_district_itself(resident: Resident) -> None:
    await resident.say("路灯坏了三天了")
    reply = await resident.say("渝北区")
    assert "您说的地方在渝北区，不归江北区管" in reply


async def test_an_address_said_to_be_ours_is_taken(resident: Resident, desk: FakeDesk) -> None:
    await resident.say("路灯坏了三天了")
    await resident.say("解放碑")
    assert "电话" in await resident.say("是江北区的解放碑路3号")
    assert "请核对" in await resident.say(PHONE)
    await resident.say("确认")
    assert "解放碑路3号" in _location(desk, resident)


async def test_a_yes_is_no_place(resident: Resident, desk: FakeDesk) -> None:
    """ "确认" said to the place question (the resident thought it was the summary) was filed
    as the place 确认."""
    await resident.say("路灯坏了三天了")
    reply = await resident.say("确认")
    assert "具体地点" in reply and "请核对" not in reply


# -- 2. two places -------------------------------------------------------------------------------
async def test_two_separate_places_make_the_chat_ask_which(
    resident: Resident, desk: FakeDesk
) -> None:
    await resident.say("路灯坏了三天了")
    reply = await resident.say("观音桥还有寸滩")
    assert "“观音桥”和“寸滩”两个地方" in reply and "哪一处" in reply
    assert "电话" in await resident.say("观音桥")
    await resident.say(PHONE)
    await resident.say("确认")
    assert _location(desk, resident) == "观音桥"


async def test_both_places_are_kept_when_the_resident_says_both(
    resident: Resident, desk: FakeDesk
) -> None:
    await resident.say("路灯坏了三天了")
    await resident.say("观音桥和寸滩")
    await resident.say("两处都有")
    await resident.say(PHONE)
    await resident.say("确认")
    assert _location(desk, resident) == "观音桥和寸滩"


@pytest.mark.parametrize("said", ["建新北路和洋河路之间", "建新北路与洋河路交叉口"])
async def test_between_or_where_two_roads_cross_is_one_place(
    resident: Resident, desk: FakeDesk, said: str
) -> None:
    await resident.say("路灯坏了三天了")
    assert "电话" in await resident.say(said)
    await resident.say(PHONE)
    await resident.say("确认")
    assert _location(desk, resident) == said


# -- 3. what the answer says about the resident --------------------------------------------------
async def test_a_declined_phone_stays_out_of_the_place(
    resident: Resident, desk: FakeDesk
) -> None:
    await resident.say("路灯坏了三天了")
    reply = await resident.say("建新北路12号，不留电话")
    # the phone was turned down with the place: not asked for again
    assert "地点：建新北路12号\n" in reply and "电话：不留" in reply
    await resident.say("确认")
    assert _location(desk, resident) == "建新北路12号"
    assert not desk.of(resident.openid)[0].draft.phone


async def test_a_place_said_to_the_phone_question_loses_the_phone_clause(
    resident: Resident, desk: FakeDesk
) -> None:
    await resident.say("建新北路的路灯坏了三天了")
    reply = await resident.say("建新北路12号，电话就不留了")
    assert "地点：建新北路12号\n" in reply
    await resident.say("确认")
    assert _location(desk, resident) == "建新北路12号"


async def test_an_unknown_place_said_with_a_phone_number(
    resident: Resident, desk: FakeDesk
) -> None:
    await resident.say("路灯坏了三天了")
    reply = await resident.say(f"老菜场背后，{PHONE}")
    assert "地点：老菜场背后\n" in reply and "电话：138****5678" in reply


# -- the same with the shipped gazetteer -------------------------------------------------------
@pytest.mark.parametrize(("said", "place", "district"), [
    ("沙坪坝三峡广场的井盖丢了", "三峡广场", "沙坪坝区"),
    ("杨家坪那边的路灯坏了", "杨家坪", "九龙坡区"),
    ("江北机场路上的井盖丢了", "江北机场路", "渝北区"),
])
async def test_shipped_places_of_other_districts(
    town_resident: Resident, desk: FakeDesk, said: str, place: str, district: str
) -> None:
    reply = await town_resident.say(f"{said}，电话{PHONE}")
    assert f"您说的{place}属于{district}，不归江北区管" in reply
    assert desk.of(town_resident.openid) == []


async def test_hongqihegou_is_ours(town_resident: Resident) -> None:
    reply = await town_resident.say(f"红旗河沟的路灯坏了三天了，电话{PHONE}")
    assert "地点：红旗河沟" in reply and "所属：观音桥街道" in reply


SHIPPED = EntityExtractor.load(Gazetteer(load_pack().areas))


@pytest.mark.parametrize(("text", "places"), [
    ("观音桥还有寸滩", ["观音桥", "寸滩"]),
    ("观音桥和寸滩", ["观音桥", "寸滩"]),
    ("观音桥，寸滩", ["观音桥", "寸滩"]),
    ("建新北路和洋河路", ["建新北路", "洋河路"]),
    ("观音桥还有解放碑", ["观音桥", "解放碑"]),
    ("建新北路和洋河路之间", []),
    ("建新北路与洋河路交叉口", []),
    ("建新北路12号和14号之间", []),
    ("观音桥建新北路12号", []),
    ("观音桥，建新北路12号", []),  # a street and a road in it
    ("五里店的建新北路", []),
    ("北城天街旁边的华新街社区", []),
    ("从观音桥到五里店这段路", []),
    ("鲤鱼池小区3栋", []),
])
def test_several_places(text: str, places: list[str]) -> None:
    assert SHIPPED.several_places(text) == places


def test_the_entity_of_another_districts_place() -> None:
    (entity,) = [e for e in SHIPPED.extract("解放碑的路灯坏了") if e["entity"] == "place"]
    assert entity["value"] == "解放碑" and "additional_info" not in entity
    # ours named too: only ours is the place
    (entity,) = [e for e in SHIPPED.extract("观音桥还有解放碑") if e["entity"] == "place"]
    assert entity["additional_info"]["street"] == "观音桥街道"


NLU = Nlu.load(Gazetteer(load_pack().areas))


@pytest.mark.parametrize(("text", "place", "declined"), [
    ("建新北路12号，不留电话", "建新北路12号", True),
    ("建新北路12号 电话就不留了", "建新北路12号", True),
    ("老菜场背后，我姓王", "老菜场背后", False),
    ("电话亭旁边", "电话亭旁边", False),  # a place with 电话 in it
    ("不留电话", "不留电话", False),  # nothing else: not a place, and not an aside
])
def test_contact_clauses(text: str, place: str, declined: bool) -> None:
    assert NLU.without_contact_clauses(text) == place
    assert NLU.declines_phone_aside(text) is declined
