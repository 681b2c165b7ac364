"""Console list, filter and search latency over a million slips in PostgreSQL.

    .venv/bin/python bench/console.py [--slips 1000000] [--samples 40] [--http]
        [--pg postgresql://postgres@127.0.0.1:5432/postgres] [--db minyi_bench] [--reload]

Creates (or reuses) the database `--db` on the server of `--pg`, brings it to the newest schema,
and fills it with `--slips` generated slips (bench/console_data.py; reused when the count already
matches). Then every query the console makes for its list (no filter, each filter, full-text
search, a handler's own-department scope, a deep page, the workbench) runs through the real
SlipService `--samples` times after a warm-up; p50 and p95 are printed against the target of
150 ms p95. With --http the same lists are also fetched through GET /api/v1/slips on a real
server (create_app on this database, an API token), which adds routing, auth and JSON.
Not part of the test suite: loading a million rows takes several minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.console_data import load, slip_count  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.slips.actor import Actor  # noqa: E402
from bot.slips.service import SlipService  # noqa: E402
from bot.slips.views import SlipFilter  # noqa: E402
from bot.storage import Database  # noqa: E402
from bot.storage.types import utcnow  # noqa: E402

TARGET_MS = 150.0

ADMIN = Actor(kind="staff", id="1", name="管理员", role="admin")
DISPATCHER = Actor(kind="staff", id="2", name="派单员", role="dispatcher", department="D-MYZX")
BIG_HANDLER = Actor(kind="staff", id="3", name="城管", role="handler", department="D-CGJ")
SMALL_HANDLER = Actor(kind="staff", id="4", name="纪委", role="handler", department="D-JWJW")


@dataclass(frozen=True)
class Case:
    name: str
    actor: Actor
    filters: SlipFilter
    page: int = 1
    query: dict[str, str] | None = None  # the same list as API query parameters


def cases() -> list[Case]:
    today = (utcnow() + timedelta(hours=8)).date()
    month_ago = today - timedelta(days=30)
    year_ago = today - timedelta(days=400)
    return [
        Case("list, no filter (admin)", ADMIN, SlipFilter(), query={}),
        Case("list, page 50", ADMIN, SlipFilter(), page=50, query={"page": "50"}),
        Case("handler scope (区城市管理局)", BIG_HANDLER, SlipFilter(), query={}),
        Case("handler scope (small dept)", SMALL_HANDLER, SlipFilter(), query={}),
        Case(
            "status = in_progress",
            ADMIN,
            SlipFilter(status="in_progress"),
            query={"status": "in_progress"},
        ),
        Case("status = open", ADMIN, SlipFilter(status="open"), query={"status": "open"}),
        Case(
            "status = merged (rare)",
            ADMIN,
            SlipFilter(status="merged"),
            query={"status": "merged"},
        ),
        Case(
            "department = D-ZJW",
            ADMIN,
            SlipFilter(department="D-ZJW"),
            query={"department": "D-ZJW"},
        ),
        Case(
            "department = D-JXW (rare)",
            ADMIN,
            SlipFilter(department="D-JXW"),
            query={"department": "D-JXW"},
        ),
        Case("urgency = 特急", ADMIN, SlipFilter(urgency="特急"), query={"urgency": "特急"}),
        # the dispatcher's queue, most urgent first (since a1963d0)
        Case("queue (dispatcher)", DISPATCHER, SlipFilter(queue=True), query=None),
        Case(
            "area = 观音桥街道", ADMIN, SlipFilter(area="观音桥街道"), query={"area": "观音桥街道"}
        ),
        Case(
            "category = 环境保护",
            ADMIN,
            SlipFilter(category="环境保护"),
            query={"category": "环境保护"},
        ),
        Case(
            "dates: last 30 days",
            ADMIN,
            SlipFilter(date_from=month_ago, date_to=today),
            query={"date_from": month_ago.isoformat(), "date_to": today.isoformat()},
        ),
        Case(
            "dates: a day 400 days ago",
            ADMIN,
            SlipFilter(date_from=year_ago, date_to=year_ago),
            query={"date_from": year_ago.isoformat(), "date_to": year_ago.isoformat()},
        ),
        Case("light = red", ADMIN, SlipFilter(light="red"), query={"light": "red"}),
        Case(
            "open + 城管 + 紧急",
            ADMIN,
            SlipFilter(status="open", department="D-CGJ", urgency="紧急"),
            query={"status": "open", "department": "D-CGJ", "urgency": "紧急"},
        ),
        Case("search 路灯", ADMIN, SlipFilter(q="路灯"), query={"q": "路灯"}),
        Case("search 拖欠工资", ADMIN, SlipFilter(q="拖欠工资"), query={"q": "拖欠工资"}),
        Case("search 基站辐射 (rare)", ADMIN, SlipFilter(q="基站辐射"), query={"q": "基站辐射"}),
        Case(
            "search 观音桥 噪音 (two terms)",
            ADMIN,
            SlipFilter(q="观音桥 噪音"),
            query={"q": "观音桥 噪音"},
        ),
        Case(
            "search 无此内容 (no match)", ADMIN, SlipFilter(q="无此内容"), query={"q": "无此内容"}
        ),
        Case("search + handler scope", BIG_HANDLER, SlipFilter(q="井盖"), query={"q": "井盖"}),
        # "单号尾号 00017", "手机尾号 8000": tails of slip and phone numbers
        Case("search number tail 00017", ADMIN, SlipFilter(q="00017"), query={"q": "00017"}),
        Case("search phone tail 8000", ADMIN, SlipFilter(q="8000"), query={"q": "8000"}),
        Case(
            "search + status open",
            ADMIN,
            SlipFilter(q="油烟", status="open"),
            query={"q": "油烟", "status": "open"},
        ),
    ]


async def measure(call: Callable[[], Awaitable[object]], samples: int) -> tuple[float, float]:
    for _ in range(2):
        await call()
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        await call()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)]
    return statistics.median(times), p95


def _pad(text: str, width: int) -> str:
    """Left-justify counting CJK characters as two columns."""
    used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(0, width - used)


def row(name: str, p50: float, p95: float, extra: str = "") -> str:
    verdict = "ok" if p95 < TARGET_MS else "SLOW"
    return f"  {_pad(name, 34)} p50 {p50:8.1f} ms   p95 {p95:8.1f} ms   {verdict:<4} {extra}"


async def ensure_database(admin_url: str, name: str) -> str:
    conn = await asyncpg.connect(admin_url)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return admin_url.rsplit("/", 1)[0] + "/" + name


async def main(args: argparse.Namespace) -> int:
    plain_url = await ensure_database(args.pg, args.db)
    url = plain_url.replace("postgresql://", "postgresql+asyncpg://", 1)
    database = Database.open(url, pool_size=4)
    await database.upgrade()
    conn = await asyncpg.connect(plain_url)
    try:
        have = await slip_count(conn)
        if have != args.slips or args.reload:
            print(f"loading {args.slips:,} slips into {args.db} (had {have:,})…", flush=True)
            seconds = await load(conn, args.slips)
            print(f"loaded in {seconds:.0f} s", flush=True)
        else:
            print(f"reusing {have:,} slips in {args.db}", flush=True)
        size = await conn.fetchval("SELECT pg_size_pretty(pg_total_relation_size('slip'))")
        version = await conn.fetchval("SHOW server_version")
    finally:
        await conn.close()

    settings = load_settings(environ={}).with_overrides(**{"database.url": url})
    service = SlipService(database, settings=settings)
    print(
        f"\nPostgreSQL {version}, slip table {size}; {args.samples} samples per query, "
        f"page size 20; target p95 < {TARGET_MS:.0f} ms; {os.cpu_count()} CPUs, "
        f"load average {_load()} (other work on the machine inflates the figures)"
        "\n\nThrough SlipService:"
    )
    slow = 0
    for case in cases():
        page_holder: list = []

        async def call(case: Case = case, holder: list = page_holder) -> None:
            holder[:] = [await service.list(case.actor, case.filters, page=case.page, per_page=20)]

        p50, p95 = await measure(call, args.samples)
        page = page_holder[0]
        total = f"{page.total:,}{'' if page.total_exact else '+'} matching"
        print(row(case.name, p50, p95, total), flush=True)
        slow += p95 >= TARGET_MS
    for actor in (BIG_HANDLER, DISPATCHER):
        p50, p95 = await measure(lambda actor=actor: service.workbench(actor), args.samples)
        print(row(f"workbench ({actor.role})", p50, p95), flush=True)
        slow += p95 >= TARGET_MS
    get_number = await _some_number(plain_url)
    p50, p95 = await measure(lambda: service.get(get_number, ADMIN), args.samples)
    print(row("get one slip", p50, p95), flush=True)
    if args.http:
        slow += await _over_http(settings, database, args.samples)
    await database.close()
    print(f"\nload average at the end: {_load()}")
    print(f"{slow} of the measured queries missed the {TARGET_MS:.0f} ms p95 target.")
    return 1 if slow else 0


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


async def _some_number(plain_url: str) -> str:
    conn = await asyncpg.connect(plain_url)
    try:
        return await conn.fetchval("SELECT number FROM slip ORDER BY id DESC OFFSET 1000 LIMIT 1")
    finally:
        await conn.close()


async def _over_http(settings, database: Database, samples: int) -> int:
    """The same lists through GET /api/v1/slips on a real server with a bearer token."""
    import aiohttp
    from aiohttp import web

    from bot.app import create_app
    from bot.staff import StaffDirectory

    staff = StaffDirectory(database)
    admin = await staff.by_username("bench-admin") or await staff.create_user(
        "bench-admin", password=os.urandom(12).hex(), role="admin"
    )
    _, token = await staff.create_token(admin.id, name="bench", scope="read")
    app = create_app(settings)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    base = f"http://127.0.0.1:{port}/api/v1/slips"
    slow = 0
    print("\nThrough HTTP (GET /api/v1/slips, bearer token):")
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as http:
        for case in cases():
            if case.actor is not ADMIN or case.query is None:
                continue

            async def call(case: Case = case) -> None:
                async with http.get(base, params=case.query) as response:
                    assert response.status == 200, await response.text()
                    await response.read()

            p50, p95 = await measure(call, samples)
            print(row(case.name, p50, p95), flush=True)
            slow += p95 >= TARGET_MS
    await runner.cleanup()
    return slow


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slips", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument(
        "--pg",
        default=os.environ.get("MINYI_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres"),
        help="a database on the server to connect to for CREATE DATABASE",
    )
    parser.add_argument("--db", default="minyi_bench")
    parser.add_argument("--reload", action="store_true", help="regenerate the slips")
    parser.add_argument("--http", action="store_true", help="also measure through the API")
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse())))
