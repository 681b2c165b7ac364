"""Statistics at a million slips: fills PostgreSQL and prints p50/p95 of each query.

    /work/venv/bin/python -m bench.stats [--slips 1000000] [--runs 9] [--reuse]
        [--pg postgresql://postgres@127.0.0.1:5432/minyi_bench_stats]

The slips come from the console benchmark's generator (bench/console_data.py, generate_series
inside PostgreSQL); this script then gives them what the statistics read and that generator
leaves out: signing and closing times (most on time, some late), reopens, resident verdicts as
`survey` events (plus the usual accept/dispatch/sign/close events, so the event table has a
realistic size), expired surveys, merged duplicates with their residents' verdicts on the slip
they went into, and clusters of similar slips.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from bench import console_data
from bot.stats.filters import StatsFilter, default_range
from bot.stats.labels import Labels
from bot.stats.public import PublicQuery
from bot.stats.services import StatsServices
from bot.storage import Database
from knowledge.pack import load_pack

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/minyi_bench_stats"

# One UPDATE (each extra one would leave another dead version of every row).
AUGMENT = """
WITH r AS (
  SELECT id, random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5
  FROM slip
), signed AS (
  SELECT s.id, r.r1, r.r2, r.r3, r.r4, r.r5,
    CASE WHEN s.status NOT IN ('accepted', 'dispatched')
              AND NOT (s.status IN ('withdrawn', 'merged') AND r.r1 < 0.7)
         -- most within the one-day response limit, some late
         THEN s.accepted_at + power(r.r2, 2.5) * interval '40 hours' END AS signed_at
  FROM slip s JOIN r ON r.id = s.id
)
UPDATE slip SET
  signed_at = g.signed_at,
  -- completed: most within the limit (the generator's due = accepted + 9 days for 一般)
  resolved_at = CASE WHEN status IN ('resolved', 'awaiting_survey', 'rated', 'archived')
    THEN greatest(g.signed_at, accepted_at) + power(g.r3, 1.8) * interval '11 days' END,
  closed_at = CASE WHEN status IN ('rated', 'archived')
    THEN greatest(g.signed_at, accepted_at) + power(g.r3, 1.8) * interval '11 days'
    WHEN status IN ('withdrawn', 'merged') THEN closed_at END,
  -- verdicts (满意 / 基本满意 / 不满意) came from the generator; unrated archived ones expired
  satisfaction = CASE WHEN status = 'archived' AND satisfaction IS NULL THEN '未评价'
                      ELSE satisfaction END,
  solved = CASE WHEN satisfaction IN ('满意', '基本满意', '不满意') AND g.r4 < 0.25
                THEN satisfaction <> '不满意' END,
  reopen_count = CASE WHEN status IN ('resolved', 'awaiting_survey', 'rated', 'archived')
                           AND g.r5 < 0.06 THEN 1 ELSE 0 END
FROM signed g
WHERE g.id = slip.id
"""

# Merged duplicates (the generator's 'merged' slips) go into a slip handled by another (or by no)
# department, one accepted up to a few days before; their residents rate that slip's handling
# as its own residents do (a verdict, some 未评价), recorded on their own slip with the kept
# number (data.kept, see EVENTS): the statistics credit the kept slip's lead department.
MERGED = """
WITH kept AS (
  SELECT id, row_number() OVER (ORDER BY id) AS rn FROM slip
  WHERE status IN ('rated', 'archived')
), n AS (SELECT count(*) AS c FROM kept),
dup AS (
  SELECT id, row_number() OVER (ORDER BY id) AS rn, random() AS r FROM slip
  WHERE status = 'merged'
)
UPDATE slip SET
  merged_into_id = kept.id,
  satisfaction = CASE WHEN dup.r < 0.5 THEN '满意' WHEN dup.r < 0.65 THEN '基本满意'
                      WHEN dup.r < 0.75 THEN '不满意' WHEN dup.r < 0.9 THEN '未评价' END
FROM dup, n, kept
WHERE slip.id = dup.id AND kept.rn = 1 + (dup.rn * 7919) % greatest(n.c, 1)
"""

EVENTS = """
INSERT INTO slip_event (slip_id, seq, action, actor_kind, actor_id, actor_name, at,
                        from_status, to_status, note, data, prev_hash, hash)
SELECT s.id, e.seq, e.action, e.kind, 'bench', 'bench', e.at, NULL, s.status,
       -- what residents say with a rating: most reasons for a 不满意, a few comments
       CASE WHEN e.action = 'survey' AND (s.satisfaction = '不满意' OR random() < 0.05)
            THEN '来得有点慢，希望以后快一点' END,
       e.data,
       repeat('0', 64), md5(s.id::text || e.seq::text) || md5(e.seq::text || s.id::text)
FROM slip s
LEFT JOIN slip k ON k.id = s.merged_into_id
CROSS JOIN LATERAL (VALUES
    (1, 'accept', 'resident', s.accepted_at, '{}'::jsonb),
    (2, 'dispatch', 'system', s.dispatched_at, '{}'::jsonb),
    (3, 'sign', 'staff', s.signed_at, '{}'::jsonb),
    (4, 'close', 'staff', s.resolved_at, '{}'::jsonb),
    -- a merged resident rates the kept slip once it is finished, no sooner than their own
    (5, 'survey', 'resident',
        greatest(coalesce(s.resolved_at, k.resolved_at), s.accepted_at) + interval '1 day',
        jsonb_build_object('verdict', s.satisfaction, 'solved', s.solved)
          || CASE WHEN k.id IS NOT NULL THEN jsonb_build_object('kept', k.number)
                  ELSE '{}'::jsonb END)
) AS e(seq, action, kind, at, data)
WHERE e.at IS NOT NULL
  AND (e.action <> 'survey' OR s.satisfaction IN ('满意', '基本满意', '不满意'))
"""

CLUSTERS = """
WITH picked AS (
  SELECT id, (row_number() OVER (ORDER BY street, category_top, accepted_at)) / 6 AS grp
  FROM slip WHERE random() < 0.03
), made AS (
  INSERT INTO slip_cluster (label, created_at)
  SELECT DISTINCT '同类诉求 ' || grp, now() FROM picked
  RETURNING id, label
)
UPDATE slip SET cluster_id = made.id
FROM picked JOIN made ON made.label = '同类诉求 ' || picked.grp
WHERE slip.id = picked.id
"""


async def _secondary_indexes(conn: asyncpg.Connection, table: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT indexname, indexdef FROM pg_indexes WHERE tablename = $1
           AND indexname NOT LIKE 'pk_%' AND indexname NOT LIKE 'uq_%'""",
        table,
    )


