"""Deadline policy: limits by urgency, complexity and request type; due times; lights."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from knowledge.deadlines import Deadlines
from knowledge.pack import load_pack

SH = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(m: int, d: int, hh: int = 10, mm: int = 0, y: int = 2026) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=SH)


@pytest.fixture(scope="module")
def deadlines() -> Deadlines:
    return Deadlines(load_pack().policy)


@pytest.mark.parametrize(("urgency", "complexity", "rtype", "hours", "days", "completion"), [
    ("特急", "一般", "求助", 2, None, 7),
    ("紧急", "简单", "投诉", 24, None, 5),
    ("一般", "简单", "投诉", None, 1, 5),
    ("一般", "一般", "投诉", None, 1, 7),
    ("一般", "复杂", "举报", None, 1, 15),
    ("一般", "复杂", "咨询", None, 1, 3),  # a question is answered in 3 working days
])
def test_plan(deadlines: Deadlines, urgency: str, complexity: str, rtype: str,
              hours: int | None, days: int | None, completion: int) -> None:
    plan = deadlines.plan(urgency, complexity, rtype)
    assert plan.response_hours == hours
    assert plan.response_working_days == days
    assert plan.completion_working_days == completion
    assert plan.alert_duty_officer is (urgency == "特急")
    assert plan.reason


def test_emergency_response_runs_on_the_clock_even_on_a_holiday(deadlines: Deadlines) -> None:
    due = deadlines.due_times(deadlines.plan("特急", "一般", "求助"), at(10, 3, 22, 30))
    assert due.response_due_at == at(10, 4, 0, 30)
    assert due.response_yellow_at == at(10, 3, 22, 30) + dt.timedelta(minutes=96)


def test_normal_slip_across_national_day(deadlines: Deadlines) -> None:
    start = at(9, 30, 15)
    due = deadlines.due_times(deadlines.plan("一般", "一般", "投诉"), start)
    assert due.response_due_at == dt.datetime(2026, 10, 8, 23, 59, 59, tzinfo=SH)
    assert due.completion_due_at == dt.datetime(2026, 10, 15, 23, 59, 59, tzinfo=SH)
    # yellow comes at 80 % of the working time, never during the holiday
    assert due.completion_yellow_at.date() == dt.date(2026, 10, 14)
    assert deadlines.calendar.is_workday(due.completion_yellow_at.date())


def test_light(deadlines: Deadlines) -> None:
    start = at(9, 30, 15)
    due = deadlines.due_times(deadlines.plan("一般", "一般", "投诉"), start)
    yellow = due.completion_yellow_at
    assert deadlines.light(start, due.completion_due_at, at(10, 5, 12)) == "green"  # holiday
    assert deadlines.light(start, due.completion_due_at, yellow - dt.timedelta(minutes=1)) == "green"
    assert deadlines.light(start, due.completion_due_at, yellow + dt.timedelta(minutes=1)) == "yellow"
    after = due.completion_due_at + dt.timedelta(seconds=2)
    assert deadlines.light(start, due.completion_due_at, after) == "red"


def test_hour_limit_light(deadlines: Deadlines) -> None:
    start = at(10, 3, 8)
    due = start + dt.timedelta(hours=24)
    assert deadlines.light(start, due, start + dt.timedelta(hours=19), hours=True) == "green"
    assert deadlines.light(start, due, start + dt.timedelta(hours=20), hours=True) == "yellow"
    assert deadlines.light(start, due, start + dt.timedelta(hours=25), hours=True) == "red"


def test_extension_is_capped_at_ten_working_days(deadlines: Deadlines) -> None:
    due = dt.datetime(2026, 9, 30, 23, 59, 59, tzinfo=SH)
    assert deadlines.extend(due, 2) == dt.datetime(2026, 10, 9, 23, 59, 59, tzinfo=SH)
    assert deadlines.extend(due, 4, already_extended=6)
    with pytest.raises(ValueError, match="at most 10"):
        deadlines.extend(due, 5, already_extended=6)
    with pytest.raises(ValueError):
        deadlines.extend(due, 0)


def test_return_window_is_one_working_day(deadlines: Deadlines) -> None:
    # assigned on Friday 10-09: the make-up Saturday 10-10 is the day to send it back
    assert deadlines.return_due(at(10, 9, 16)) == dt.datetime(2026, 10, 10, 23, 59, 59, tzinfo=SH)
