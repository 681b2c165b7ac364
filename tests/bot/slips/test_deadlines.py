"""Deadlines on the working calendar, traffic lights and the workbench, with a fixed clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.slips.errors import InvalidInput, TransitionNotAllowed
from bot.slips.views import SlipFilter
from tests.bot.slips.conftest import (
    ADMIN,
    DISPATCHER,
    HANDLER,
    RESIDENT,
    SUPERVISOR,
    T0,
    Clock,
    Slips,
    triage,
)

CQ = ZoneInfo("Asia/Shanghai")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=CQ)


async def light_of(slips: Slips, number: str) -> str:
    return (await slips.service.get(number, ADMIN)).light


async def test_deadlines_count_working_days_from_acceptance(slips: Slips) -> None:
    view = await slips.issue(triage=triage(urgency="一般", due_working_days=5))
    # Accepted Wednesday 10:00: sign by the end of the next working day, complete in 5.
    assert view.response_due_at == local(2026, 11, 26, 23, 59, 59)
    assert view.due_at == local(2026, 12, 2, 23, 59, 59)


async def test_holidays_and_make_up_workdays_are_respected(slips: Slips, clock: Clock) -> None:
    clock.now = local(2026, 9, 30, 10, 0).astimezone(UTC)
    view = await slips.issue(triage=triage(due_working_days=5))
    # National Day (10-01..10-07) is skipped, the make-up Saturday 10-10 counts.
    assert view.due_at == local(2026, 10, 13, 23, 59, 59)


async def test_urgent_slips_run_on_clock_hours(slips: Slips, clock: Clock) -> None:
    view = await slips.issue("燃气管道漏气", triage=triage(urgency="特急", due_working_days=1))
    assert view.response_due_at == T0 + timedelta(hours=2)
    clock.advance(minutes=95)
    assert await light_of(slips, view.number) == "green"
    clock.advance(minutes=2)  # 97 of 120 minutes: past 80 %
    assert await light_of(slips, view.number) == "yellow"
    clock.advance(minutes=23)
    assert await light_of(slips, view.number) == "red"


async def test_lights_follow_the_running_clocks(slips: Slips, clock: Clock) -> None:
    view = await slips.issue(triage=triage(due_working_days=5))
    # Response limit: Wed 10:00 → Thu 23:59:59, 38 working hours; 80 % is at Thu 16:24.
    clock.now = local(2026, 11, 26, 16, 20).astimezone(UTC)
    assert await light_of(slips, view.number) == "green"
    clock.now = local(2026, 11, 26, 16, 30).astimezone(UTC)
    assert await light_of(slips, view.number) == "yellow"
    bench = await slips.service.workbench(HANDLER)
    assert [s.number for s in bench.due_soon] == [view.number] and bench.overdue == []
    assert [s.number for s in bench.to_sign] == [view.number]
    clock.now = local(2026, 11, 27, 0, 0, 1).astimezone(UTC)
    assert await light_of(slips, view.number) == "red"
    bench = await slips.service.workbench(HANDLER)
    assert [s.number for s in bench.overdue] == [view.number] and bench.due_soon == []
    assert bench.counts["overdue"] == 1
    red = await slips.service.list(SUPERVISOR, SlipFilter(light="red"))
    assert [s.number for s in red.items] == [view.number]

    # Signing stops the response clock; the completion clock (to Dec 2) is still green.
    await slips.service.act(view.number, "sign", HANDLER)
    assert await light_of(slips, view.number) == "green"
    assert (await slips.service.list(SUPERVISOR, SlipFilter(light="red"))).items == []
    clock.now = local(2026, 12, 2, 12, 0).astimezone(UTC)
    assert await light_of(slips, view.number) == "yellow"
    clock.now = local(2026, 12, 3, 9, 0).astimezone(UTC)
    assert await light_of(slips, view.number) == "red"

    # Completed late: the closed slip keeps its red light; it leaves the workbench.
    await slips.service.act(view.number, "close", HANDLER, data={"result": "已修复"})
    assert await light_of(slips, view.number) == "red"
    bench = await slips.service.workbench(HANDLER)
    assert sum(bench.counts.values()) == 0


async def test_a_slip_completed_in_time_is_green(slips: Slips, clock: Clock) -> None:
    view = await slips.issue()
    await slips.service.act(view.number, "sign", HANDLER)
    clock.advance(days=1)
    closed = await slips.service.act(view.number, "close", HANDLER, data={"result": "已修复"})
    assert closed.light == "green"


async def test_extensions_need_a_supervisor_and_stay_within_ten_working_days(
    slips: Slips,
) -> None:
    view = await slips.issue(triage=triage(due_working_days=5))  # due Wed 2026-12-02
    await slips.service.act(view.number, "sign", HANDLER)
    with pytest.raises(InvalidInput) as exc:  # 11 working days later
        await slips.service.act(view.number, "request_extension", HANDLER, note="需招标",
                                data={"due_date": "2026-12-17"})
    assert exc.value.field == "due_date" and "10个工作日" in exc.value.message
    with pytest.raises(InvalidInput):
        await slips.service.act(view.number, "request_extension", HANDLER, note="x",
                                data={"due_date": "2026-12-01"})
    with pytest.raises(InvalidInput):
        await slips.service.act(view.number, "request_extension", HANDLER, note="x",
                                data={"due_date": "12月9日"})
    with pytest.raises(InvalidInput) as exc:  # a Saturday: the console and the resident's
        # notice would give different dates (the deadline is the end of a working day)
        await slips.service.act(view.number, "request_extension", HANDLER, note="x",
                                data={"due_date": "2026-12-05"})
    assert exc.value.field == "due_date"
    assert "不是工作日" in exc.value.message and "2026-12-04 或 2026-12-07" in exc.value.message
    await slips.service.act(view.number, "request_extension", HANDLER, note="需协调施工",
                            data={"due_date": "2026-12-09"})
    with pytest.raises(TransitionNotAllowed):  # one request at a time
        await slips.service.act(view.number, "request_extension", HANDLER, note="再延",
                                data={"due_date": "2026-12-08"})
    bench = await slips.service.workbench(SUPERVISOR)
    assert [s.number for s in bench.extension_requests] == [view.number]
    staff_note = (await slips.outbox(view.number))[-1]
    assert staff_note.kind == "extension_requested" and staff_note.audience == "staff"

    approved = await slips.service.act(view.number, "approve_extension", SUPERVISOR)
    assert approved.due_at == local(2026, 12, 9, 23, 59, 59)
    assert approved.pending_extension is None
    extended = [n for n in await slips.outbox(view.number) if n.kind == "extended"]
    assert "2026年12月9日" in extended[0].text and extended[0].audience == "resident"

    # Extensions add up: 5 granted, 6 more would exceed 10.
    with pytest.raises(InvalidInput):
        await slips.service.act(view.number, "request_extension", HANDLER, note="还要延",
                                data={"due_date": "2026-12-17"})
    await slips.service.act(view.number, "request_extension", HANDLER, note="还要延",
                            data={"due_date": "2026-12-16"})
    with pytest.raises(InvalidInput):  # a supervisor cannot grant more than was asked
        await slips.service.act(view.number, "approve_extension", SUPERVISOR,
                                data={"due_date": "2026-12-17"})
    rejected = await slips.service.act(view.number, "reject_extension", SUPERVISOR, note="不予延期")
    assert rejected.due_at == local(2026, 12, 9, 23, 59, 59)


async def test_a_department_may_return_a_slip_within_one_working_day(
    slips: Slips, clock: Clock
) -> None:
    view = await slips.issue()
    clock.now = local(2026, 11, 26, 18, 0).astimezone(UTC)
    returned = await slips.service.act(view.number, "return", HANDLER, note="属住建委职责")
    assert returned.status == "accepted" and returned.lead_department is None
    assert returned.queue_reason == "returned"
    assert [s.number for s in (await slips.service.workbench(DISPATCHER)).queue] == [view.number]
    staff = (await slips.outbox(view.number))[-1]
    assert (staff.kind, staff.template_data["to"]) == ("returned", "dispatch")

    again = await slips.service.act(view.number, "dispatch", DISPATCHER,
                                    data={"department": "D-CGJ"})
    assert again.status == "dispatched"
    clock.now = local(2026, 11, 30, 9, 0).astimezone(UTC)  # Monday: the window (Fri) is past
    with pytest.raises(TransitionNotAllowed) as exc:
        await slips.service.act(view.number, "return", HANDLER, note="不归我们管")
    assert "1个工作日" in (exc.value.reason or "")
    assert "return" not in [a.code for a in await slips.service.actions_for(view.number, HANDLER)]


async def test_reopening_starts_a_new_completion_limit(slips: Slips, clock: Clock) -> None:
    view = await slips.issue(triage=triage(due_working_days=5))
    await slips.service.act(view.number, "sign", HANDLER)
    await slips.service.act(view.number, "close", HANDLER, data={"result": "已修复"})
    clock.now = local(2026, 12, 7, 9, 0).astimezone(UTC)  # Monday
    reopened = await slips.service.act(view.number, "reopen", SUPERVISOR, note="回访未解决")
    assert reopened.status == "dispatched" and reopened.reopen_count == 1
    assert reopened.due_at == local(2026, 12, 14, 23, 59, 59)
    assert reopened.response_due_at == local(2026, 12, 8, 23, 59, 59)
    assert reopened.light == "green" and reopened.closed_at is None


async def test_a_same_day_reopening_still_gets_a_later_deadline(slips: Slips) -> None:
    """Accepted Wednesday 10:00 (due Wed 12-02), reopened minutes later: the full limit from
    now ends on the same date, so the reopened slip gets the next working day after it."""
    view = await slips.issue(triage=triage(due_working_days=5))
    assert view.due_at == local(2026, 12, 2, 23, 59, 59)
    await slips.service.act(view.number, "sign", HANDLER)
    await slips.service.act(view.number, "close", HANDLER, data={"result": "已修复"})
    reopened = await slips.service.act(view.number, "survey", RESIDENT,
                                       data={"verdict": "不满意"}, note="还是不亮")
    assert reopened.status == "dispatched"
    assert reopened.due_at == local(2026, 12, 3, 23, 59, 59)
    [staff] = [n for n in await slips.outbox(view.number) if n.kind == "reopened_staff"]
    assert "2026年12月3日" in staff.text
    [told] = [n for n in await slips.outbox(view.number) if n.kind == "reopened"]
    assert "2026年12月3日" in told.text  # pushed when the survey was not answered in the chat


async def test_a_reopening_never_shortens_an_extended_deadline(slips: Slips, clock: Clock) -> None:
    view = await slips.issue(triage=triage(due_working_days=5))
    await slips.service.act(view.number, "sign", HANDLER)
    await slips.service.act(view.number, "request_extension", HANDLER, note="需采购配件",
                            data={"due_date": date(2026, 12, 16)})
    await slips.service.act(view.number, "approve_extension", SUPERVISOR)
    await slips.service.act(view.number, "close", HANDLER, data={"result": "已修复"})
    clock.now = local(2026, 12, 7, 9, 0).astimezone(UTC)  # Monday: 5 days from now is 12-14
    reopened = await slips.service.act(view.number, "reopen", SUPERVISOR, note="回访未解决")
    assert reopened.due_at == local(2026, 12, 17, 23, 59, 59)


async def test_supervising_flags_the_slip_and_tells_the_department(slips: Slips) -> None:
    view = await slips.issue()
    after = await slips.service.act(view.number, "supervise", SUPERVISOR, note="群众反映强烈")
    assert after.supervised
    flagged = await slips.service.list(SUPERVISOR, SlipFilter(supervised=True))
    assert [s.number for s in flagged.items] == [view.number]
    [notice] = await slips.outbox(view.number)
    assert notice.audience == "staff" and notice.template_data["department"] == "D-CGJ"
    assert "【督办】" in notice.text and "群众反映强烈" in notice.text


async def test_extension_dates_are_local_dates(slips: Slips) -> None:
    view = await slips.issue()
    await slips.service.act(view.number, "sign", HANDLER)
    await slips.service.act(view.number, "request_extension", HANDLER, note="x",
                            data={"due_date": date(2026, 12, 3)})
    pending = (await slips.service.get(view.number, SUPERVISOR)).pending_extension
    assert pending == {"due_date": "2026-12-03", "reason": "x"}