async def fill(pg: str, count: int) -> None:
    conn = await asyncpg.connect(pg)
    try:
        took = await console_data.load(conn, count)
        print(f"  generator: {took:.0f} s", flush=True)
        started = time.perf_counter()
        indexes = [*await _secondary_indexes(conn, "slip"),
                   *await _secondary_indexes(conn, "slip_event")]
        for row in indexes:
            await conn.execute(f'DROP INDEX "{row["indexname"]}"')
        await conn.execute(AUGMENT)
        await conn.execute(MERGED)
        await conn.execute(CLUSTERS)
        print(f"  signed/closed/verdicts/merged/clusters: {time.perf_counter() - started:.0f} s",
              flush=True)
        started = time.perf_counter()
        await conn.execute(EVENTS)
        events = await conn.fetchval("SELECT count(*) FROM slip_event")
        print(f"  {events:,} events ({time.perf_counter() - started:.0f} s)", flush=True)
        started = time.perf_counter()
        await conn.execute("VACUUM FULL slip")
        for row in indexes:
            await conn.execute(row["indexdef"])
        await conn.execute("VACUUM ANALYZE slip")
        await conn.execute("VACUUM ANALYZE slip_event")
        print(f"  compacted and indexed ({time.perf_counter() - started:.0f} s)", flush=True)
    finally:
        await conn.close()


async def ensure_database(pg: str) -> None:
    base, name = pg.rsplit("/", 1)
    conn = await asyncpg.connect(f"{base}/postgres")
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def timed(fn: Callable[[], Awaitable[Any]], runs: int) -> tuple[float, float, Any]:
    await fn()  # warm: plans, caches
    samples, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = await fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return statistics.median(samples), p95, result


