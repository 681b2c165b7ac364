"""The why of a "不满意" answered long after it was asked: a new problem told days later is not
taken for the old slip's reason (the old slip reopened with it, the new one never registered);
the resident is asked which it is. Within the idle timeout the next message is the reason."""

from __future__ import annotations

import pytest

from dialogs.kit import DialogKit
from tests.dialogs.conftest import Resident, issued
from tests.dialogs.fakes import NOW, FakeDesk

pytestmark = pytest.mark.usefixtures("one_question_per_reply")

NEW_PROBLEM = "观音桥步行街的井盖丢了"
TWO_DAYS = 2 * 24 * 60


@pytest.fixture(autouse=True)
def now(kit: DialogKit) -> None:
    kit.clock = lambda: NOW


async def unsatisfied(resident: Resident, desk: FakeDesk) -> str:
    """A closed slip, answered with a bare "3": the why is asked."""
    number = await issued(resident, desk)
    desk.close(number)
    assert "哪里不满意" in await resident.say("3")
    return number


@pytest.mark.parametrize("new", ["新问题", "不是", "是新问题", "不是，新的"])
async def test_a_new_problem_days_later_is_registered_as_one(
    resident: Resident, desk: FakeDesk, new: str
) -> None:
    number = await unsatisfied(resident, desk)
    resident.clock.advance(TWO_DAYS)
    asked = await resident.say(NEW_PROBLEM)
    assert f"交办单 {number}" in asked and "新问题" in asked and "重新交" not in asked
    assert desk.slips[number].surveys == [] and len(desk.of(resident.openid)) == 1
    started = await resident.say(new)
    assert "按新问题登记" in started and "联系您" in started
    assert "请核对" in await resident.say("是")  # the phone given before
    assert "已登记，交办单号" in await resident.say("确认")
    slips = desk.of(resident.openid)
    assert len(slips) == 2 and slips[-1].draft.description.startswith(NEW_PROBLEM)
    assert slips[-1].draft.location_text and "观音桥" in slips[-1].draft.location_text
    # the old slip is neither reopened nor rated: still awaiting its verdict (the scheduler's
    # reminder and 未评价 go on as before)
    assert desk.slips[number].surveys == [] and desk.slips[number].status == "待评价"


@pytest.mark.parametrize("yes", ["是", "是上次那个", "不是新问题"])
async def test_yes_takes_the_message_kept_as_the_reason(
    resident: Resident, desk: FakeDesk, yes: str
) -> None:
    number = await unsatisfied(resident, desk)
    resident.clock.advance(TWO_DAYS)
    await resident.say(NEW_PROBLEM)
    reply = await resident.say(yes)
    assert f"交办单 {number} 已重新交" in reply
    assert desk.slips[number].surveys == [("不满意", None, NEW_PROBLEM)]
    assert desk.slips[number].status == "重办" and len(desk.of(resident.openid)) == 1
    assert "重新交" not in await resident.say("是")  # asked once, answered once


async def test_within_the_idle_timeout_the_next_message_is_the_reason(
    resident: Resident, desk: FakeDesk
) -> None:
    number = await unsatisfied(resident, desk)
    resident.clock.advance(20)
    reply = await resident.say(NEW_PROBLEM)
    assert f"交办单 {number} 已重新交" in reply
    assert desk.slips[number].surveys == [("不满意", None, NEW_PROBLEM)]
    assert len(desk.of(resident.openid)) == 1


async def test_still_not_fixed_days_later_is_the_reason(
    resident: Resident, desk: FakeDesk
) -> None:
    """Words that say the old problem is still there are about that slip: no question."""
    number = await unsatisfied(resident, desk)
    resident.clock.advance(TWO_DAYS)
    reply = await resident.say("还是没修好")
    assert f"交办单 {number} 已重新交" in reply
    assert desk.slips[number].surveys == [("不满意", False, "还是没修好")]


async def test_still_broken_somewhere_else_is_asked_about(
    resident: Resident, desk: FakeDesk
) -> None:
    number = await unsatisfied(resident, desk)
    resident.clock.advance(TWO_DAYS)
    asked = await resident.say("观音桥那边的路灯还是不亮")
    assert f"交办单 {number}" in asked and "新问题" in asked
    assert desk.slips[number].surveys == []


@pytest.mark.parametrize(("said", "answer"), [
    ("你好", "您好"), ("查询", "JB"), ("我的工单", "JB"),
])
async def test_a_message_that_is_no_report_days_later_drops_the_wait(
    resident: Resident, desk: FakeDesk, said: str, answer: str
) -> None:
    """A greeting or a status question is answered as it would be; the why is no longer
    waited for, so a problem told right after is a new report, not the old slip's reason."""
    number = await unsatisfied(resident, desk)
    resident.clock.advance(TWO_DAYS)
    assert answer in await resident.say(said)
    reply = await resident.say(NEW_PROBLEM)
    assert "重新交" not in reply and "联系您" in reply
    assert desk.slips[number].surveys == [] and desk.slips[number].status == "待评价"


async def test_a_bare_number_days_later_is_a_rating_again(
    resident: Resident, desk: FakeDesk
) -> None:
    number = await unsatisfied(resident, desk)
    resident.clock.advance(TWO_DAYS)
    assert "已记录为“满意”" in await resident.say("1")
    assert desk.slips[number].surveys == [("满意", None, None)]


async def test_another_answer_to_the_question_is_read_afresh(
    resident: Resident, desk: FakeDesk
) -> None:
    number = await unsatisfied(resident, desk)
    resident.clock.advance(TWO_DAYS)
    await resident.say(NEW_PROBLEM)
    assert number in await resident.say("我的工单")
    assert "重新交" not in await resident.say("是")  # the question is gone by now
    assert desk.slips[number].surveys == [] and desk.slips[number].status == "待评价"


async def test_a_changed_rating_days_later_stays_for_a_new_problem(
    resident: Resident, desk: FakeDesk
) -> None:
    number = await issued(resident, desk)
    desk.close(number)
    await resident.say("2")
    assert "评价是“基本满意”" in await resident.say("3")
    resident.clock.advance(TWO_DAYS)
    asked = await resident.say(NEW_PROBLEM)
    assert f"交办单 {number}" in asked and "新问题" in asked
    assert "按新问题登记" in await resident.say("新问题")
    assert desk.slips[number].surveys == [("基本满意", None, None)]
    assert desk.slips[number].status == "已评价"


@pytest.mark.parametrize("again", ["3", "不满意", "3。"])
async def test_the_rating_said_again_reopens_without_a_reason(
    resident: Resident, desk: FakeDesk, again: str
) -> None:
    """Asked why, an elderly resident may only say "3" again: they are not satisfied and the
    slip reopens, without "3" recorded as the staff's reason to read."""
    number = await unsatisfied(resident, desk)
    resident.clock.advance(20)
    reply = await resident.say(again)
    assert f"交办单 {number} 已重新交" in reply
    assert desk.slips[number].surveys == [("不满意", None, None)]
