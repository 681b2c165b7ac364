"""催办: a resident's urge is an action of its own. It is counted on the slip for the current
round of handling, the lead department is told, staff see the count in the list and on the
slip; closed slips cannot be urged; a 重办 starts the count again."""

from __future__ import annotations

import pytest

from bot.slips.desk import SlipDeskAdapter
from bot.slips.errors import Forbidden
from dialogs import ports
from tests.bot.slips.conftest import (
    DISPATCHER,
    HANDLER,
    OPENID,
    OTHER_RESIDENT,
    RESIDENT,
    Clock,
    Slips,
    triage,
)


@pytest.fixture
def desk(slips: Slips) -> SlipDeskAdapter:
    return SlipDeskAdapter(slips.service, slips.db, issued=ports.IssuedSlip,
                           status=ports.SlipStatus)


async def test_an_urge_is_counted_and_the_lead_department_told(
    slips: Slips, desk: SlipDeskAdapter, clock: Clock
) -> None:
    view = await slips.issue()
    status, counted = await desk.urge(OPENID, view.number, "能不能快点")
    assert status.number == view.number and status.is_open and counted
    clock.advance(hours=5)  # past the policy's urge_gap_hours (4)
    assert (await desk.urge(OPENID, view.number, "麻烦再催一下"))[1]
    row = await slips.row(view.number)
    assert row.urge_count == 2 and row.status == view.status  # the status does not change
    events = await slips.events(view.number)
    assert [(e.action, e.note, e.data) for e in events[-2:]] == [
        ("urge", "能不能快点", {"urge_count": 1}), ("urge", "麻烦再催一下", {"urge_count": 2})]
    staff = [n for n in await slips.outbox(view.number) if n.kind == "urged"]
    assert [n.audience for n in staff] == ["staff", "staff"]
    assert "居民催办交办单" in staff[-1].text and "第2次" in staff[-1].text
    assert "麻烦再催一下" in staff[-1].text
    listed = await slips.service.list(DISPATCHER)
    assert next(s for s in listed.items if s.number == view.number).urge_count == 2
    assert (await slips.service.get(view.number, HANDLER)).urge_count == 2


async def test_only_the_residents_own_open_slip_can_be_urged(
    slips: Slips, desk: SlipDeskAdapter
) -> None:
    view = await slips.issue()
    with pytest.raises(LookupError):
        await desk.urge(OTHER_RESIDENT.id, view.number, "快点")
    with pytest.raises(Forbidden):
        await slips.service.act(view.number, "urge", HANDLER, note="快点")
    await slips.service.act(view.number, "sign", HANDLER)
    await slips.service.act(view.number, "close", HANDLER, data={"result": "已修好"})
    with pytest.raises(ValueError):
        await desk.urge(OPENID, view.number, "快点")
    assert (await slips.row(view.number)).urge_count == 0


async def test_a_reopened_slip_starts_its_count_again(slips: Slips) -> None:
    view = await slips.issue()
    await slips.service.act(view.number, "urge", RESIDENT, note="快点")
    await slips.service.act(view.number, "sign", HANDLER)
    await slips.service.act(view.number, "close", HANDLER, data={"result": "已修好"})
    reopened = await slips.service.act(view.number, "survey", RESIDENT,
                                       data={"verdict": "不满意"}, note="还是坏的")
    assert reopened.reopen_count == 1 and reopened.urge_count == 0
    assert [e.action for e in await slips.events(view.number)].count("urge") == 1


async def test_an_urge_again_within_hours_is_a_followup_whatever_the_chat_remembers(
    slips: Slips, desk: SlipDeskAdapter, clock: Clock
) -> None:
    """The slip keeps when it was last urged: a resident whose conversation was reset (idle,
    or another process) still cannot count the same urge twice within urge_gap_hours."""
    view = await slips.issue()
    assert (await desk.urge(OPENID, view.number, "麻烦催一下"))[1]
    clock.advance(hours=3, minutes=50)
    status, counted = await desk.urge(OPENID, view.number, "快点嘛，等了好久了")
    assert not counted and status.number == view.number and status.is_open
    row = await slips.row(view.number)
    assert row.urge_count == 1
    events = await slips.events(view.number)
    assert [(e.action, e.note) for e in events[-2:]] == [
        ("urge", "麻烦催一下"), ("followup", "快点嘛，等了好久了")]
    assert [n.kind for n in await slips.outbox(view.number)].count("urged") == 1
    clock.advance(minutes=15)
    assert (await desk.urge(OPENID, view.number, "还是没人来"))[1]
    assert (await slips.row(view.number)).urge_count == 2


async def test_a_reopened_slip_can_be_urged_at_once(
    slips: Slips, desk: SlipDeskAdapter, clock: Clock
) -> None:
    view = await slips.issue()
    await slips.service.act(view.number, "urge", RESIDENT, note="快点")
    await slips.service.act(view.number, "sign", HANDLER)
    await slips.service.act(view.number, "close", HANDLER, data={"result": "已修好"})
    await slips.service.act(view.number, "survey", RESIDENT, data={"verdict": "不满意"})
    clock.advance(minutes=10)
    assert (await desk.urge(OPENID, view.number, "怎么还没人来"))[1]
    assert (await slips.row(view.number)).urge_count == 1


async def test_an_urge_on_a_slip_in_the_dispatchers_queue_tells_the_desk(
    slips: Slips, desk: SlipDeskAdapter
) -> None:
    """No lead department yet (low confidence: the queue): the dispatcher's desk hears it."""
    view = await slips.issue(triage=triage(low_confidence=True))
    assert view.lead_department is None
    await desk.urge(OPENID, view.number, "能不能快点")
    urged = [n for n in await slips.outbox(view.number) if n.kind == "urged"]
    assert len(urged) == 1 and urged[0].audience == "staff"
    assert urged[0].template_data["to"] == "dispatch"