def cases(services: StatsServices, tz: ZoneInfo
          ) -> list[tuple[str, Callable[[], Awaitable[Any]]]]:
    stats, public, hot = services.stats, services.public, services.hot
    start, end = default_range(tz, 180)
    last180 = StatsFilter(date_from=start, date_to=end)
    last30 = StatsFilter(date_from=end - timedelta(days=29), date_to=end)
    year = StatsFilter(date_from=end - timedelta(days=364), date_to=end)
    everything = StatsFilter(date_from=end - timedelta(days=3 * 365), date_to=end)
    dept = StatsFilter(date_from=start, date_to=end, department="D-CGJ")
    open311_since = services.now() - timedelta(days=90)
    return [
        ("total, last 30 days", lambda: stats.total(last30)),
        ("total, last 180 days", lambda: stats.total(last180)),
        ("total, all 3 years", lambda: stats.total(everything)),
        ("by department, 180 days", lambda: stats.table("department", last180)),
        ("by street, 180 days", lambda: stats.table("street", last180)),
        ("by category, 180 days", lambda: stats.table("category", last180)),
        ("by department, all 3 years", lambda: stats.table("department", everything)),
        ("trend by day, 30 days", lambda: stats.table("period", last30, period="day")),
        ("trend by week, 180 days", lambda: stats.table("period", last180, period="week")),
        ("trend by month, 365 days", lambda: stats.table("period", year, period="month")),
        ("one department's total, 180 days", lambda: stats.total(dept)),
        ("one department by month, 365 days",
         lambda: stats.table("period", StatsFilter(date_from=year.date_from, date_to=end,
                                                    department="D-CGJ"))),
        ("hot spots, 180 days", lambda: stats.hot_spots(last180)),
        ("what residents said (newest 20), 180 days", lambda: stats.survey_words(last180)),
        ("what residents said, one department, 180 days", lambda: stats.survey_words(dept)),
        ("emergencies (urgent ones), 180 days", lambda: stats.emergencies(last180)),
        ("emergencies, one department, 180 days", lambda: stats.emergencies(dept)),
        ("total, the most urgent only, 180 days",
         lambda: stats.total(StatsFilter(date_from=start, date_to=end, urgency="特急"))),
        ("dashboard: 5 groupings at once, 180 days",
         lambda: stats.tables(("total", "period", "department", "street", "category"),
                              last180, period="week")),
        ("dashboard: 5 groupings at once, 30 days",
         lambda: stats.tables(("total", "period", "department", "street", "category"),
                              last30, period="day")),
        ("dashboard: 5 groupings, one department, 180 days",
         lambda: stats.tables(("total", "period", "department", "street", "category"),
                              dept, period="week")),
        ("hot issues (clusters), 365 days", lambda: hot.clusters(year)),
        ("public list, newest 20", lambda: public.page(PublicQuery(), per_page=20)),
        ("public list, page 50, one street closed",
         lambda: public.page(PublicQuery(street="GYQ", status="closed"), page=50)),
        ("open311 requests, 90 days, 200 a page",
         lambda: public.page(PublicQuery(since=open311_since), per_page=200)),
    ]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pg", default=DEFAULT_PG)
    parser.add_argument("--slips", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--reuse", action="store_true", help="keep the slips already loaded")
    args = parser.parse_args()

    await ensure_database(args.pg)
    url = args.pg.replace("postgresql://", "postgresql+asyncpg://", 1)
    db = Database.open(url)
    await db.upgrade()
    conn = await asyncpg.connect(args.pg)
    have = await console_data.slip_count(conn)
    await conn.close()
    if not args.reuse or have != args.slips:
        print(f"loading {args.slips:,} slips into {args.pg} …", flush=True)
        await fill(args.pg, args.slips)
    pack = load_pack()
    tz = ZoneInfo(pack.policy.timezone)
    services = StatsServices.build(db, labels=Labels.from_pack(pack), tz=tz)
    print(f"\n{args.slips:,} slips, {args.runs} runs each (after one warm-up), milliseconds; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start")
    print(f"{'query':<48} {'p50':>8} {'p95':>8}  rows")
    for name, fn in cases(services, tz):
        p50, p95, result = await timed(fn, args.runs)
        if isinstance(result, dict):  # several groupings: their rows together
            rows = sum(len(v) for v in result.values())
        elif isinstance(result, list):
            rows = len(result)
        else:
            rows = len(result.items) if hasattr(result, "items") else 1
        print(f"{name:<48} {p50:8.1f} {p95:8.1f}  {rows}", flush=True)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    await db.close()


if __name__ == "__main__":
    asyncio.run(main())
