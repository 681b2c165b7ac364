"""An elderly resident who says where before what (walked in the demo, 15th session):

- "我是鲤鱼池的 我们那个楼" was filed as the problem ("我们那个楼") and the phone was asked for;
- what they said next ("楼梯的灯 坏了好久了") was added to the report, but the reply was the
  same phone question again, with no word that it had been heard;
- "电话就是这个微信的" (they think we can see their number) was filed as part of the problem;
- a place said as "就是鲤鱼池四村3栋" was kept with its "就是".
"""

from __future__ import annotations

import pytest

from tests.dialogs.conftest import Resident, resident_with
from tests.dialogs.fakes import FakeDesk

pytestmark = pytest.mark.usefixtures("one_question_per_reply")


@pytest.fixture
def resident(desk: FakeDesk) -> Resident:
    return resident_with(desk)


@pytest.mark.parametrize(("said", "place"), [
    ("我是鲤鱼池的 我们那个楼", "鲤鱼池"),
    ("鲤鱼池小区3栋", "鲤鱼池小区3栋"),
    ("你好 我是鲤鱼池社区的居民", "鲤鱼池社区"),
    ("建新北路12号 你们来看一下", "建新北路12号"),
])
async def test_a_place_alone_is_kept_and_the_problem_asked_for(
    resident: Resident, desk: FakeDesk, said: str, place: str
) -> None:
    reply = await resident.say(said)
    assert f"地点记下了：{place}" in reply and "遇到了什么问题" in reply, reply
    assert "联系电话" not in reply
    reply = await resident.say("楼道的灯坏了")
    assert "联系电话" in reply
    summary = await resident.say("不留")
    assert "问题：楼道的灯坏了\n" in summary and f"地点：{place}" in summary, summary
    await resident.say("确认")
    (slip,) = desk.of(resident.openid)
    assert slip.draft.description == "楼道的灯坏了"


async def test_a_vague_where_with_no_place_asks_for_the_problem(resident: Resident) -> None:
    await resident.say("我要反映个事")
    reply = await resident.say("我们那个楼")
    assert "遇到了什么问题" in reply and "联系电话" not in reply, reply


@pytest.mark.parametrize("said", ["楼上装修", "鲤鱼池小区3栋的楼道灯坏了",
                                  "建新北路12号门口井盖丢了"])
async def test_a_short_report_is_still_a_report(resident: Resident, said: str) -> None:
    reply = await resident.say(said)
    assert "遇到了什么问题" not in reply, reply


async def test_more_about_the_problem_at_the_phone_question_is_acknowledged(
    resident: Resident, desk: FakeDesk
) -> None:
    await resident.say("鲤鱼池小区3栋楼道的灯坏了")
    reply = await resident.say("晚上下楼摔了一跤")
    assert reply.startswith("您补充的情况记下了。") and "联系电话" in reply, reply
    summary = await resident.say("不留")
    assert "楼道的灯坏了；晚上下楼摔了一跤" in summary, summary


@pytest.mark.parametrize("said", ["电话就是这个微信的", "就这个号码"])
async def test_the_number_taken_to_be_in_wechat_is_explained_not_filed(
    resident: Resident, desk: FakeDesk, said: str
) -> None:
    """"就这个号码" was called a wrong number; "电话就是这个微信的" was filed as the problem."""
    await resident.say("鲤鱼池小区3栋楼道的灯坏了")
    reply = await resident.say(said)
    assert "看不到您微信绑定的手机号" in reply and "不留" in reply, reply
    summary = await resident.say("不留")
    assert "微信" not in summary.split("地点")[0], summary
    assert "电话：不留" in summary
    await resident.say("确认")
    (slip,) = desk.of(resident.openid)
    assert "微信" not in slip.draft.description


async def test_a_place_said_with_jiushi_is_kept_without_it(resident: Resident) -> None:
    await resident.say("我是鲤鱼池的 我们那个楼")
    await resident.say("楼梯的灯 坏了好久了")
    reply = await resident.say("就是鲤鱼池四村3栋")
    assert "地点记下了：鲤鱼池四村3栋。" in reply, reply


async def test_the_acknowledgement_comes_with_the_next_question_whichever_it_is(
    resident: Resident,
) -> None:
    """The added words called for a place: the place was asked without a word of them, and
    the acknowledgement came a turn late, after the place."""
    await resident.say("我要投诉")
    await resident.say("你们这些当官的什么都不管")
    reply = await resident.say("上次反映的路灯到现在还没修")
    assert reply.startswith("您补充的情况记下了。") and "什么地方" in reply, reply
    reply = await resident.say("建新东路")
    assert "补充的情况" not in reply and "联系电话" in reply, reply


@pytest.mark.parametrize(("said", "place"), [
    ("五里店转盘旁边的菜市场", "五里店转盘旁边的菜市场"),
    ("观音桥步行街的肯德基门口", "观音桥步行街的肯德基门口"),
    ("鲤鱼池小区对面的公园", "鲤鱼池小区对面的公园"),
    ("洋河花园门口的坡坡", "洋河花园门口的坡坡"),
])
async def test_a_market_shop_or_park_after_the_place_is_kept_with_it(
    resident: Resident, said: str, place: str
) -> None:
    """"五里店转盘旁边的菜市场" was kept as 五里店转盘旁边: staff lost the market (and
    "洋河花园门口的坡坡" its slope)."""
    await resident.say("卖菜的每天早上五点就开始吆喝")
    await resident.say(said)
    summary = await resident.say("不留")
    assert f"地点：{place}\n" in summary, summary


async def test_someone_at_a_school_is_not_taken_into_the_place(resident: Resident) -> None:
    await resident.say("建新北路旁边有人在学校门口卖三无食品")
    summary = await resident.say("不留")
    assert "地点：建新北路旁边\n" in summary, summary


async def test_this_number_to_the_remembered_number_is_a_yes(
    resident: Resident, desk: FakeDesk
) -> None:
    """Offered the number they left before ("还用 138****5678 联系您吗"), "就这个号码" says
    yes; it is not told that we cannot see their number."""
    desk.phones[resident.openid] = "13812345678"
    reply = await resident.say("鲤鱼池小区3栋楼道的灯坏了")
    assert "还用 138****5678" in reply, reply
    summary = await resident.say("就这个号码")
    assert "看不到" not in summary and "电话：138****5678" in summary, summary


async def test_more_about_the_problem_at_the_place_question_is_kept_and_the_place_asked(
    resident: Resident, desk: FakeDesk
) -> None:
    """"晚上下楼摔了一跤" to the place question was kept as the place, then replaced by the
    real one: the fall was lost from the report."""
    await resident.say("楼道的灯坏了好久了")
    reply = await resident.say("晚上下楼摔了一跤")
    assert reply.startswith("您补充的情况记下了。") and "什么地方" in reply, reply
    await resident.say("鲤鱼池四村3栋")
    summary = await resident.say("不留")
    assert "问题：楼道的灯坏了好久了；晚上下楼摔了一跤\n" in summary, summary
    assert "地点：鲤鱼池四村3栋\n" in summary, summary
