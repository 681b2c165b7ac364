"""Answers the form took wrongly (fourth product review): an evasion at the place question was
filed as the address, two places in the first message were filed under one, "我要举报" sent
alone lost its 举报, the message that came with the resume question was dropped on "继续",
and a "谢谢" stayed in the address."""

from __future__ import annotations

import pytest

from tests.dialogs.conftest import Clock, Resident
from tests.dialogs.fakes import FakeDesk

pytestmark = pytest.mark.usefixtures("one_question_per_reply")

PHONE = "13812345678"


def _slip(desk: FakeDesk, resident: Resident):  # type: ignore[no-untyped-def]
    (slip,) = desk.of(resident.openid)
    return slip


# -- 1. non-answers and evasions at the place question -------------------------------------------
EVASIONS = ["不晓得", "你们自己去看嘛", "就是那里", "我也说不清楚", "问那么多干啥"]


@pytest.mark.parametrize("said", EVASIONS)
async def test_an_evasion_is_asked_once_more_with_an_example(
    resident: Resident, said: str
) -> None:
    await resident.say("路灯坏了三天了")
    reply = await resident.say(said)
    assert "路名和门牌号" in reply and "小区名和楼栋" in reply and "附近" in reply
    assert "请核对" not in reply and "联系电话" not in reply


@pytest.mark.parametrize("said", EVASIONS)
async def test_a_second_evasion_files_without_a_place(
    resident: Resident, desk: FakeDesk, said: str
) -> None:
    await resident.say("路灯坏了三天了")
    await resident.say(said)
    reply = await resident.say("说不清" if said == "问那么多干啥" else said)
    assert "待核实" in reply and "联系电话" in reply
    summary = await resident.say(PHONE)
    assert "地点：待核实" in summary and said not in summary
    await resident.say("确认")
    assert _slip(desk, resident).draft.location_text is None


async def test_a_place_after_an_evasion_is_filed(resident: Resident, desk: FakeDesk) -> None:
    await resident.say("路灯坏了三天了")
    await resident.say("你们自己去看嘛")
    assert "联系电话" in await resident.say("鲤鱼池小区3栋")
    await resident.say(PHONE)
    await resident.say("确认")
    assert _slip(desk, resident).draft.location_text == "鲤鱼池小区3栋"


@pytest.mark.parametrize("said", ["就在我们小区", "我家楼下", "在我们小区门口", "我们这边"])
async def test_a_place_only_the_resident_knows_is_asked_once_more(
    resident: Resident, desk: FakeDesk, said: str
) -> None:
    """"就在我们小区" was filed as the place: nobody could find it."""
    await resident.say("路灯坏了三天了")
    reply = await resident.say(said)
    assert "小区叫什么名字" in reply and "联系电话" not in reply
    assert "联系电话" in await resident.say("鲤鱼池小区3栋")
    await resident.say(PHONE)
    await resident.say("确认")
    assert _slip(desk, resident).draft.location_text == "鲤鱼池小区3栋"


async def test_a_place_only_the_resident_knows_said_twice_is_kept(
    resident: Resident, desk: FakeDesk
) -> None:
    await resident.say("路灯坏了三天了")
    await resident.say("就在我们小区")
    assert "联系电话" in await resident.say("就是我们小区嘛")
    await resident.say(PHONE)
    await resident.say("确认")
    assert _slip(desk, resident).draft.location_text == "就是我们小区嘛"


@pytest.mark.parametrize("said", ["菜市场旁边", "老厂区那边", "鲤鱼池小区门口", "老菜场背后"])
async def test_vague_but_useful_places_are_taken(
    resident: Resident, desk: FakeDesk, said: str
) -> None:
    await resident.say("路灯坏了三天了")
    assert "联系电话" in await resident.say(said)
    await resident.say(PHONE)
    await resident.say("确认")
    assert _slip(desk, resident).draft.location_text == said


# -- 2. two places in the first message ---------------------------------------------------------
@pytest.mark.parametrize(("said", "names"), [
    (f"观音桥和寸滩都停水了，电话{PHONE}", "“观音桥”和“寸滩”两个地方"),
    ("观音桥还有解放碑的路灯坏了", "“观音桥”和“解放碑”两个地方"),
])
async def test_two_places_in_the_first_message_make_the_chat_ask_which(
    resident: Resident, desk: FakeDesk, said: str, names: str
) -> None:
    reply = await resident.say(said)
    assert names in reply and "哪一处" in reply and "请核对" not in reply
    assert desk.of(resident.openid) == []


