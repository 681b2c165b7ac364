"""Webhook throughput and latency: `minyi serve` (safe mode, PostgreSQL + Redis, full pipeline)
against a minimal aiohttp + wechatpy echo server, measured in the same run.

    .venv/bin/python bench/webhook.py [--residents 32] [--messages 4000] [--burst 640]

Both servers run as separate processes on this machine and get the same load, in the same
run, from this process through the simulator's WeChatPeer (signing and AES like WeChat, unique
MsgIds, no retries): `--residents` conversations in flight, each sending its next message when
the previous reply arrives, a new resident taking the slot every `--conversation` messages (a
resident writing 100 times a minute would only measure the rate limit's answer). Requests are
signed and encrypted before the clock starts and replies decrypted and checked after it stops,
so the load generator, which shares the machine's cores, spends the timed run on HTTP alone
(`--inline-crypto` for the old way).

Prints messages/s, p50/p99 latency and CPU milliseconds per message of each server process
(from /proc: the figure to compare on a shared machine, where wall-clock figures follow
everyone else's load), of the PostgreSQL backends serving minyi, of the Redis server and of
the load generator; what the replies were; the ratio; and a burst check against WeChat's 5 s
limit. Needs PostgreSQL and Redis (the test command starts them).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import redis.asyncio as aioredis

from bot.simulator import SimulatorConfig, WeChatPeer
from bot.simulator.peer import SignedRequest, _openid_of
from knowledge.replies import Replies

REPO = Path(__file__).resolve().parents[1]
TOKEN = "benchtoken"
APPID = "wxbench0000000001"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
TOO_FAST = Replies.load().say("too_fast")[:12]
TEXTS = ["小区门口的路灯坏了三天了", "楼下烧烤店油烟太大", "请问社保怎么转移", "路面有个大坑"]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_ready(url: str, within: float = 90.0) -> None:
    deadline = time.monotonic() + within
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(url) as response:
                    if response.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"server at {url} did not start")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_or_none(pid: int) -> float | None:
    try:
        return cpu_seconds(pid)
    except (FileNotFoundError, ProcessLookupError):
        return None


class CpuMeter:
    """CPU time of a changing set of processes (database backends come and go) over a run:
    sampled every 0.2 s; a process first seen after the start counts from zero, one that
    exits counts up to its last sample."""

    def __init__(self, pids: Callable[[], Awaitable[list[int]]]) -> None:
        self._pids = pids
        self._first: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._task: asyncio.Task[None] | None = None
        self.started_with = 0

    async def _sample(self, *, starting: bool = False) -> None:
        for pid in await self._pids():
            value = _cpu_or_none(pid)
            if value is not None:
                self._first.setdefault(pid, value if starting else 0.0)
                self._last[pid] = value

    async def start(self) -> None:
        await self._sample(starting=True)
        self.started_with = len(self._first)

        async def loop() -> None:
            while True:
                await asyncio.sleep(0.2)
                await self._sample()

        self._task = asyncio.create_task(loop())

    async def stop(self) -> float:
        if self._task is not None:
            self._task.cancel()
        for pid in self._last:
            value = _cpu_or_none(pid)
            if value is not None:
                self._last[pid] = value
        return sum(self._last[pid] - self._first[pid] for pid in self._last)


def kind_of(reply: dict[str, Any] | None) -> str:
    """A short label for a reply: `success`, the rate limit's answer, or any other text."""
    if reply is None:
        return "success"
    content = str(reply.get("Content") or "")
    return "too_fast" if content.startswith(TOO_FAST) else "text"


