"""Every measure on the hand-built slips (tests/bot/stats/dataset.py), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest

from bot.stats.filters import StatsFilter
from bot.stats.measures import MEASURES, percent
from bot.stats.queries import Statistics
from tests.bot.stats.dataset import (
    EXPECTED_MARCH_BY_DEPARTMENT,
    EXPECTED_MARCH_TOTAL,
    A,
    B,
    march,
    row_tuple,
)

MARCH = StatsFilter(**march())


async def test_march_total_has_every_count_worked_out_by_hand(stats: Statistics) -> None:
    total = await stats.total(MARCH)
    assert row_tuple(total) == EXPECTED_MARCH_TOTAL


async def test_the_rates_are_the_written_ratios(stats: Statistics) -> None:
    total = await stats.total(MARCH)
    assert total.response_rate == pytest.approx(6 / 10)
    assert total.on_time_rate == pytest.approx(5 / 8)
    assert total.satisfaction_rate == pytest.approx(3 / 5)
    assert total.solve_rate == pytest.approx(2 / 5)
    assert total.reopen_rate == pytest.approx(1 / 6)
    assert percent(total.satisfaction_rate) == "60.0%"


async def test_by_department_including_the_unassigned(stats: Statistics) -> None:
    rows = await stats.table("department", MARCH)
    got = {r.key: row_tuple(r) for r in rows}
    assert got == EXPECTED_MARCH_BY_DEPARTMENT
    labels = {r.key: r.label for r in rows}
    assert labels[A] == "区城市管理局"
    assert labels[None] == "（未派单）"


async def test_a_department_filter_matches_its_row(stats: Statistics) -> None:
    only_b = await stats.total(StatsFilter(**march(), department=B))
    assert row_tuple(only_b) == EXPECTED_MARCH_BY_DEPARTMENT[B]


async def test_unrated_never_counts_as_satisfied(stats: Statistics) -> None:
    # B has one 满意 answer and one slip whose survey expired (未评价): 1 of 1, not 1 of 2
    b = next(r for r in await stats.table("department", MARCH) if r.key == B)
    assert (b.answered, b.satisfied, b.unanswered) == (1, 1, 1)
    assert b.satisfaction_rate == 1.0


async def test_a_reopened_slip_keeps_its_unsatisfied_answer(stats: Statistics) -> None:
    # the slip row forgot the 不满意 when it was reopened; the survey event did not
    a = next(r for r in await stats.table("department", MARCH) if r.key == A)
    assert a.answered == 4 and a.satisfied == 2


async def test_by_street_folds_names_into_codes(stats: Statistics) -> None:
    rows = {r.key: (r.label, r.received) for r in await stats.table("street", MARCH)}
    # JB2026030300001 stores the street by name: it is counted with GYQ
    assert rows == {"GYQ": ("观音桥街道", 6), "HXJ": ("华新街街道", 4), None: ("（未填地点）", 1)}
    gyq = await stats.total(StatsFilter(**march(), street="GYQ"))
    assert gyq.received == 6


async def test_by_category(stats: Statistics) -> None:
    rows = {r.key: r.received for r in await stats.table("category", MARCH)}
    assert rows == {"城乡建设": 7, "环境保护": 4}
    only = await stats.total(StatsFilter(**march(), category="环境保护"))
    assert (only.received, only.overdue_now, only.unanswered) == (4, 1, 2)


async def test_periods_follow_local_time(stats: Statistics) -> None:
    both = StatsFilter(date_from=date(2026, 2, 1), date_to=date(2026, 3, 31))
    months = {r.key: r.received for r in await stats.table("period", both, period="month")}
    # 2026-03-01 00:10 in Shanghai is still February in UTC: it belongs to March
    assert months == {"2026-02-01": 1, "2026-03-01": 11}
    days = {r.key: r.received for r in await stats.table("period", both, period="day")}
    assert days["2026-02-28"] == 1 and days["2026-03-01"] == 1
    weeks = {r.key: r.received for r in await stats.table("period", both, period="week")}
    # Sat 28 Feb and Sun 1 Mar are in the week starting Monday 23 Feb
    assert weeks["2026-02-23"] == 2
    assert sum(weeks.values()) == 12
    assert list(weeks) == sorted(weeks)


async def test_the_date_range_is_local_and_inclusive(stats: Statistics) -> None:
    first = await stats.total(StatsFilter(date_from=date(2026, 3, 1), date_to=date(2026, 3, 1)))
    assert first.received == 1
    feb = await stats.total(StatsFilter(date_from=date(2026, 2, 28), date_to=date(2026, 2, 28)))
    assert (feb.received, feb.answered, feb.satisfied) == (1, 1, 1)


async def test_an_empty_range_gives_zeros_and_no_rates(stats: Statistics) -> None:
    none = await stats.total(StatsFilter(date_from=date(2025, 1, 1), date_to=date(2025, 1, 31)))
    assert none.received == 0
    assert none.response_rate is None and none.satisfaction_rate is None
    assert none.median_hours is None
    assert percent(none.on_time_rate) == "—"
    assert await stats.table("department", StatsFilter(date_from=date(2025, 1, 1),
                                                       date_to=date(2025, 1, 31))) == []


async def test_hot_spots_rank_areas_with_their_top_category(stats: Statistics) -> None:
    spots = await stats.hot_spots(MARCH)
    top = spots[0]
    assert (top.street, top.street_label, top.received) == ("GYQ", "观音桥街道", 5)
    assert top.community == "嘉陵一村社区"
    assert (top.top_category, top.top_category_count, top.open, top.overdue_now) == (
        "城乡建设", 5, 3, 2)
    hxj = next(s for s in spots if s.street == "HXJ")
    assert (hxj.received, hxj.open, hxj.overdue_now) == (4, 1, 1)


def test_every_measure_has_a_written_definition() -> None:
    assert {m.code for m in MEASURES} >= {
        "received", "response_rate", "solve_rate", "satisfaction_rate", "on_time_rate",
        "overdue_now", "reopen_rate", "median_hours", "unanswered",
    }
    assert all(len(m.definition) > 10 for m in MEASURES)


async def test_several_groupings_at_once_match_one_at_a_time(stats: Statistics) -> None:
    dims = ("department", "street", "category", "period", "total")
    together = await stats.tables(dims, MARCH, period="week")
    for dim in dims:
        alone = await stats.table(dim, MARCH, period="week")
        assert [row_tuple(r) for r in together[dim]] == [row_tuple(r) for r in alone], dim
        assert [r.key for r in together[dim]] == [r.key for r in alone], dim
    assert row_tuple(together["total"][0]) == EXPECTED_MARCH_TOTAL
