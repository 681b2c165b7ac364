"""Working days on the Chinese calendar: holidays, 调休 make-up days, and years without data."""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo

import pytest

from knowledge import calendar as calendar_module
from knowledge.calendar import WorkingCalendar, add_working_days, is_workday
from knowledge.pack import load_pack

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
D = dt.date


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0, tz: dt.tzinfo = SH) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=tz)


def end_of(y: int, m: int, d: int) -> dt.datetime:
    return dt.datetime(y, m, d, 23, 59, 59, tzinfo=SH)


@pytest.fixture
def cal() -> WorkingCalendar:
    return WorkingCalendar()


# -- the 2026 Mid-Autumn + National Day holiday (chinese_calendar's official arrangement) ------
@pytest.mark.parametrize(("day", "workday"), [
    (D(2026, 9, 19), False),  # Saturday
    (D(2026, 9, 20), True),   # Sunday, make-up workday (调休) for National Day
    (D(2026, 9, 24), True),   # Thursday
    (D(2026, 9, 25), False),  # Friday, 中秋节
    (D(2026, 9, 28), True),   # Monday
    (D(2026, 9, 30), True),
    (D(2026, 10, 1), False),  # 国庆节 1-7
    (D(2026, 10, 5), False),  # a Monday inside the holiday
    (D(2026, 10, 7), False),
    (D(2026, 10, 8), True),
    (D(2026, 10, 10), True),  # Saturday, make-up workday
    (D(2026, 10, 11), False),  # Sunday
])
def test_2026_national_day_arrangement(cal: WorkingCalendar, day: dt.date, workday: bool) -> None:
    assert cal.is_workday(day) is workday
    assert cal.source(day) == "chinese_calendar"


@pytest.mark.parametrize(("start", "n", "due"), [
    (at(2026, 9, 30, 15), 1, end_of(2026, 10, 8)),  # the holiday is skipped
    (at(2026, 9, 30, 15), 3, end_of(2026, 10, 10)),  # Saturday 10-10 is a workday
    (at(2026, 9, 30, 15), 7, end_of(2026, 10, 15)),
    (at(2026, 10, 3, 9), 1, end_of(2026, 10, 8)),  # accepted on a holiday
    (at(2026, 9, 24, 17), 1, end_of(2026, 9, 28)),  # 中秋 25-27 skipped
    (at(2026, 9, 19, 11), 1, end_of(2026, 9, 20)),  # the make-up Sunday counts
    (at(2026, 9, 30, 0, 1), 0, end_of(2026, 9, 30)),  # 0 = by the end of today
    (at(2026, 10, 2, 8), 0, end_of(2026, 10, 8)),  # ... or of the next working day
])
def test_add_working_days_across_national_day(cal: WorkingCalendar, start: dt.datetime, n: int,
                                               due: dt.datetime) -> None:
    assert cal.add_working_days(start, n) == due


def test_day_of_arrival_never_counts_whatever_the_hour(cal: WorkingCalendar) -> None:
    assert cal.add_working_days(at(2026, 11, 25, 0, 0), 1) == end_of(2026, 11, 26)
    assert cal.add_working_days(at(2026, 11, 25, 23, 59), 1) == end_of(2026, 11, 26)


def test_time_zone_is_shanghai(cal: WorkingCalendar) -> None:
    # 20:00 UTC on Friday 10-09 is 04:00 on Saturday 10-10 in Chongqing: counting starts there.
    start = dt.datetime(2026, 10, 9, 20, 0, tzinfo=dt.UTC)
    assert cal.add_working_days(start, 1) == end_of(2026, 10, 12)
    # a naive datetime is local time
    assert cal.add_working_days(dt.datetime(2026, 10, 9, 20, 0), 1) == end_of(2026, 10, 10)


def test_negative_days_are_refused(cal: WorkingCalendar) -> None:
    with pytest.raises(ValueError):
        cal.add_working_days(at(2026, 10, 9), -1)


