"""Deadlines and traffic lights of a slip, on the city's working calendar (knowledge.deadlines).

Two clocks, both started at acceptance — the resident's wait: the response clock (签收/首次联系)
stops when a department signs, the completion clock (办结) when the slip is closed. Neither
restarts when the slip is dispatched, sent back (退单) or transferred (改派): the resident was
promised "2小时内与您联系" at intake, and a slip passed between desks keeps that promise (the
governance reference gives a re-dispatch no limit of its own). Only 重办 starts both again. alert_yellow_at / alert_red_at hold the earliest yellow and red moment
of the running clocks so lists, filters and the workbench need no calendar arithmetic in SQL.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from bot.slips.errors import InvalidInput
from bot.slips.models import Slip
from knowledge.deadlines import DeadlinePlan, Deadlines

UNSIGNED = frozenset({"accepted", "dispatched"})


class SlipTiming:
    def __init__(self, deadlines: Deadlines) -> None:
        self.deadlines = deadlines
        self.calendar = deadlines.calendar
        self.policy = deadlines.policy

    # -- limits -------------------------------------------------------------------------------
    def plan(self, triage: dict[str, Any]) -> DeadlinePlan:
        """The triage's limits (it applies the same policy); the policy's for what it lacks."""
        plan = self.deadlines.plan(
            triage.get("urgency") or "一般",
            triage.get("complexity") or "一般",
            triage.get("request_type") or "投诉",
        )
        hours = triage.get("response_due_hours")
        days = triage.get("response_due_working_days")
        if hours is not None or days is not None:
            plan = replace(plan, response_hours=_int(hours), response_working_days=_int(days))
        if triage.get("due_working_days") is not None:
            plan = replace(plan, completion_working_days=int(triage["due_working_days"]))
        return plan

    def start(self, slip: Slip, plan: DeadlinePlan, now: datetime) -> None:
        """Both clocks from `now` (a new slip)."""
        slip.response_hours = plan.response_hours
        slip.response_working_days = plan.response_working_days
        slip.due_working_days = plan.completion_working_days
        slip.completion_start_at = now
        slip.due_at = self.calendar.add_working_days(now, plan.completion_working_days)
        self.restart_response(slip, now)

    def restart_response(self, slip: Slip, now: datetime) -> None:
        """The response limit from now: at acceptance and on 重办 only (see the module)."""
        slip.response_start_at = now
        if slip.response_hours is not None:
            due = self.calendar.add_hours(now, slip.response_hours)
        else:
            due = self.calendar.add_working_days(now, slip.response_working_days or 1)
        slip.response_due_at = due
        if slip.due_at is not None and slip.due_at < due:
            slip.due_at = due  # completion never ends before the response limit

    def restart_completion(self, slip: Slip, now: datetime) -> None:
        """重办: a new completion limit of the same length, from now, that always ends after
        the deadline it replaces. A slip reopened on the working day its clock started (or
        inside an extension) would otherwise get the very date it already had, and the
        resident would be told "新的办理期限" with the old one: it then gets one working day
        beyond the previous deadline instead."""
        previous = slip.due_at
        due = self.calendar.add_working_days(now, slip.due_working_days or 7)
        if previous is not None and due <= previous:
            due = self.calendar.add_working_days(previous, 1)
        slip.completion_start_at = now
        slip.due_at = due
        slip.extension_days = 0
        self.restart_response(slip, now)

    def refresh_alerts(self, slip: Slip, *, is_open: bool) -> None:
        if not is_open or slip.due_at is None or slip.completion_start_at is None:
            slip.alert_yellow_at = slip.alert_red_at = None
            return
        yellows = [self._at(slip.completion_start_at, slip.due_at, self.policy.yellow, False)]
        reds = [self._at(slip.completion_start_at, slip.due_at, self.policy.red, False)]
        if slip.status in UNSIGNED and slip.response_due_at and slip.response_start_at:
            hours = slip.response_hours is not None
            yellows.append(self._at(slip.response_start_at, slip.response_due_at,
                                    self.policy.yellow, hours))
            reds.append(self._at(slip.response_start_at, slip.response_due_at,
                                 self.policy.red, hours))
        slip.alert_yellow_at, slip.alert_red_at = min(yellows), min(reds)

    def _at(self, start: datetime, due: datetime, share: float, hours: bool) -> datetime:
        """When `share` of the limit from start to due is used up."""
        if share == 1.0:
            return due
        if hours:
            return start + (due - start) * share
        total = self.calendar.working_seconds(start, due)
        return self.calendar.advance_working_seconds(start, total * share)

    # -- lights -------------------------------------------------------------------------------
    @staticmethod
    def light(slip: Slip, now: datetime) -> str:
        """green / yellow / red; a closed slip keeps red if it was completed late."""
        if slip.alert_red_at is not None:
            if now >= slip.alert_red_at:
                return "red"
            if slip.alert_yellow_at is not None and now >= slip.alert_yellow_at:
                return "yellow"
            return "green"
        done = slip.resolved_at or slip.closed_at
        if done is not None and slip.due_at is not None and done > slip.due_at:
            return "red"
        return "green"

    # -- extensions and returns ---------------------------------------------------------------
    def local_date(self, moment: datetime) -> date:
        return self.calendar.local(moment).date()

    def extension(self, slip: Slip, wanted: date) -> tuple[int, datetime]:
        """(working days added, new deadline) for an extension to `wanted`, or InvalidInput."""
        if slip.due_at is None:
            raise InvalidInput("due_date", "这张交办单没有办结时限，无需延期")
        current = self.local_date(slip.due_at)
        if not self.calendar.is_workday(wanted):
            # the deadline is the end of a working day: a Saturday asked for became Friday in
            # the resident's notice while the console said the Saturday
            before, after = self._workday_before(wanted), self.calendar.next_workday(wanted)
            raise InvalidInput("due_date", f"{wanted:%Y-%m-%d}不是工作日（周末或节假日），请选一个"
                               f"工作日，例如 {before:%Y-%m-%d} 或 {after:%Y-%m-%d}")
        days = self.calendar.working_days_between(current, wanted)
        if days < 1:
            raise InvalidInput("due_date", f"延期后的日期须晚于当前办结时限（{current:%Y-%m-%d}）后的"
                               "工作日")
        limit = self.policy.extension_max_working_days
        if slip.extension_days + days > limit:
            raise InvalidInput(
                "due_date",
                f"延期合计不能超过{limit}个工作日（已延期{slip.extension_days}个工作日，"
                f"本次{days}个工作日）",
            )
        return days, self.calendar.add_working_days(slip.due_at, days)

    def _workday_before(self, day: date) -> date:
        day -= timedelta(days=1)
        while not self.calendar.is_workday(day):
            day -= timedelta(days=1)
        return day

    def return_deadline(self, slip: Slip) -> datetime | None:
        """The end of the window for 退单, counted from when the slip reached the department
        (not from acceptance: a slip may wait in the dispatcher's queue first)."""
        start = slip.dispatched_at or slip.response_start_at
        return None if start is None else self.deadlines.return_due(start)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)
