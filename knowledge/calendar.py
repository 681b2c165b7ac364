"""The Chinese working-day calendar: weekends, public holidays and 调休 make-up workdays.

Sources, in order of precedence for a date:

1. the city's own lists (policy.yaml ``calendar.extra_holidays`` / ``extra_workdays``);
2. ``chinese_calendar`` (the official State Council arrangement; it knows 2004–2026 and raises
   NotImplementedError for other years);
3. for years it lacks, the ``holidays`` package (``holidays.China``: the statutory holidays,
   but no make-up workdays), with a logged warning;
4. if that fails too, Monday–Friday are workdays, with a logged warning.

Nothing here raises for a year the data lacks: a deadline is always computed.

Deadline convention (``add_working_days``): the day something arrives is day 0 and is never
counted, whatever the hour; day 1 is the next working day after it; the deadline is the end of
the n-th working day (23:59:59 local time). So a slip accepted on Friday afternoon with a limit
of 1 working day is due at the end of Monday (if Monday is a workday), and one accepted on a
holiday counts from the first working day after it. ``n == 0`` means "by the end of today",
moved to the end of the next working day when today is not one.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections.abc import Iterable
from functools import lru_cache

import chinese_calendar

log = logging.getLogger(__name__)

DEFAULT_TZ = "Asia/Shanghai"
END_OF_DAY = dt.time(23, 59, 59)
_DAY = dt.timedelta(days=1)


class WorkingCalendar:
    """Working days for one city: the national calendar plus the city's own lists."""

    def __init__(
        self,
        extra_holidays: Iterable[dt.date] = (),
        extra_workdays: Iterable[dt.date] = (),
        timezone: str = DEFAULT_TZ,
    ) -> None:
        self.extra_holidays = frozenset(extra_holidays)
        self.extra_workdays = frozenset(extra_workdays)
        clash = self.extra_holidays & self.extra_workdays
        if clash:
            raise ValueError(f"{min(clash)} is listed both as a holiday and as a workday")
        self.tz = zoneinfo.ZoneInfo(timezone)
        self._fallback_years: dict[int, frozenset[dt.date] | None] = {}
        self._days: dict[dt.date, bool] = {}  # answers already worked out (the sources are slow)

    @classmethod
    def from_policy(cls, policy: object) -> WorkingCalendar:
        """Build from a knowledge pack's Policy (its calendar lists and time zone)."""
        return cls(
            getattr(policy, "extra_holidays", ()),
            getattr(policy, "extra_workdays", ()),
            getattr(policy, "timezone", DEFAULT_TZ),
        )

    # -- days -----------------------------------------------------------------------------------
    def is_workday(self, day: dt.date) -> bool:
        """True when ``day`` is a working day (make-up Saturdays/Sundays included)."""
        if isinstance(day, dt.datetime):
            day = day.date()
        known = self._days.get(day)
        if known is None:
            known = self._days[day] = self._lookup(day)
        return known

    def _lookup(self, day: dt.date) -> bool:
        if day in self.extra_workdays:
            return True
        if day in self.extra_holidays:
            return False
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            return self._fallback_is_workday(day)

    def source(self, day: dt.date) -> str:
        """Where the answer for ``day`` comes from: config, chinese_calendar, holidays, weekends."""
        if day in self.extra_workdays or day in self.extra_holidays:
            return "config"
        try:
            chinese_calendar.is_workday(day)
            return "chinese_calendar"
        except NotImplementedError:
            return "holidays" if self._fallback_holidays(day.year) is not None else "weekends"

    def _fallback_is_workday(self, day: dt.date) -> bool:
        holidays = self._fallback_holidays(day.year)
        if holidays is not None and day in holidays:
            return False
        return day.weekday() < 5

    def _fallback_holidays(self, year: int) -> frozenset[dt.date] | None:
        if year not in self._fallback_years:
            found = _holidays_package(year)
            if found is None:
                log.warning(
                    "working calendar: no holiday data for %s; counting Monday-Friday as "
                    "workdays (add the year's arrangement to policy.yaml calendar lists)", year)
            else:
                log.warning(
                    "working calendar: chinese_calendar has no data for %s; using the holidays "
                    "package (no 调休 make-up workdays; add them to policy.yaml extra_workdays)",
                    year)
            self._fallback_years[year] = found
        return self._fallback_years[year]

    def next_workday(self, day: dt.date) -> dt.date:
        """The first working day strictly after ``day``."""
        day += dt.timedelta(days=1)
        while not self.is_workday(day):
            day += dt.timedelta(days=1)
        return day

    def workday_on_or_after(self, day: dt.date) -> dt.date:
        return day if self.is_workday(day) else self.next_workday(day)

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days d with start < d <= end (0 when end <= start)."""
        count, day = 0, start
        while day < end:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                count += 1
        return count

    # -- deadlines -----------------------------------------------------------------------------
    def local(self, moment: dt.datetime) -> dt.datetime:
        """``moment`` in the calendar's time zone (naive datetimes are taken as local)."""
        if moment.tzinfo is None:
            return moment.replace(tzinfo=self.tz)
        return moment.astimezone(self.tz)

    def end_of_day(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, END_OF_DAY, tzinfo=self.tz)

    def add_working_days(self, start: dt.datetime, n: int) -> dt.datetime:
        """End of the n-th working day after ``start``'s date (see the module docstring)."""
        if n < 0:
            raise ValueError("n must not be negative")
        day = self.local(start).date()
        if n == 0:
            return self.end_of_day(self.workday_on_or_after(day))
        for _ in range(n):
            day = self.next_workday(day)
        return self.end_of_day(day)

    def add_hours(self, start: dt.datetime, hours: float) -> dt.datetime:
        """Clock hours: emergencies do not wait for Monday."""
        return self.local(start) + dt.timedelta(hours=hours)

    def working_seconds(self, start: dt.datetime, end: dt.datetime) -> float:
        """Seconds between two moments that fall on working days (whole days count 24 h)."""
        a = self.local(start).replace(tzinfo=None)
        b = self.local(end).replace(tzinfo=None)
        if b <= a:
            return 0.0
        total, day = 0.0, a.date()
        while day <= b.date():
            if self.is_workday(day):
                day_start = dt.datetime.combine(day, dt.time(0))
                lo = a if a > day_start else day_start
                day_end = day_start + _DAY
                hi = b if b < day_end else day_end
                if hi > lo:
                    total += (hi - lo).total_seconds()
            day += _DAY
        return total

    def advance_working_seconds(self, start: dt.datetime, seconds: float) -> dt.datetime:
        """The moment when ``seconds`` of working-day time have passed since ``start``."""
        moment = self.local(start).replace(tzinfo=None)
        remaining = seconds
        while True:
            day = moment.date()
            midnight = dt.datetime.combine(day, dt.time(0)) + _DAY
            if self.is_workday(day):
                available = (midnight - moment).total_seconds()
                if remaining <= available:
                    return (moment + dt.timedelta(seconds=remaining)).replace(tzinfo=self.tz)
                remaining -= available
            moment = midnight


def _holidays_package(year: int) -> frozenset[dt.date] | None:
    try:
        import holidays  # imported lazily: only needed for years chinese_calendar lacks

        return frozenset(holidays.China(years=year).keys())
    except Exception:  # noqa: BLE001 - any failure means "no data", never a crash
        return None


@lru_cache(maxsize=1)
def default_calendar() -> WorkingCalendar:
    """A calendar with no city lists (for quick use; a city should use from_policy)."""
    return WorkingCalendar()


def is_workday(day: dt.date) -> bool:
    """Module-level shortcut on the default calendar."""
    return default_calendar().is_workday(day)


def add_working_days(start: dt.datetime, n: int) -> dt.datetime:
    """Module-level shortcut on the default calendar (see the module docstring)."""
    return default_calendar().add_working_days(start, n)
