"""A resident whose slip was merged into another rates the handling of that kept slip: by
department, their verdict (and their 未评价) counts for the kept slip's lead department, the one
that did the work, not for their own slip's department, nor for no department at all when the
duplicate was merged straight from the dispatcher's queue. By street, category and period, and
in the city-wide totals, it counts as before. Slips made and moved by the slip service, on
SQLite and PostgreSQL."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from bot.slips.actor import Actor
from bot.slips.errors import Forbidden
from bot.slips.service import SlipService
from bot.stats.filters import StatsFilter
from bot.stats.labels import Labels
from bot.stats.queries import Statistics
from bot.storage import Database
from knowledge.pack import load_pack
from tests.bot.slips.conftest import DISPATCHER, HANDLER, SYSTEM, Clock, draft, triage
from tests.conftest import make_settings

A, B, C = "D-CGJ", "D-ZJW", "D-STHJ"  # A handles the kept slip
KEPT_RESIDENT = Actor.resident("oKeptResident000001")
FROM_B = Actor.resident("oMergedFromB0000002")  # their slip was B's before it was merged
FROM_QUEUE = Actor.resident("oMergedFromQueue003")  # merged from the queue: no department
SILENT = Actor.resident("oMergedSilent000004")  # C's slip; never answers the survey


@pytest.fixture
async def merged(db: Database) -> tuple[Statistics, Clock]:
    """Kept slip (A, accepted on day 1) with three duplicates merged into it on day 3: one
    dispatched to B, one from the queue, one dispatched to C. A closes it; its own resident
    says 满意, B's says 基本满意 (not solved), the queue's says 满意, C's never answers."""
    clock = Clock()
    service = SlipService(db, settings=make_settings(), clock=clock, pack=load_pack())
    kept = await service.issue(draft("建新北路12号门口的路灯坏了", openid=KEPT_RESIDENT.id,
                                     triage=triage(lead=A)))
    clock.advance(days=2)
    from_b = await service.issue(draft("建新北路那盏路灯不亮", openid=FROM_B.id,
                                       triage=triage(lead=B)))
    from_queue = await service.issue(draft("路灯不亮，晚上看不见", openid=FROM_QUEUE.id,
                                           triage=triage(low_confidence=True)))
    silent = await service.issue(draft("建新北路路灯坏了", openid=SILENT.id,
                                       triage=triage(lead=C)))
    assert (from_b.lead_department.code, from_queue.lead_department) == (B, None)
    for dup in (from_b, from_queue, silent):
        await service.act(dup.number, "merge", DISPATCHER, data={"into": kept.number})
    await service.act(kept.number, "sign", HANDLER)
    await service.act(kept.number, "close", HANDLER, data={"result": "已更换灯泡"})
    await service.act(kept.number, "survey", KEPT_RESIDENT, data={"verdict": "满意"},
                      note="修得很快")
    await service.act(from_b.number, "survey", FROM_B,
                      data={"verdict": "基本满意", "solved": False}, note="灯是亮了，就是有点暗")
    await service.act(from_queue.number, "survey", FROM_QUEUE, data={"verdict": "满意"})
    await service.act(kept.number, "expire_merged_survey", SYSTEM)  # C's resident: 未评价
    # nothing was reassigned: the kept slip's handlers still cannot open the duplicate from
    # the queue (its resident's phone stays hidden from them)
    with pytest.raises(Forbidden):
        await service.get(from_queue.number, HANDLER)
    stats = Statistics(db, workflow=service.workflow, labels=Labels.from_pack(load_pack()),
                       tz=ZoneInfo("Asia/Shanghai"), clock=clock)
    return stats, clock


def _survey(row) -> tuple[int, int, int, int, int]:  # type: ignore[no-untyped-def]
    return row.answered, row.satisfied, row.very_satisfied, row.solved, row.unanswered


async def test_merged_verdicts_count_for_the_department_that_handled_the_kept_slip(
    merged: tuple[Statistics, Clock],
) -> None:
    stats, _clock = merged
    by_department = {r.key: r for r in await stats.table("department", StatsFilter())}
    # A: its own resident's 满意, the merged 基本满意 (not solved) and 满意, C's 未评价
    assert _survey(by_department[A]) == (3, 3, 2, 2, 1)
    assert by_department[A].satisfaction_rate == 1.0
    # B and the queue received the duplicates, but rated nothing of theirs; C neither
    for key in (B, None, C):
        assert _survey(by_department[key]) == (0, 0, 0, 0, 0), key
        assert by_department[key].received == 1
    # the department filter agrees with the table
    for key, expected in ((A, (3, 3, 2, 2, 1)), (B, (0, 0, 0, 0, 0)), (C, (0, 0, 0, 0, 0))):
        assert _survey(await stats.total(StatsFilter(department=key))) == expected, key


async def test_the_city_wide_figures_do_not_change(merged: tuple[Statistics, Clock]) -> None:
    stats, _clock = merged
    total = await stats.total(StatsFilter())
    assert (total.received, *_survey(total)) == (4, 3, 3, 2, 2, 1)
    # the dashboard's groupings at once (GROUPING SETS on PostgreSQL) agree with each other
    tables = await stats.tables(("total", "period", "department", "street", "category"),
                                StatsFilter(), period="day")
    for dim in ("period", "department", "street", "category"):
        rows = tables[dim]
        assert sum(r.answered for r in rows) == 3, dim
        assert sum(r.satisfied for r in rows) == 3, dim
        assert sum(r.unanswered for r in rows) == 1, dim
    assert _survey(tables["total"][0]) == (3, 3, 2, 2, 1)
    assert _survey(next(r for r in tables["department"] if r.key == A)) == (3, 3, 2, 2, 1)


async def test_a_department_with_only_merged_answers_in_the_range_has_a_row(
    merged: tuple[Statistics, Clock],
) -> None:
    """The kept slip was accepted two days before the duplicates: in a range holding only
    the duplicates, A received nothing, yet their residents' verdicts on its work count."""
    stats, clock = merged
    day = clock().astimezone(ZoneInfo("Asia/Shanghai")).date()
    duplicates_only = StatsFilter(date_from=day, date_to=day)
    [a] = [r for r in await stats.table("department", duplicates_only) if r.key == A]
    assert (a.received, *_survey(a)) == (0, 2, 2, 1, 1, 1)
    assert a.label == "区城市管理局"
    assert _survey(await stats.total(duplicates_only)) == (2, 2, 1, 1, 1)


async def test_what_a_merged_resident_said_is_listed_for_the_kept_slips_department(
    merged: tuple[Statistics, Clock],
) -> None:
    """群众评价原话 counts as the 满意率 does: B's resident rated A's handling of the kept slip."""
    stats, _clock = merged
    words = await stats.survey_words(StatsFilter(department=A))
    assert [(w.verdict, w.words, w.department) for w in words] == [
        ("基本满意", "灯是亮了，就是有点暗", "区城市管理局"), ("满意", "修得很快", "区城市管理局")]
    assert len({w.number for w in words}) == 1  # both about the kept slip
    assert await stats.survey_words(StatsFilter(department=B)) == []
    assert [w.words for w in await stats.survey_words(StatsFilter())] == [
        "灯是亮了，就是有点暗", "修得很快"]