# -- years chinese_calendar does not know -------------------------------------------------------
def test_2027_falls_back_to_the_holidays_package_with_a_warning(
    cal: WorkingCalendar, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="knowledge.calendar"):
        assert cal.is_workday(D(2027, 1, 1)) is False  # New Year's Day
        assert cal.is_workday(D(2027, 10, 1)) is False  # National Day
        assert cal.is_workday(D(2027, 1, 4)) is True  # an ordinary Monday
        assert cal.is_workday(D(2027, 1, 9)) is False  # an ordinary Saturday
    assert cal.source(D(2027, 1, 4)) == "holidays"
    warnings = [r for r in caplog.records if "2027" in r.getMessage()]
    assert len(warnings) == 1  # once per year, not once per date


def test_deadline_runs_from_2026_into_2027(cal: WorkingCalendar) -> None:
    # 12-31 (Thu) is day 1, 2027-01-01 is a holiday, 01-02/03 the weekend, 01-04 and 01-05 follow
    assert cal.add_working_days(at(2026, 12, 30), 3) == end_of(2027, 1, 5)


def test_without_any_holiday_data_weekdays_are_workdays(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(calendar_module, "_holidays_package", lambda year: None)
    cal = WorkingCalendar()
    with caplog.at_level(logging.WARNING, logger="knowledge.calendar"):
        assert cal.is_workday(D(2027, 10, 1)) is True  # a Friday, no data: weekday
        assert cal.is_workday(D(2027, 10, 2)) is False
    assert cal.source(D(2027, 10, 1)) == "weekends"
    assert any("Monday-Friday" in r.getMessage() for r in caplog.records)


def test_far_future_never_raises(cal: WorkingCalendar) -> None:
    assert cal.add_working_days(at(2099, 12, 30), 5) > at(2099, 12, 30)


def test_config_lists_override_every_source() -> None:
    cal = WorkingCalendar(
        extra_holidays=[D(2027, 10, 6), D(2027, 10, 7)],
        extra_workdays=[D(2027, 9, 26), D(2026, 10, 5)],
    )
    assert cal.is_workday(D(2027, 9, 26)) is True  # a Sunday made a workday
    assert cal.is_workday(D(2027, 10, 6)) is False
    assert cal.is_workday(D(2026, 10, 5)) is True  # even over chinese_calendar
    assert cal.source(D(2027, 10, 6)) == "config"


def test_a_date_in_both_lists_is_refused() -> None:
    with pytest.raises(ValueError, match="both"):
        WorkingCalendar(extra_holidays=[D(2027, 1, 4)], extra_workdays=[D(2027, 1, 4)])


def test_calendar_from_the_pack_policy() -> None:
    policy = load_pack().policy
    cal = WorkingCalendar.from_policy(policy)
    assert str(cal.tz) == "Asia/Shanghai"
    assert cal.extra_holidays == policy.extra_holidays


def test_module_shortcuts() -> None:
    assert is_workday(D(2026, 10, 10)) is True
    assert add_working_days(at(2026, 9, 30, 15), 1) == end_of(2026, 10, 8)


# -- working time ----------------------------------------------------------------------------
def test_working_seconds_skip_holidays(cal: WorkingCalendar) -> None:
    # Wed 09-30 18:00 to Thu 10-08 06:00: 6 h on 09-30 and 6 h on 10-08, nothing in between
    assert cal.working_seconds(at(2026, 9, 30, 18), at(2026, 10, 8, 6)) == 12 * 3600
    assert cal.working_seconds(at(2026, 10, 8, 6), at(2026, 9, 30, 18)) == 0


@pytest.mark.parametrize("hours", [1, 6, 30, 100, 250])
def test_advancing_working_time_is_the_inverse(cal: WorkingCalendar, hours: int) -> None:
    start = at(2026, 9, 29, 16, 30)
    moment = cal.advance_working_seconds(start, hours * 3600)
    assert cal.is_workday(moment.date())
    assert cal.working_seconds(start, moment) == pytest.approx(hours * 3600)


def test_working_days_between(cal: WorkingCalendar) -> None:
    assert cal.working_days_between(D(2026, 9, 30), D(2026, 10, 10)) == 3
    assert cal.next_workday(D(2026, 9, 30)) == D(2026, 10, 8)
