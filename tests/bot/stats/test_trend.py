"""The trend's time axis is true: every period of the range has its row, zero when no slip was
accepted in it, up to today and not past it (SQLite and PostgreSQL). And the hot spots count
as the table by street does: a street's communities add up to its row there."""

from __future__ import annotations

from datetime import date

import pytest

from bot.slips.workflow import load_workflow
from bot.stats.filters import StatsFilter
from bot.stats.labels import Labels
from bot.stats.queries import Statistics
from bot.stats.sql import bucket_keys
from bot.storage import Database
from tests.bot.stats.dataset import NOW, SH, SLIPS, A, B, S, insert, march, t

MARCH = StatsFilter(**march())


def test_bucket_keys_cover_the_range_period_by_period() -> None:
    assert bucket_keys(date(2026, 11, 2), date(2026, 11, 5), "day") == [
        "2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05"]
    # weeks start on Monday, the first one before the range if the range starts mid-week
    assert bucket_keys(date(2025, 12, 31), date(2026, 1, 12), "week") == [
        "2025-12-29", "2026-01-05", "2026-01-12"]
    assert bucket_keys(date(2025, 11, 30), date(2026, 2, 1), "month") == [
        "2025-11-01", "2025-12-01", "2026-01-01", "2026-02-01"]
    assert bucket_keys(date(2026, 3, 1), date(2026, 2, 1), "day") == []


async def test_days_without_slips_are_zero_not_skipped(stats: Statistics) -> None:
    rows = await stats.table("period", MARCH, period="day")
    # "now" is 20 March: every day from the 1st to the 20th, none after (not yet happened)
    assert [r.key for r in rows] == [f"2026-03-{d:02d}" for d in range(1, 21)]
    by_day = {r.key: r for r in rows}
    # slips were accepted on 1–8, 10, 18 and 19 March; the other days are zero
    assert [d for d in range(1, 21) if by_day[f"2026-03-{d:02d}"].received] == [
        1, 2, 3, 4, 5, 6, 7, 8, 10, 18, 19]
    empty = by_day["2026-03-09"]
    assert (empty.label, empty.received, empty.resolved, empty.answered) == ("2026-03-09", 0, 0, 0)
    assert empty.response_rate is None and empty.satisfaction_rate is None  # a gap, not 0 %
    assert sum(r.received for r in rows) == 11


async def test_weeks_and_months_without_slips_are_zero(stats: Statistics) -> None:
    weeks = await stats.table("period", StatsFilter(date_from=date(2026, 2, 1),
                                                    date_to=date(2026, 3, 31)), period="week")
    assert [(r.key, r.received) for r in weeks] == [
        ("2026-01-26", 0), ("2026-02-02", 0), ("2026-02-09", 0), ("2026-02-16", 0),
        ("2026-02-23", 2), ("2026-03-02", 7), ("2026-03-09", 1), ("2026-03-16", 2)]
    months = await stats.table("period", StatsFilter(date_from=date(2025, 12, 1),
                                                     date_to=date(2026, 3, 31)), period="month")
    assert [(r.key, r.received) for r in months] == [
        ("2025-12-01", 0), ("2026-01-01", 0), ("2026-02-01", 1), ("2026-03-01", 11)]


async def test_a_week_or_month_the_range_cuts_says_which_days_it_holds(
    stats: Statistics,
) -> None:
    """The dashboard's last bar (today mid-week) and a first week the range starts in looked
    like whole weeks with few complaints; they say which days they cover now."""
    weeks = await stats.table("period", StatsFilter(date_from=date(2026, 2, 1),
                                                    date_to=date(2026, 3, 31)), period="week")
    cut = {r.key: (r.label, r.covers) for r in weeks if r.covers}
    assert cut == {
        # the range starts on Sunday 1 February; "now" is Friday 20 March
        "2026-01-26": ("2026-01-26（不满一周：02-01 至 02-01）", "2026-02-01/2026-02-01"),
        "2026-03-16": ("2026-03-16（不满一周：03-16 至 03-20）", "2026-03-16/2026-03-20"),
    }
    assert all(r.label == r.key for r in weeks if not r.covers)
    months = await stats.table("period", StatsFilter(date_from=date(2025, 12, 1),
                                                     date_to=date(2026, 3, 31)), period="month")
    assert [(r.key, r.covers) for r in months] == [
        ("2025-12-01", None), ("2026-01-01", None), ("2026-02-01", None),
        ("2026-03-01", "2026-03-01/2026-03-20")]
    days = await stats.table("period", MARCH, period="day")
    assert not [r for r in days if r.covers]


async def test_a_range_in_the_past_is_filled_to_its_end(stats: Statistics) -> None:
    rows = await stats.table("period", StatsFilter(date_from=date(2026, 2, 25),
                                                   date_to=date(2026, 3, 2)), period="day")
    assert [(r.key, r.received) for r in rows] == [
        ("2026-02-25", 0), ("2026-02-26", 0), ("2026-02-27", 0), ("2026-02-28", 1),
        ("2026-03-01", 1), ("2026-03-02", 1)]


async def test_the_trend_filled_together_matches_alone(stats: Statistics) -> None:
    together = await stats.tables(("period", "total"), MARCH, period="day")
    alone = await stats.table("period", MARCH, period="day")
    assert [(r.key, r.received) for r in together["period"]] == [
        (r.key, r.received) for r in alone]


# -- hot spots and streets ---------------------------------------------------------------------
# Besides the hand-built slips: a merged duplicate and a withdrawn slip, both in a street with
# a community; they count in 受理量 (see MEASURES), so in both tables.
EXTRA = [
    S("JB2026031100001", A, "GYQ", "城乡建设", t(3, 11), "merged", t(3, 12), t(3, 20)),
    S("JB2026031200001", B, "GYQ", "城乡建设", t(3, 12), "withdrawn", t(3, 13), t(3, 21)),
    S("JB2026031300001", B, "HXJ", "环境保护", t(3, 13), "merged", t(3, 14), t(3, 22)),
]


@pytest.fixture
async def more(db: Database, labels: Labels) -> Statistics:
    await insert(db, [*SLIPS, *EXTRA])
    return Statistics(db, workflow=load_workflow(), labels=labels, tz=SH, clock=lambda: NOW)


@pytest.mark.parametrize("f", [
    MARCH,
    StatsFilter(**march(), category="城乡建设"),
    StatsFilter(**march(), department=B),
    StatsFilter(**march(), street="观音桥街道"),
])
async def test_hot_spots_add_up_to_the_streets_table(more: Statistics, f: StatsFilter) -> None:
    streets = {r.key: r.received for r in await more.table("street", f)}
    spots = await more.hot_spots(f)
    summed: dict[str | None, int] = {}
    for spot in spots:
        summed[spot.street] = summed.get(spot.street, 0) + spot.received
        assert spot.street_received == streets[spot.street]
    assert summed == streets


async def test_merged_and_withdrawn_slips_count_in_both(more: Statistics) -> None:
    streets = {r.key: r.received for r in await more.table("street", MARCH)}
    assert streets["GYQ"] == 6 + 2 and streets["HXJ"] == 4 + 1
    spots = {(s.street, s.community): s for s in await more.hot_spots(MARCH)}
    gyq = spots[("GYQ", "嘉陵一村社区")]
    assert (gyq.received, gyq.street_received) == (7, 8)
    assert gyq.open == 3  # merged and withdrawn are not open
    assert spots[("GYQ", None)].received == 1  # stored by name, no community
    assert spots[("HXJ", None)].received == 5
