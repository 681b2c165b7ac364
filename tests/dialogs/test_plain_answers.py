"""Plain answers to the bot's questions, as residents gave them walking through the demo in
the thirteenth session."""

from __future__ import annotations

import pytest

from tests.dialogs.conftest import Resident
from tests.dialogs.fakes import FakeDesk


@pytest.mark.parametrize("said", ["不用留电话", "不需要", "不用了", "别打电话 微信说就行",
                                  "电话就不用留了", "不要给我打电话"])
async def test_turning_the_phone_down_in_other_words_is_understood(
    resident: Resident, desk: FakeDesk, said: str
) -> None:
    await resident.say("小区门口的路灯坏了三天了")
    assert "联系电话" in await resident.say("建新北路12号")
    reply = await resident.say(said)
    assert "号码好像不对" not in reply and "请核对" in reply, reply
    assert "确认" in reply
    await resident.say("确认")
    (slip,) = desk.of(resident.openid)
    assert slip.draft.phone is None


@pytest.mark.parametrize("said", ["你们这个有没有人管啊 我反映了好多次了 一直没人处理",
                                  "反映过好多次了 石沉大海", "怎么还没人来"])
async def test_a_chase_with_no_problem_in_it_asks_what_the_problem_is(
    resident: Resident, desk: FakeDesk, said: str
) -> None:
    """From a resident with no open slip it was taken for the problem: a slip that said only
    that nobody had come."""
    reply = await resident.say(said)
    assert "真不好意思" in reply and "是什么问题" in reply and "单号" in reply, reply
    assert "联系电话" not in reply
    reply = await resident.say("小区门口的路灯坏了三天了 建新北路12号")
    assert "联系电话" in reply
    await resident.say("不留")
    await resident.say("确认")
    (slip,) = desk.of(resident.openid)
    assert slip.draft.description.startswith("小区门口的路灯坏了三天了")


async def test_a_chase_that_tells_the_problem_is_the_problem(
    resident: Resident, desk: FakeDesk
) -> None:
    reply = await resident.say("小区垃圾堆了一个星期没人管 反映了好多次了")
    assert "真不好意思" not in reply and "什么地方" in reply


@pytest.mark.parametrize(("said", "problem"), [
    ("师傅 我想问下 那个 我们这边停水了 啥时候来水啊", "我们这边停水了 啥时候来水啊"),
    ("领导 建新北路12号门口的路灯坏了", "建新北路12号门口的路灯坏了"),
    ("那个 建新北路12号门口井盖丢了", "建新北路12号门口井盖丢了"),
])
async def test_how_a_resident_addresses_us_is_not_part_of_the_problem(
    resident: Resident, said: str, problem: str
) -> None:
    reply = await resident.say(said)
    if "什么地方" in reply:
        reply = await resident.say("建新北路12号")
    if "联系电话" in reply:
        reply = await resident.say("不留")
    assert f"问题：{problem}\n" in reply, reply


async def test_how_long_after_a_slip_gives_that_slips_time_limits(
    resident: Resident, desk: FakeDesk
) -> None:
    """"那大概多久能来水" just after a slip was issued got the rules for every kind of slip."""
    from dialogs.text import local_time
    from tests.dialogs.conftest import issued

    number = await issued(resident, desk)
    reply = await resident.say("那大概多久能修好")
    assert number in reply and f"办理期限：{local_time(desk.slips[number].due_at)}" in reply
    assert "这是您这张交办单的时限" in reply and "政策咨询" not in reply


async def test_how_long_with_no_slip_or_while_reporting_gives_the_rules(
    resident: Resident, desk: FakeDesk
) -> None:
    assert "政策咨询" in await resident.say("一般多久能处理")
    await resident.say("小区门口的路灯坏了三天了")
    reply = await resident.say("一般多久能处理")
    assert "政策咨询" in reply and "什么地方" in reply


@pytest.mark.parametrize("said", ["好的 那我等着", "那我再等等", "行 等你们消息", "好的，等你们通知"])
async def test_saying_they_will_wait_adds_nothing_to_the_slip(
    resident: Resident, desk: FakeDesk, said: str
) -> None:
    """After a status reply, "好的 那我等着" was added to the slip as a 补充."""
    from tests.dialogs.conftest import issued

    number = await issued(resident, desk)
    await resident.say("我的工单")
    reply = await resident.say(said)
    assert "有进展会第一时间在这里告诉您" in reply and "补充" not in reply, reply
    assert desk.slips[number].followups == []


async def test_hold_on_in_the_middle_of_a_report_is_not_waiting_for_a_slip(
    resident: Resident,
) -> None:
    await resident.say("小区门口的路灯坏了三天了")
    reply = await resident.say("等一下")
    assert "有进展" not in reply


async def test_a_message_in_english_is_told_in_english_where_to_get_help(
    resident: Resident,
) -> None:
    reply = await resident.say("street light broken near my home")
    assert "this chat only understands Chinese" in reply and "12345" in reply
    assert "我没太看明白" in reply
    reply = await resident.say("ok")
    assert "Chinese" not in reply
    assert "Chinese" not in await resident.say("啊啊啊啊")


async def test_where_the_resident_is_from_is_not_part_of_the_problem(
    town_resident: Resident, desk: FakeDesk
) -> None:
    """"我是五里店的 …" opened every summary of such a report."""
    reply = await town_resident.say("我是五里店的 我们那里的公共厕所好脏好臭 一直没人打扫")
    if "说不清" in reply or "什么地方" in reply:
        reply = await town_resident.say("五里店轻轨站旁边")
    if "联系电话" in reply:
        reply = await town_resident.say("不留")
    assert "问题：我们那里的公共厕所好脏好臭 一直没人打扫\n" in reply, reply
    assert "五里店" in reply  # the place is kept as the place


async def test_who_the_resident_is_stays_in_the_problem(resident: Resident) -> None:
    reply = await resident.say("我是开出租车的 建新北路12号门口天天有人乱停车")
    if "联系电话" in reply:
        reply = await resident.say("不留")
    assert "问题：我是开出租车的 建新北路12号门口天天有人乱停车" in reply, reply
