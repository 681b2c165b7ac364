"""催办 in the chat: with a slip open, "能不能快点" or "麻烦催一下" is recorded as an urge on
that slip (its department is told; staff see the count), and the resident is told so with the
slip's time limits. Once every few hours (the slip service decides: tests/bot/slips/test_urge.py):
an urge again soon after is added to the slip as words, and the resident told it was urged
already."""

from __future__ import annotations

import pytest

from tests.dialogs.conftest import Resident, issued
from tests.dialogs.fakes import FakeDesk

pytestmark = pytest.mark.usefixtures("one_question_per_reply")


@pytest.mark.parametrize("said", ["麻烦催一下", "能不能快点，电梯坏了老人上不了楼",
                                  "你们到底什么时候来修", "怎么还没人来处理", "帮我催办一下"])
async def test_an_urge_is_recorded_and_answered_with_the_time_limits(
    resident: Resident, desk: FakeDesk, said: str
) -> None:
    number = await issued(resident, desk)
    reply = await resident.say(said)
    assert f"已帮您催办交办单 {number}" in reply and "区城市管理局" in reply
    assert "办理期限" in reply
    assert desk.slips[number].urges == [said]
    assert desk.slips[number].followups == []


async def test_a_second_urge_soon_after_is_not_counted_again(
    resident: Resident, desk: FakeDesk
) -> None:
    number = await issued(resident, desk)
    await resident.say("麻烦催一下")
    desk.urge_counts = False  # the service: urged within the last few hours
    again = await resident.say("快点嘛，等了好久了")
    assert "刚才已经帮您催办过" in again and number in again and "区城市管理局" in again
    assert "补充到单子里" in again
    assert desk.slips[number].urges == ["麻烦催一下"]
    assert desk.slips[number].followups == [("快点嘛，等了好久了", [])]
    desk.urge_counts = True
    assert "已帮您催办" in await resident.say("还是没人来，麻烦再催一下")
    assert len(desk.slips[number].urges) == 2


async def test_without_a_slip_open_an_urge_is_not_understood_as_one(
    resident: Resident, desk: FakeDesk
) -> None:
    reply = await resident.say("麻烦催一下")
    assert "催办" not in reply
    assert desk.of(resident.openid) == []


async def test_a_closed_slip_is_not_urged(resident: Resident, desk: FakeDesk) -> None:
    number = await issued(resident, desk)
    desk.close(number)
    reply = await resident.say("麻烦催一下")
    assert "已帮您催办" not in reply
    assert desk.slips[number].urges == []


async def test_a_danger_told_with_an_urge_is_a_follow_up(
    resident: Resident, desk: FakeDesk
) -> None:
    """The slip service raises a follow-up that tells of a danger to 特急: not a 催办."""
    number = await issued(resident, desk)
    reply = await resident.say("怎么还没人来，楼下起火了")
    assert "催办" not in reply
    assert desk.slips[number].urges == []