async def run_load(
    url: str,
    residents: int,
    messages: int,
    warmup: int,
    *,
    conversation: int,
    prebuilt: bool,
    pids: dict[str, Callable[[], Awaitable[list[int]]]],
) -> dict[str, Any]:
    """`residents` conversations in flight at once; each slot's resident sends its next
    message when the previous reply arrives, and after `conversation` messages a new
    resident takes the slot (0: the same resident all along).

    `prebuilt`: every request is signed and encrypted before the clock starts, and replies
    are decrypted and checked after it stops, so that the load generator (sharing the
    machine's cores) spends its time on HTTP only; the same for both servers."""
    config = SimulatorConfig(TOKEN, APPID, "secret", AES_KEY, url, encryption="safe", retries=0)
    connector = aiohttp.TCPConnector(limit=residents * 2)
    timeout = aiohttp.ClientTimeout(total=config.reply_timeout)
    async with aiohttp.ClientSession(connector=connector) as session:
        peer = WeChatPeer(config, session)
        run_id = uuid.uuid4().hex[:6]

        def openid(slot: int, n: int, phase: str) -> str:
            who = n // conversation if conversation else 0
            return f"oB{phase}{run_id}{slot:03d}x{who:05d}"

        def script(slot: int, count: int, phase: str) -> list[str]:
            return [
                peer.text_xml(openid(slot, n, phase), TEXTS[n % len(TEXTS)]) for n in range(count)
            ]

        async def post_raw(xml: str, request: SignedRequest) -> tuple[float, int, str]:
            started = time.perf_counter()
            try:
                async with session.post(
                    url,
                    params=request.query,
                    data=request.body.encode(),
                    headers={"Content-Type": "text/xml"},
                    timeout=timeout,
                ) as response:
                    body = await response.text(encoding="utf-8", errors="replace")
                    return time.perf_counter() - started, response.status, body
            except (TimeoutError, aiohttp.ClientError) as exc:
                return time.perf_counter() - started, 0, type(exc).__name__

        async def slot_run(
            script_: list[tuple[str, SignedRequest | None]],
            out: list[tuple[float, str, str]],
        ) -> None:
            for xml, request in script_:
                if request is not None:
                    elapsed, status, body = await post_raw(xml, request)
                    out.append((elapsed, xml, f"{status}\n{body}"))
                    continue
                started = time.perf_counter()
                result = await peer.post(xml, retry=False)
                out.append(
                    (time.perf_counter() - started, xml, result.error or kind_of(result.reply))
                )

        def prepared(slot: int, count: int, phase: str) -> list[tuple[str, SignedRequest | None]]:
            return [
                (xml, peer.build_request(xml) if prebuilt else None)
                for xml in script(slot, count, phase)
            ]

        def check(outcome: str, xml: str) -> tuple[str | None, str]:
            """(error, reply kind) of one answer."""
            if not prebuilt:
                if outcome in ("success", "too_fast", "text"):
                    return None, outcome
                return outcome, "error"
            status, _, body = outcome.partition("\n")
            if status == "0":
                return f"no answer ({body})", "error"
            _, reply, error = peer.read_reply(int(status), body, openid=_openid_of(xml))
            return error, kind_of(reply) if error is None else "error"

        per_warm = max(1, warmup // residents)
        warm = [prepared(i, per_warm, "w") for i in range(residents)]
        await asyncio.gather(*(slot_run(warm[i], []) for i in range(residents)))

        per_slot = messages // residents
        scripts = [prepared(i, per_slot, "r") for i in range(residents)]
        outs: list[list[tuple[float, str, str]]] = [[] for _ in range(residents)]
        meters = {name: CpuMeter(get) for name, get in pids.items()}
        for meter in meters.values():
            await meter.start()
        client_cpu = time.process_time()
        started = time.perf_counter()
        await asyncio.gather(*(slot_run(scripts[i], outs[i]) for i in range(residents)))
        elapsed = time.perf_counter() - started
        client_cpu = time.process_time() - client_cpu
        cpu = {name: await meter.stop() for name, meter in meters.items()}
        spawned = {name: len(m._first) - m.started_with for name, m in meters.items()}
    latencies = sorted(e for out in outs for e, _, _ in out)
    errors: list[str] = []
    kinds: dict[str, int] = {}
    for out in outs:
        for _, xml, outcome in out:
            error, kind = check(outcome, xml)
            kinds[kind] = kinds.get(kind, 0) + 1
            if error:
                errors.append(error)
    count = len(latencies)
    return {
        "messages": count,
        "errors": len(errors),
        "per_second": count / elapsed,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[int(0.99 * (count - 1))],
        "max_ms": 1000 * latencies[-1],
        "first_error": errors[0] if errors else "",
        "client_cpu_ms": 1000 * client_cpu / count,
        "cpu_ms": {name: 1000 * seconds / count for name, seconds in cpu.items()},
        "kinds": kinds,
        "spawned": spawned,
        "wall_s": elapsed,
    }


async def run_burst(url: str, count: int) -> dict[str, float]:
    """`count` residents write at the same instant; WeChat gives each 5 s."""
    config = SimulatorConfig(TOKEN, APPID, "secret", AES_KEY, url, encryption="safe", retries=0)
    connector = aiohttp.TCPConnector(limit=count)
    async with aiohttp.ClientSession(connector=connector) as session:
        peer = WeChatPeer(config, session)
        run_id = uuid.uuid4().hex[:6]
        xmls = [
            peer.text_xml(f"oBurst{run_id}{i:05d}", TEXTS[i % len(TEXTS)]) for i in range(count)
        ]
        started = time.perf_counter()
        results = await asyncio.gather(*(peer.post(xml, retry=False) for xml in xmls))
        elapsed = time.perf_counter() - started
    times = sorted(r.elapsed for r in results)
    return {
        "messages": count,
        "missed_5s": sum(1 for r in results if r.timed_out or r.elapsed >= 5.0),
        "failed": sum(1 for r in results if not r.ok),
        "p99_ms": 1000 * times[int(0.99 * (count - 1))],
        "max_ms": 1000 * times[-1],
        "wall_s": elapsed,
    }


def start(cmd: list[str], env: dict[str, str], log: Any) -> subprocess.Popen[bytes]:
    """A server process; its output goes to `log` (a file: an unread pipe would fill up and
    stop the server when it logs)."""
    return subprocess.Popen(cmd, env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=32)
    parser.add_argument("--messages", type=int, default=4000)
    parser.add_argument("--warmup", type=int, default=320)
    parser.add_argument("--burst", type=int, default=640, help="0 to skip the burst check")
    parser.add_argument(
        "--conversation",
        type=int,
        default=4,
        help="messages per resident before a new one takes the slot (0: one resident per slot "
        "all along, which soon hits the per-resident rate limit)",
    )
    parser.add_argument(
        "--server-log",
        default=os.path.join(tempfile.gettempdir(), f"minyi-bench-webhook-{os.getpid()}.log"),
        help="where both servers' output goes",
    )
    parser.add_argument(
        "--inline-crypto",
        action="store_true",
        help="sign/encrypt each request and check each reply while timing (default: before "
        "and after the timed run)",
    )
    parser.add_argument(
        "--pg",
        default=os.environ.get("MINYI_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    parser.add_argument(
        "--redis", default=os.environ.get("MINYI_TEST_REDIS", "redis://127.0.0.1:6379/14")
    )
    args = parser.parse_args()
    load_before = os.getloadavg()

    dbname = f"minyi_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(args.pg)
    await admin.execute(f'CREATE DATABASE "{dbname}"')
    await admin.close()
    db_url = (
        args.pg.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
        + f"/{dbname}"
    )
    prefix = f"bench{dbname[-8:]}"
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as cfg:
        cfg.write(
            (REPO / "config.yaml")
            .read_text(encoding="utf-8")
            .replace("prefix: minyi", f"prefix: {prefix}")
            .replace("level: INFO", "level: WARNING")
        )
    env = {
        **os.environ,
        "MINYI_CONFIG": cfg.name,
        "MINYI_DATABASE_URL": db_url,
        "MINYI_REDIS_URL": args.redis,
        "MINYI_WECHAT_TOKEN": TOKEN,
        "MINYI_WECHAT_APPID": APPID,
        "MINYI_WECHAT_SECRET": "secret",
        "MINYI_WECHAT_AES_KEY": AES_KEY,
        "MINYI_SECRET_KEY": "bench-secret",
    }
    minyi = [sys.executable, "-m", "bot.cli"]
    await asyncio.to_thread(
        subprocess.run,
        [*minyi, "db", "upgrade"],
        env=env,
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    server_log = await asyncio.to_thread(Path(args.server_log).open, "wb")
    procs: list[subprocess.Popen[bytes]] = []
    closers: list[Callable[[], Awaitable[Any]]] = []
    try:
        serve_port, echo_port = free_port(), free_port()
        procs.append(
            start(
                [*minyi, "serve", "--port", str(serve_port), "--host", "127.0.0.1"],
                env,
                server_log,
            )
        )
        procs.append(
            start(
                [
                    sys.executable,
                    "-m",
                    "bench.echo_server",
                    "--port",
                    str(echo_port),
                    "--token",
                    TOKEN,
                    "--appid",
                    APPID,
                    "--aes-key",
                    AES_KEY,
                ],
                env,
                server_log,
            )
        )
        await wait_ready(f"http://127.0.0.1:{serve_port}/healthz")
        await wait_ready(f"http://127.0.0.1:{echo_port}/wechat")

        async def server_pid(proc: subprocess.Popen[bytes]) -> list[int]:
            return [proc.pid]

        meter_pg = await asyncpg.connect(args.pg)
        meter_redis = aioredis.from_url(args.redis)
        closers.extend([meter_pg.close, meter_redis.aclose])

        async def pg_backends() -> list[int]:
            query = "SELECT pid FROM pg_stat_activity WHERE datname = $1"
            return [row["pid"] for row in await meter_pg.fetch(query, dbname)]

        async def redis_server() -> list[int]:
            return [int((await meter_redis.info("server"))["process_id"])]

        load = {
            "residents": args.residents,
            "messages": args.messages,
            "warmup": args.warmup,
            "conversation": args.conversation,
            "prebuilt": not args.inline_crypto,
        }
        echo = await run_load(
            f"http://127.0.0.1:{echo_port}/wechat",
            **load,
            pids={"server": lambda: server_pid(procs[1])},
        )
        full = await run_load(
            f"http://127.0.0.1:{serve_port}/wechat",
            **load,
            pids={
                "server": lambda: server_pid(procs[0]),
                "postgres": pg_backends,
                "redis": redis_server,
            },
        )
        burst = (
            await run_burst(f"http://127.0.0.1:{serve_port}/wechat", args.burst)
            if args.burst
            else None
        )
    finally:
        for close in closers:
            await close()
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        server_log.close()
        os.unlink(cfg.name)
        cleanup = aioredis.from_url(args.redis)
        async for name in cleanup.scan_iter(match=f"{prefix}:*", count=1000):
            await cleanup.delete(name)
        await cleanup.aclose()
        admin = await asyncpg.connect(args.pg)
        await admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        await admin.close()

    print(
        f"machine: {os.cpu_count()} cores, load average {' '.join(f'{x:.2f}' for x in load_before)}"
        f" before / {' '.join(f'{x:.2f}' for x in os.getloadavg())} after"
    )
    print(
        f"load: {args.residents} residents in flight, {args.messages} safe-mode text messages "
        f"per server (unique MsgIds), a new resident every {args.conversation or 'never'} "
        f"messages; requests {'encrypted while timing' if args.inline_crypto else 'prebuilt'}"
    )
    print(
        f"{'server':<34}{'msg/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'max ms':>8}{'errors':>7}"
        f"{'CPU ms/msg: server':>20}{'pg':>6}{'redis*':>7}{'client':>7}"
    )
    for name, row in (
        ("echo (aiohttp + wechatpy)", echo),
        ("minyi serve (PostgreSQL + Redis)", full),
    ):
        cpu = row["cpu_ms"]
        print(
            f"{name:<34}{row['per_second']:>8.0f}{row['p50_ms']:>8.1f}{row['p99_ms']:>8.1f}"
            f"{row['max_ms']:>8.1f}{row['errors']:>7.0f}{cpu['server']:>20.2f}"
            f"{_opt(cpu.get('postgres')):>6}{_opt(cpu.get('redis')):>7}"
            f"{row['client_cpu_ms']:>7.2f}"
        )
        print(f"  replies: {', '.join(f'{k} {v}' for k, v in sorted(row['kinds'].items()))}")
        if row["spawned"].get("postgres"):
            print(f"  database connections opened during the run: {row['spawned']['postgres']}")
        if row["first_error"]:
            print(f"  first error: {row['first_error']}")
    print("  * redis: the whole Redis server's CPU, shared with anything else using it")
    logged = await asyncio.to_thread(Path(args.server_log).read_bytes)
    lines = logged.decode("utf-8", errors="replace").splitlines()
    print(f"server log: {args.server_log} ({len(lines)} lines)")
    ratio = full["per_second"] / echo["per_second"]
    print(
        f"throughput ratio minyi/echo: {ratio:.1%} (target >= 25%); server CPU per message "
        f"echo/minyi: {echo['cpu_ms']['server'] / full['cpu_ms']['server']:.1%}; "
        f"minyi p99 {full['p99_ms']:.1f} ms (target < 50 ms)"
    )
    if burst:
        print(
            f"burst: {burst['messages']:.0f} residents at once -> missed 5 s: {burst['missed_5s']:.0f}, "
            f"failed: {burst['failed']:.0f}, p99 {burst['p99_ms']:.0f} ms, max {burst['max_ms']:.0f} ms"
        )


def _opt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


if __name__ == "__main__":
    asyncio.run(main())