async def test_the_place_chosen_after_the_first_message_is_filed(
    resident: Resident, desk: FakeDesk
) -> None:
    await resident.say(f"观音桥和寸滩都停水了，电话{PHONE}")
    assert "地点：寸滩" in await resident.say("寸滩")
    await resident.say("确认")
    assert _slip(desk, resident).draft.location_text == "寸滩"


async def test_both_places_of_the_first_message_are_kept(
    resident: Resident, desk: FakeDesk
) -> None:
    await resident.say(f"观音桥还有寸滩的路灯坏了，电话{PHONE}")
    assert "地点：观音桥还有寸滩" in await resident.say("两处都有")
    await resident.say("确认")
    slip = _slip(desk, resident)
    assert slip.draft.location_text == "观音桥还有寸滩"
    assert slip.draft.description == "观音桥还有寸滩的路灯坏了"


@pytest.mark.parametrize("said", [
    "观音桥的路灯坏了，观音桥这边晚上好黑",  # one place said twice
    "建新北路和洋河路之间的路灯坏了",  # the stretch between two
    "观音桥建新北路12号门口井盖丢了",  # an area and an address in it
])
async def test_one_place_in_the_first_message_is_not_asked_about(
    resident: Resident, said: str
) -> None:
    reply = await resident.say(f"{said}，电话{PHONE}")
    assert "请核对" in reply and "哪一处" not in reply


# -- 3. "我要举报" alone ------------------------------------------------------------------------
@pytest.mark.parametrize(("first", "marker"), [("我要举报", "我要举报"), ("举报", "我要举报"),
                                               ("我要投诉！", "我要投诉")])
async def test_a_report_marker_sent_alone_starts_the_description(
    resident: Resident, desk: FakeDesk, first: str, marker: str
) -> None:
    await resident.say(first)
    reply = await resident.say(f"建新北路12号的餐馆把油污倒进下水道，电话{PHONE}")
    assert f"问题：{marker}，建新北路12号的餐馆把油污倒进下水道" in reply
    await resident.say("确认")
    assert _slip(desk, resident).draft.description == (
        f"{marker}，建新北路12号的餐馆把油污倒进下水道")


async def test_the_marker_is_not_said_twice(resident: Resident, desk: FakeDesk) -> None:
    await resident.say("我要举报")
    await resident.say(f"我要举报建新北路12号的餐馆乱倒油污，电话{PHONE}")
    await resident.say("确认")
    assert _slip(desk, resident).draft.description == "我要举报建新北路12号的餐馆乱倒油污"


async def test_a_plain_new_report_adds_no_marker(resident: Resident, desk: FakeDesk) -> None:
    await resident.say("我要反映")
    await resident.say(f"建新北路12号门口井盖丢了，电话{PHONE}")
    await resident.say("确认")
    assert _slip(desk, resident).draft.description == "建新北路12号门口井盖丢了"


# -- 4. the message that came with the resume question -------------------------------------------
async def test_an_answer_that_came_with_the_resume_question_is_used(
    resident: Resident, clock: Clock, desk: FakeDesk
) -> None:
    await resident.say("路灯坏了三天了")
    clock.advance(60)
    assert "还没有提交" in await resident.say("建新北路12号")
    reply = await resident.say("继续")
    assert "接着办" in reply and "联系电话" in reply and "什么地方" not in reply
    await resident.say(PHONE)
    await resident.say("确认")
    assert _slip(desk, resident).draft.location_text == "建新北路12号"


async def test_a_phone_that_came_with_the_resume_question_is_used(
    resident: Resident, clock: Clock, desk: FakeDesk
) -> None:
    await resident.say("南桥寺社区的垃圾站很久没清运了")
    clock.advance(60)
    await resident.say(PHONE)
    reply = await resident.say("继续")
    assert "接着办" in reply and "请核对" in reply and "138****5678" in reply


async def test_a_map_location_that_came_with_the_resume_question_is_used(
    resident: Resident, clock: Clock, desk: FakeDesk
) -> None:
    """It was dropped: "继续" asked where the problem was once more."""
    await resident.say("路灯坏了三天了")
    clock.advance(60)
    assert "还没有提交" in await resident.location(29.5728, 106.5332, "北城天街")
    reply = await resident.say("继续")
    assert "位置已收到：北城天街" in reply and "联系电话" in reply and "什么地方" not in reply
    await resident.say(PHONE)
    await resident.say("确认")
    assert _slip(desk, resident).draft.location_text == "北城天街"


