"""特急 and 紧急 on the dashboard: open now (whenever accepted) and accepted in the period, each
with those past the response limit; and the urgency filter. On SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from bot.stats.filters import FilterError, StatsFilter, parse_filter
from bot.stats.queries import Emergency, Statistics
from bot.storage import Database
from tests.bot.stats.dataset import NOW, SH, A, B, march, mark_urgent

MARCH = StatsFilter(**march())


def counts(found: list[Emergency]) -> dict[str, tuple[int, int, int, int]]:
    return {e.urgency: (e.open, e.open_late, e.received, e.received_late) for e in found}


async def test_emergencies_open_now_and_in_the_period(stats: Statistics, db: Database) -> None:
    await mark_urgent(db)
    assert counts(await stats.emergencies(MARCH)) == {"特急": (3, 2, 3, 2), "紧急": (1, 1, 3, 2)}


async def test_open_ones_count_whenever_they_were_accepted(stats: Statistics,
                                                          db: Database) -> None:
    await mark_urgent(db)
    late_march = StatsFilter(date_from=date(2026, 3, 15), date_to=date(2026, 3, 31))
    # the 特急 slips of March 1st and 5th are still open: counted as open, not as received
    assert counts(await stats.emergencies(late_march)) == {"特急": (3, 2, 1, 0),
                                                           "紧急": (1, 1, 1, 1)}


async def test_emergencies_follow_the_department_and_street(stats: Statistics,
                                                           db: Database) -> None:
    await mark_urgent(db)
    assert counts(await stats.emergencies(replace(MARCH, department=A))) == {
        "特急": (1, 1, 1, 1), "紧急": (0, 0, 1, 1)}
    assert counts(await stats.emergencies(replace(MARCH, department=B))) == {
        "特急": (1, 0, 1, 0), "紧急": (1, 1, 2, 1)}
    # 观音桥街道, stored by code or by name
    assert counts(await stats.emergencies(replace(MARCH, street="GYQ"))) == {
        "特急": (2, 1, 2, 1), "紧急": (1, 1, 2, 2)}


async def test_nothing_urgent_is_all_zeros(stats: Statistics) -> None:
    assert counts(await stats.emergencies(MARCH)) == {"特急": (0, 0, 0, 0), "紧急": (0, 0, 0, 0)}


async def test_the_urgency_filter(stats: Statistics, db: Database) -> None:
    await mark_urgent(db)
    assert counts(await stats.emergencies(replace(MARCH, urgency="紧急"))) == {
        "紧急": (1, 1, 3, 2)}
    assert await stats.emergencies(replace(MARCH, urgency="一般")) == []
    total = await stats.total(replace(MARCH, urgency="特急"))
    # 0305 and 0301 unsigned past the limit, 0318 signed on time
    assert (total.received, total.response_due, total.responded_on_time) == (3, 3, 1)
    assert (await stats.total(replace(MARCH, urgency="一般"))).received == 11 - 3 - 3


def test_the_urgency_is_read_from_the_query_and_checked() -> None:
    f = parse_filter({"from": "2026-03-01", "to": "2026-03-31", "urgency": "特急"}, SH, now=NOW)
    assert f.urgency == "特急" and f.to_query()["urgency"] == "特急"
    assert parse_filter({"urgency": " "}, SH, now=NOW).urgency is None
    try:
        parse_filter({"urgency": "很急"}, SH, now=NOW)
    except FilterError as exc:
        assert exc.field == "urgency" and "特急" in exc.message
    else:
        raise AssertionError("an unknown urgency was accepted")
