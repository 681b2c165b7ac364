""""撤回" while a report is being filled in got the FAQ's explanation, which told the resident to
reply "撤回" — what they had just done. With nothing submitted it means this report; with a
slip open, the two answers are given plainly."""

from __future__ import annotations

import pytest

from tests.dialogs.conftest import Resident, issued
from tests.dialogs.fakes import FakeDesk

pytestmark = pytest.mark.usefixtures("one_question_per_reply")


@pytest.mark.parametrize("said", ["撤回", "我要撤回", "撤销吧"])
async def test_with_nothing_submitted_it_cancels_the_report(
    resident: Resident, desk: FakeDesk, said: str
) -> None:
    await resident.say("我家楼上漏水，天花板都泡了")
    reply = await resident.say(said)
    assert "已取消" in reply and "回复“撤回”" not in reply
    assert "请核对" not in await resident.say("确认")
    assert desk.of(resident.openid) == []


async def test_with_a_slip_open_both_answers_are_given(
    resident: Resident, desk: FakeDesk
) -> None:
    number = await issued(resident, desk)
    await resident.say("还有个事，楼上漏水，天花板都泡了")
    reply = await resident.say("撤回")
    assert "还没提交" in reply and "回复“取消”" in reply and f"回复“撤回 {number}”" in reply
    assert "什么地方" in reply  # the report's question comes back
    assert desk.slips[number].withdrawn is None
    # the slip, named: withdrawn, and the report goes on
    withdrawn = await resident.say(f"撤回 {number}")
    assert f"交办单 {number} 已撤回" in withdrawn and "什么地方" in withdrawn
    assert desk.slips[number].status == "已撤销"


async def test_asking_what_it_means_is_still_answered(resident: Resident) -> None:
    await resident.say("我家楼上漏水，天花板都泡了")
    reply = await resident.say("撤回是什么意思")
    assert "已取消" not in reply