@pytest.mark.parametrize("asked_place", [False, True])
async def test_more_about_the_problem_with_the_resume_question_joins_the_description(
    resident: Resident, clock: Clock, desk: FakeDesk, asked_place: bool
) -> None:
    await resident.say("路灯坏了三天了")
    if not asked_place:
        await resident.say("建新北路12号")
    clock.advance(60)
    await resident.say("晚上黑黢黢的，路灯不亮好多天了")
    reply = await resident.say("继续")
    assert ("什么地方" if asked_place else "联系电话") in reply
    if asked_place:
        await resident.say("建新北路12号")
    summary = await resident.say(PHONE)
    assert "问题：路灯坏了三天了；晚上黑黢黢的，路灯不亮好多天了" in summary
    await resident.say("确认")
    assert _slip(desk, resident).draft.location_text == "建新北路12号"


async def test_a_correction_that_came_with_the_resume_question_at_the_summary(
    resident: Resident, clock: Clock, desk: FakeDesk
) -> None:
    await resident.say(f"建新北路12号门口井盖丢了，电话{PHONE}")
    clock.advance(60)
    await resident.say("地址改成建新北路14号")
    reply = await resident.say("继续")
    assert "请核对" in reply and "地点：建新北路14号" in reply


# -- 5. politeness after the address -------------------------------------------------------------
@pytest.mark.parametrize("said", ["建新北路12号。不想留电话，谢谢", "建新北路12号，不留电话，麻烦了",
                                  "建新北路12号，不留电话，辛苦了！"])
@pytest.mark.parametrize("first", ["路灯坏了三天了", "建新北路的路灯坏了三天了"])
async def test_thanks_stay_out_of_the_address(
    resident: Resident, desk: FakeDesk, said: str, first: str
) -> None:
    # asked where, or (the road known) asked for the phone: the place corrects it
    await resident.say(first)
    reply = await resident.say(said)
    assert "地点：建新北路12号\n" in reply and "电话：不留" in reply
    await resident.say("确认")
    assert _slip(desk, resident).draft.location_text == "建新北路12号"


@pytest.mark.parametrize("said", ["建新北路12号，谢谢", "建新北路12号谢谢你们", "麻烦了，鲤鱼池小区3栋"])
async def test_thanks_after_an_address_alone(
    resident: Resident, desk: FakeDesk, said: str
) -> None:
    await resident.say("路灯坏了三天了")
    assert "联系电话" in await resident.say(said)
    await resident.say(PHONE)
    await resident.say("确认")
    location = _slip(desk, resident).draft.location_text
    assert location in ("建新北路12号", "鲤鱼池小区3栋")


# -- 6. a phone turned down in the report itself ---------------------------------------------------
@pytest.mark.parametrize("said", ["建新北路12号门口路灯坏了一个星期了，我不留电话",
                                  "建新北路12号门口路灯坏了一个星期了。电话就不留了",
                                  "建新北路12号门口路灯坏了一个星期了，匿名反映"])
async def test_a_phone_turned_down_in_the_report_is_not_asked_for(
    resident: Resident, desk: FakeDesk, said: str
) -> None:
    reply = await resident.say(said)
    assert "请核对" in reply and "电话：不留" in reply
    await resident.say("确认")
    assert not _slip(desk, resident).draft.phone


@pytest.mark.parametrize(("said", "described"), [
    ("建新北路12号门口路灯坏了一个星期了，我不留电话", "建新北路12号门口路灯坏了一个星期了"),
    ("建新北路12号门口路灯坏了一个星期了。电话就不留了，谢谢", "建新北路12号门口路灯坏了一个星期了，谢谢"),
    ("我不想留手机号码，建新北路12号门口路灯坏了", "建新北路12号门口路灯坏了"),
    # a wish to stay anonymous is for staff to see
    ("建新北路12号门口路灯坏了一个星期了，匿名反映", "建新北路12号门口路灯坏了一个星期了，匿名反映"),
    # someone else's phone is part of the problem
    ("建新北路12号物业电话一直打不通，楼道灯坏了", "建新北路12号物业电话一直打不通，楼道灯坏了"),
])
async def test_a_phone_turned_down_is_not_part_of_the_problem_staff_read(
    resident: Resident, desk: FakeDesk, said: str, described: str
) -> None:
    reply = await resident.say(said)
    if "联系电话" in reply:
        await resident.say(PHONE)
    await resident.say("确认")
    assert _slip(desk, resident).draft.description == described


async def test_someone_elses_phone_in_the_report_is_not_a_refusal(
    resident: Resident, desk: FakeDesk
) -> None:
    reply = await resident.say("我不知道物业的电话，建新北路12号楼道灯坏了")
    assert "联系电话" in reply
