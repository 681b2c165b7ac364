"""With a slip open, a resident's everyday question about it gets its state, and a problem told
with its own place is not announced as the slip's new place (tenth session's walk through the
demo: "有人管没有" was not understood, "路灯修了没有" and "这个路灯到底有人管没有" were filed as
more about the slip, and "鲤鱼池小区3栋楼下的路灯坏了" after a 井盖 slip got "已把地点…补充")."""

from __future__ import annotations

import pytest

from tests.dialogs.conftest import Resident, issued
from tests.dialogs.fakes import FakeDesk

pytestmark = pytest.mark.usefixtures("one_question_per_reply")


@pytest.mark.parametrize("asked", [
    "有人管没有", "有没有人管？", "井盖的事有人管没", "这个井盖到底有人管没有", "井盖修了没有",
    "修好了吗", "处理了吗", "你们啥时候来", "好久派人来看看",
])
async def test_whether_anyone_handles_it_is_answered_with_its_state(
    resident: Resident, desk: FakeDesk, asked: str
) -> None:
    number = await issued(resident, desk)
    reply = await resident.say(asked)
    assert f"交办单 {number}" in reply and "当前状态" in reply, reply
    assert "补充" not in reply and "没太看明白" not in reply
    assert desk.slips[number].followups == []


@pytest.mark.parametrize("said", ["路灯坏了没人修，鲤鱼池小区3栋", "楼下路灯三天了都没修好"])
async def test_a_complaint_that_asks_why_nothing_happens_is_still_a_complaint(
    resident: Resident, desk: FakeDesk, said: str
) -> None:
    """The status patterns are for short questions: a problem told in full is not one."""
    await issued(resident, desk)
    reply = await resident.say(said)
    assert "当前状态" not in reply, reply


async def test_another_problem_with_its_place_is_not_called_the_slips_place(
    resident: Resident, desk: FakeDesk
) -> None:
    number = await issued(resident, desk)  # a missing manhole cover on 建新北路
    reply = await resident.say("鲤鱼池小区3栋楼下的路灯坏了")
    assert "已把地点" not in reply and "回复“新问题”" in reply, reply
    assert len(desk.slips[number].followups) == 1  # staff still see it
    # "新问题" files it apart, from the words already sent
    assert "按新问题登记" in await resident.say("新问题")
    summary = await resident.say("是")  # the same phone as for the first slip
    assert "路灯坏了" in summary and "鲤鱼池小区3栋" in summary, summary
    await resident.say("确认")
    slips = desk.of(resident.openid)
    assert len(slips) == 2 and "路灯" in slips[-1].draft.description


async def test_a_place_alone_still_completes_the_open_slip(
    resident: Resident, desk: FakeDesk
) -> None:
    number = await issued(resident, desk)
    reply = await resident.say("建新北路12号3单元")
    assert f"已把地点“建新北路12号3单元”补充到交办单 {number}" in reply
