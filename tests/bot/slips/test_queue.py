"""The dispatcher's queue and the handler's desk: most urgent first, and why a slip is back
(退单 with its reason, 重办 with the resident's reason)."""

from __future__ import annotations

from bot.slips.views import SlipFilter
from tests.bot.slips.conftest import (
    DISPATCHER,
    HANDLER,
    RESIDENT,
    Clock,
    Slips,
    triage,
)


def _unsure(urgency: str, hours: int | None = None):  # type: ignore[no-untyped-def]
    return triage(urgency=urgency, low_confidence=True, response_due_hours=hours)


async def test_the_queue_puts_the_most_urgent_first_then_the_nearest_deadline(
    slips: Slips, clock: Clock
) -> None:
    ordinary = await slips.issue("我们楼下垃圾没人收", triage=_unsure("一般"))
    clock.advance(minutes=5)
    pressing = await slips.issue("我们整栋楼停水了", triage=_unsure("紧急", 24))
    clock.advance(minutes=5)
    fire = await slips.issue("我们楼道着火了", triage=_unsure("特急", 2))
    clock.advance(minutes=5)
    fall = await slips.issue("老人摔倒起不来了", triage=_unsure("特急", 2))
    clock.advance(minutes=5)
    earlier = await slips.issue("我们小区电梯停了有人困住", triage=_unsure("紧急", 2))
    expected = [fire.number, fall.number, earlier.number, pressing.number, ordinary.number]
    listed = await slips.service.list(DISPATCHER, SlipFilter(queue=True))
    assert [s.number for s in listed.items] == expected
    bench = await slips.service.workbench(DISPATCHER)
    assert [s.number for s in bench.queue] == expected
    # paging keeps the order
    second = await slips.service.list(DISPATCHER, SlipFilter(queue=True), page=2, per_page=2)
    assert [s.number for s in second.items] == expected[2:4]
    # a search inside the queue too
    found = await slips.service.list(DISPATCHER, SlipFilter(queue=True, q="我们"))
    assert [s.number for s in found.items] == [fire.number, earlier.number, pressing.number,
                                              ordinary.number]


async def test_a_returned_slip_carries_its_mark_and_reason_in_the_lists(slips: Slips) -> None:
    view = await slips.issue()
    await slips.service.act(view.number, "return", HANDLER, note="属于住建委职责")
    other = await slips.issue("路灯不亮", triage=triage(low_confidence=True))
    for items in ((await slips.service.list(DISPATCHER, SlipFilter(queue=True))).items,
                  (await slips.service.workbench(DISPATCHER)).queue):
        mine = next(s for s in items if s.number == view.number)
        assert mine.queue_reason == "returned"
        assert mine.returned is not None
        assert (mine.returned.department, mine.returned.reason) == ("区城市管理局", "属于住建委职责")
        unsure = next(s for s in items if s.number == other.number)
        assert (unsure.queue_reason, unsure.returned) == ("low_confidence", None)
    # dispatched again, the mark goes
    await slips.service.act(view.number, "dispatch", DISPATCHER, data={"department": "D-ZJW"})
    row = next(s for s in (await slips.service.list(DISPATCHER)).items if s.number == view.number)
    assert row.returned is None and row.queue_reason is None


async def test_a_returned_slip_merged_or_withdrawn_loses_the_mark(slips: Slips) -> None:
    """The lists showed 被退回 on slips that were merged or withdrawn from the queue."""
    kept = await slips.issue("建新北路12号门口的路灯坏了")
    merged = await slips.issue("建新北路那盏路灯不亮了")
    withdrawn = await slips.issue("路灯坏了")
    for view in (merged, withdrawn):
        await slips.service.act(view.number, "return", HANDLER, note="属于住建委职责")
    await slips.service.act(merged.number, "merge", DISPATCHER, data={"into": kept.number})
    await slips.service.act(withdrawn.number, "withdraw", DISPATCHER, note="居民电话撤回")
    rows = {s.number: s for s in (await slips.service.list(DISPATCHER)).items}
    for view in (merged, withdrawn):
        assert (rows[view.number].queue_reason, rows[view.number].returned) == (None, None)
    assert (await slips.service.list(DISPATCHER, SlipFilter(queue=True))).items == []


async def test_a_reopened_slip_is_marked_with_the_residents_reason_on_the_desk(
    slips: Slips,
) -> None:
    view = await slips.issue()
    await slips.service.act(view.number, "sign", HANDLER)
    await slips.service.act(view.number, "close", HANDLER, data={"result": "已修复"})
    await slips.service.act(view.number, "survey", RESIDENT, data={"verdict": "不满意"},
                            note="灯还是不亮")
    [mine] = (await slips.service.workbench(HANDLER)).to_sign
    assert mine.number == view.number and mine.status == "dispatched"
    assert mine.reopen_count == 1 and mine.reopen_reason == "居民评价不满意：灯还是不亮"
    listed = await slips.service.list(HANDLER)
    assert listed.items[0].reopen_reason == "居民评价不满意：灯还是不亮"
    # a slip never reopened has neither
    fresh = await slips.issue("井盖丢了")
    row = next(s for s in (await slips.service.list(HANDLER)).items if s.number == fresh.number)
    assert (row.reopen_count, row.reopen_reason) == (0, None)
