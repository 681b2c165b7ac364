"""The chat's status and 重办 replies for a 特急 or 紧急 slip tell the contact the resident was
promised (within hours) first; the status reply then gives the completion deadline too (the
fifth review: a 紧急 slip showed none); an 一般 slip keeps its deadline."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dialogs.kit import DialogKit
from dialogs.text import local_time
from tests.dialogs.conftest import Resident, issued
from tests.dialogs.fakes import NOW, FakeDesk


@pytest.fixture(autouse=True)
def now(kit: DialogKit) -> None:
    kit.clock = lambda: NOW


@pytest.mark.parametrize("urgency", ["特急", "紧急"])
async def test_an_unsigned_urgent_slip_says_when_staff_will_be_in_touch(
    resident: Resident, desk: FakeDesk, urgency: str
) -> None:
    number = await issued(resident, desk)
    slip = desk.slips[number]
    slip.urgency, slip.response_due_at = urgency, NOW + timedelta(hours=2)
    reply = await resident.say(f"{number} 怎么样了")
    assert "当前状态：已派单" in reply
    assert f"工作人员会在{local_time(NOW + timedelta(hours=2))}前与您联系" in reply
    assert reply.index("前与您联系") < reply.index(f"办理期限：{local_time(slip.due_at)}")


async def test_a_signed_or_late_urgent_slip_says_staff_will_be_in_touch_soon(
    resident: Resident, desk: FakeDesk
) -> None:
    number = await issued(resident, desk)
    slip = desk.slips[number]
    slip.urgency, slip.status, slip.signed_at = "紧急", "办理中", NOW
    reply = await resident.say(f"{number} 怎么样了")
    assert "工作人员会尽快与您联系" in reply and "办理期限" in reply
    # not signed, but the response time has passed: never a time already gone
    slip.signed_at, slip.response_due_at = None, NOW - timedelta(minutes=5)
    reply = await resident.say(f"{number} 怎么样了")
    assert "工作人员会尽快与您联系" in reply and "前与您联系" not in reply


async def test_an_ordinary_slip_keeps_its_completion_deadline(
    resident: Resident, desk: FakeDesk
) -> None:
    number = await issued(resident, desk)
    reply = await resident.say(f"{number} 怎么样了")
    assert f"办理期限：{local_time(desk.slips[number].due_at)}" in reply
    assert "与您联系" not in reply


async def test_a_reopened_urgent_slip_promises_the_contact_not_a_date(
    resident: Resident, desk: FakeDesk
) -> None:
    number = await issued(resident, desk)
    desk.slips[number].urgency = "特急"
    desk.close(number)
    assert "哪里不满意" in await resident.say("3")
    reopened = await resident.say("还是没人来修")
    slip = desk.slips[number]
    assert slip.status == "重办"
    assert f"交办单 {number} 已重新交区城市管理局办理" in reopened
    assert f"工作人员会在{local_time(NOW + timedelta(hours=2))}前与您联系" in reopened
    assert "办理期限" not in reopened and local_time(slip.due_at) not in reopened
