"""The statistics read only their covering indexes on PostgreSQL (bot/stats/models.py).

A column that a statistics query reads and its index does not hold makes PostgreSQL read the
table itself; at a million slips it then scans the whole heap (the slip counts came to read
`openid`, the survey answers `seq`: every statistics query took twice as long). With sequential
and bitmap scans switched off the planner shows which index each query can be answered from:
"Index Only Scan" only when the index holds every column the query reads.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from sqlalchemy import text

from bot.slips.workflow import load_workflow
from bot.stats.filters import StatsFilter
from bot.stats.labels import Labels
from bot.stats.queries import Statistics
from bot.stats.sql import reading
from bot.storage import Database
from tests.bot.stats.dataset import NOW, SH, A, insert, march

SLIPS = ("AS received", "Index Only Scan using ix_stats_slip_accepted on slip")
ANSWERS = ("FROM slip_event JOIN slip", "Index Only Scan using ix_stats_survey on slip_event")
CHANGED = ("FROM slip_event JOIN slip",
           "Index Only Scan using ix_stats_survey_replaces on slip_event")
MEDIAN = ("percentile_cont", "Index Only Scan using ix_stats_slip_accepted on slip")


@pytest.fixture
async def planned(pg_url: str, labels: Labels) -> tuple[Statistics, list[tuple[str, list[str]]]]:
    db = Database.open(pg_url)
    await insert(db)
    admin = await asyncpg.connect(pg_url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        await admin.execute("VACUUM ANALYZE slip, slip_event")  # the visibility map
    finally:
        await admin.close()
    stats = Statistics(db, workflow=load_workflow(), labels=labels, tz=SH, clock=lambda: NOW)
    plans: list[tuple[str, list[str]]] = []

    async def explained(q: Any) -> list[Any]:
        sql = str(q.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))
        async with reading(db) as conn:
            await conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            await conn.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
            plan = [row[0] for row in (await conn.execute(text("EXPLAIN " + sql))).all()]
            plans.append((sql, plan))
            return list((await conn.execute(q)).all())

    stats._all = explained  # type: ignore[method-assign]
    yield stats, plans
    await db.close()


# With one department, this small table's few slips are found by the department's own index
# (at scale, by the range: bench/stats.py).
@pytest.mark.parametrize(("department", "checked"), [
    (None, [SLIPS, ANSWERS, CHANGED, MEDIAN]), (A, [ANSWERS, CHANGED]),
], ids=["city", "one-department"])
async def test_each_statistics_query_reads_only_its_index(
    planned: tuple[Statistics, list[tuple[str, list[str]]]], department: str | None,
    checked: list[tuple[str, str]],
) -> None:
    stats, plans = planned
    await stats.tables(("total", "department", "street", "category", "period"),
                       StatsFilter(**march(), department=department), period="week")
    for marker, scan in checked:
        found = ["\n".join(plan) for sql, plan in plans if marker in sql]
        assert found, f"no query with {marker!r} was run"
        for shown in found:
            assert scan in shown, f"expected {scan!r}\n{shown}"


async def test_what_residents_said_is_read_from_its_own_small_index(
    planned: tuple[Statistics, list[tuple[str, list[str]]]],
) -> None:
    """Only the answers with words, newest first: not every answer of the range."""
    stats, plans = planned
    await stats.survey_words(StatsFilter(**march()))
    [(_, plan)] = [(sql, plan) for sql, plan in plans if "slip_event.note" in sql]
    assert "using ix_stats_survey_words on slip_event" in "\n".join(plan), "\n".join(plan)
    # one department: its own answers, and the merged residents' from their smaller index
    plans.clear()
    await stats.survey_words(StatsFilter(**march(), department=A))
    shown = ["\n".join(plan) for sql, plan in plans if "slip_event.note" in sql]
    assert len(shown) == 2
    assert "using ix_stats_survey_words on slip_event" in shown[0], shown[0]
    assert "using ix_stats_survey_words_merged on slip_event" in shown[1], shown[1]
