"""Deadline policy: which limits a slip gets, when they fall due, and the traffic light.

Limits come from policy.yaml (DESIGN.md §3.1 defaults): the response limit (签收/首次联系) by
urgency — 特急 2 clock hours, 紧急 24 clock hours, 一般 1 working day — and the completion limit
(办结) in working days by complexity (简单 5, 一般 7, 复杂 15), or by request type (咨询 3).
Working days follow knowledge.calendar (its docstring states the counting convention).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from knowledge.calendar import WorkingCalendar
from knowledge.records import Policy


@dataclass(frozen=True)
class DeadlinePlan:
    """The limits for one slip, before any clock starts."""

    response_hours: int | None
    response_working_days: int | None
    completion_working_days: int
    alert_duty_officer: bool
    reason: str  # e.g. "紧急: 24 小时内响应; 复杂: 15 个工作日办结"


@dataclass(frozen=True)
class DueTimes:
    """The limits of a plan placed on the calendar from ``start``."""

    start: dt.datetime
    response_due_at: dt.datetime
    completion_due_at: dt.datetime
    response_yellow_at: dt.datetime
    completion_yellow_at: dt.datetime


def plan_deadlines(policy: Policy, urgency: str, complexity: str, request_type: str) -> DeadlinePlan:
    """The limits for a slip classified as ``urgency`` / ``complexity`` / ``request_type``."""
    limits = policy.urgency_deadlines[urgency]
    completion = policy.completion_working_days[complexity]
    completion_reason = f"{complexity}: {completion} 个工作日办结"
    if request_type in policy.request_type_completion:
        completion = policy.request_type_completion[request_type]
        completion_reason = f"{request_type}: {completion} 个工作日答复"
    if limits.response_hours is not None:
        response_reason = f"{urgency}: {limits.response_hours} 小时内响应"
    else:
        response_reason = f"{urgency}: {limits.response_working_days} 个工作日内签收"
    return DeadlinePlan(
        response_hours=limits.response_hours,
        response_working_days=limits.response_working_days,
        completion_working_days=completion,
        alert_duty_officer=limits.alert_duty_officer,
        reason=f"{response_reason}; {completion_reason}",
    )


class Deadlines:
    """Places deadline plans on a city's working calendar."""

    def __init__(self, policy: Policy, calendar: WorkingCalendar | None = None) -> None:
        self.policy = policy
        self.calendar = calendar or WorkingCalendar.from_policy(policy)

    def plan(self, urgency: str, complexity: str, request_type: str) -> DeadlinePlan:
        return plan_deadlines(self.policy, urgency, complexity, request_type)

    def due_times(self, plan: DeadlinePlan, start: dt.datetime) -> DueTimes:
        cal = self.calendar
        start = cal.local(start)
        if plan.response_hours is not None:
            response = cal.add_hours(start, plan.response_hours)
        else:
            response = cal.add_working_days(start, plan.response_working_days or 0)
        completion = cal.add_working_days(start, plan.completion_working_days)
        # An emergency's completion limit never ends before its response limit.
        completion = max(completion, response)
        return DueTimes(
            start=start,
            response_due_at=response,
            completion_due_at=completion,
            response_yellow_at=self.yellow_at(start, response, hours=plan.response_hours
                                              is not None),
            completion_yellow_at=self.yellow_at(start, completion),
        )

    def yellow_at(self, start: dt.datetime, due: dt.datetime, *, hours: bool = False) -> dt.datetime:
        """When the light turns yellow: ``lights.yellow`` of the limit used up.

        Hour limits use clock time; working-day limits count only working-day time, so a
        holiday in the middle does not turn a slip yellow.
        """
        cal = self.calendar
        if hours:
            return start + (due - start) * self.policy.yellow
        total = cal.working_seconds(start, due)
        return cal.advance_working_seconds(start, total * self.policy.yellow)

    def light(self, start: dt.datetime, due: dt.datetime, now: dt.datetime, *,
              hours: bool = False) -> str:
        """green / yellow / red for a limit from ``start`` to ``due`` at ``now``."""
        cal = self.calendar
        start, due, now = cal.local(start), cal.local(due), cal.local(now)
        if hours:
            total = (due - start).total_seconds()
            used = (now - start).total_seconds()
        else:
            total = cal.working_seconds(start, due)
            used = cal.working_seconds(start, now)
            if now >= due:  # time after the limit counts even on a holiday
                used = max(used, total)
        share = used / total if total > 0 else 1.0
        if share >= self.policy.red:
            return "red"
        if share >= self.policy.yellow:
            return "yellow"
        return "green"

    def extend(self, due: dt.datetime, days: int, *, already_extended: int = 0) -> dt.datetime:
        """A new completion deadline after an approved extension (延期) of ``days`` working days.

        Raises ValueError when all extensions together would exceed the policy's maximum.
        """
        limit = self.policy.extension_max_working_days
        if days < 1:
            raise ValueError("an extension is at least 1 working day")
        if already_extended + days > limit:
            raise ValueError(
                f"extensions may add at most {limit} working days in total "
                f"({already_extended} already granted, {days} requested)"
            )
        return self.calendar.add_working_days(due, days)

    def return_due(self, assigned_at: dt.datetime) -> dt.datetime:
        """Until when a department may send a wrongly routed slip back (退单)."""
        return self.calendar.add_working_days(assigned_at, self.policy.return_working_days)
