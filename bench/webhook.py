"""Webhook throughput and latency: `minyi serve` (safe mode, PostgreSQL + Redis, full pipeline)
against a minimal aiohttp + wechatpy echo server and a durable floor, measured in the same run.

    .venv/bin/python bench/webhook.py [--residents 32] [--messages 4000] [--burst 640]
        [--rates 25,50,100,150] [--paced-seconds 10]

The three servers run as separate processes on this machine and get the same load, in the
same run (echo, then floor, then minyi), from this process through the simulator's WeChatPeer
(signing and AES like WeChat, unique MsgIds, no retries): `--residents` conversations in
flight, each sending its next message when the previous reply arrives, a new resident taking
the slot every `--conversation` messages (a resident writing 100 times a minute would only
measure the rate limit's answer). Requests are signed and encrypted before the clock starts
and replies decrypted and checked after it stops, so the load generator, which shares the
machine's cores, spends the timed run on HTTP alone (`--inline-crypto` for the old way).

The durable floor (bench/floor_server.py) is the echo plus the least any bot that keeps
residents' messages must do per message: one Redis SET NX PX (dedupe) and one PostgreSQL
INSERT (asyncpg, autocommit) into a table in the bench database. It shows what fraction of
the echo a minimal durable server reaches, and so how much of minyi's gap is its own.

Prints messages/s, p50/p99 latency and CPU milliseconds per message of each server process
(from /proc: the figure to compare on a shared machine, where wall-clock figures follow
everyone else's load), of the PostgreSQL backends serving the floor or minyi, of the Redis
server and of the load generator; what the replies were; the ratios; then a paced (open-loop)
run of minyi: messages sent at each of `--rates` per second on a fixed schedule whatever the
replies (the same residents' pattern), with the achieved rate and p50/p99/max latency from
the scheduled send: closed-loop latency at 32 in flight is only queueing at saturation
(32 / throughput), the paced rows are the latency at a given real load. Last, a burst check
against WeChat's 5 s limit. Needs PostgreSQL and Redis (the test command starts them).
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
FLOOR_ROW = "durable floor (Redis + PostgreSQL)"
FLOOR_APPLICATION_NAME = "minyi-bench-floor"  # tells the floor's PostgreSQL backends apart
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
    """CPU time of a process so far (Linux /proc): the scheduler's nanosecond count over its
    threads where the kernel keeps it, else user + system time in clock ticks (10 ms: a toy
    run of the echo, 64 messages in 14 ms, read as no CPU at all)."""
    tasks = os.listdir(f"/proc/{pid}/task")  # FileNotFoundError: the process is gone
    try:
        total = 0
        for task in tasks:
            try:
                with open(f"/proc/{pid}/task/{task}/schedstat", encoding="ascii") as stat:
                    total += int(stat.read().split()[0])
            except FileNotFoundError:  # a thread that ended meanwhile
                continue
        return total / 1e9
    except (OSError, ValueError, IndexError):
        pass
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


class Traffic:
    """Residents' messages for one server, built the same way for the closed loop and the
    paced run: slot `slot`'s `n`th message comes from resident `n // conversation` of that
    slot (0: the same resident all along), the texts in turn.

    `prebuilt`: requests are signed and encrypted before the clock starts (`prepared`), and
    replies decrypted and checked after it stops (`check`), so that the load generator
    (sharing the machine's cores) spends its time on HTTP only; the same for every server."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        *,
        conversation: int,
        prebuilt: bool,
    ) -> None:
        self.config = SimulatorConfig(
            TOKEN, APPID, "secret", AES_KEY, url, encryption="safe", retries=0
        )
        self.session = session
        self.url = url
        self.conversation = conversation
        self.prebuilt = prebuilt
        self.peer = WeChatPeer(self.config, session)
        self.run_id = uuid.uuid4().hex[:6]
        self.timeout = aiohttp.ClientTimeout(total=self.config.reply_timeout)

    def openid(self, slot: int, n: int, phase: str) -> str:
        who = n // self.conversation if self.conversation else 0
        return f"oB{phase}{self.run_id}{slot:03d}x{who:05d}"

    def xml(self, slot: int, n: int, phase: str) -> str:
        return self.peer.text_xml(self.openid(slot, n, phase), TEXTS[n % len(TEXTS)])

    def prepared(
        self, slot: int, count: int, phase: str
    ) -> list[tuple[str, SignedRequest | None]]:
        """One slot's next `count` messages (and their requests when prebuilt)."""
        return [self.item(self.xml(slot, n, phase)) for n in range(count)]

    def item(self, xml: str) -> tuple[str, SignedRequest | None]:
        return xml, self.peer.build_request(xml) if self.prebuilt else None

    async def post_raw(self, request: SignedRequest) -> tuple[int, str]:
        try:
            async with self.session.post(
                self.url,
                params=request.query,
                data=request.body.encode(),
                headers={"Content-Type": "text/xml"},
                timeout=self.timeout,
            ) as response:
                body = await response.text(encoding="utf-8", errors="replace")
                return response.status, body
        except (TimeoutError, aiohttp.ClientError) as exc:
            return 0, type(exc).__name__

    async def send(self, xml: str, request: SignedRequest | None) -> str:
        """Post one message; the raw answer when prebuilt (read it with `check` later), else
        the checked outcome."""
        if request is not None:
            status, body = await self.post_raw(request)
            return f"{status}\n{body}"
        result = await self.peer.post(xml, retry=False)
        return result.error or kind_of(result.reply)

    def check(self, outcome: str, xml: str) -> tuple[str | None, str]:
        """(error, reply kind) of one answer."""
        if not self.prebuilt:
            if outcome in ("success", "too_fast", "text"):
                return None, outcome
            return outcome, "error"
        status, _, body = outcome.partition("\n")
        if status == "0":
            return f"no answer ({body})", "error"
        _, reply, error = self.peer.read_reply(int(status), body, openid=_openid_of(xml))
        return error, kind_of(reply) if error is None else "error"

    def tally(self, answers: list[tuple[str, str]]) -> tuple[list[str], dict[str, int]]:
        """Errors and reply kinds of (xml, outcome) pairs."""
        errors: list[str] = []
        kinds: dict[str, int] = {}
        for xml, outcome in answers:
            error, kind = self.check(outcome, xml)
            kinds[kind] = kinds.get(kind, 0) + 1
            if error:
                errors.append(error)
        return errors, kinds


def _percentile(ordered: list[float], fraction: float) -> float:
    return ordered[int(fraction * (len(ordered) - 1))]


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
    resident takes the slot (0: the same resident all along). See `Traffic` for `prebuilt`."""
    connector = aiohttp.TCPConnector(limit=residents * 2)
    async with aiohttp.ClientSession(connector=connector) as session:
        traffic = Traffic(session, url, conversation=conversation, prebuilt=prebuilt)

        async def slot_run(
            script_: list[tuple[str, SignedRequest | None]],
            out: list[tuple[float, str, str]],
        ) -> None:
            for xml, request in script_:
                started = time.perf_counter()
                outcome = await traffic.send(xml, request)
                out.append((time.perf_counter() - started, xml, outcome))

        per_warm = max(1, warmup // residents)
        warm = [traffic.prepared(i, per_warm, "w") for i in range(residents)]
        await asyncio.gather(*(slot_run(warm[i], []) for i in range(residents)))

        per_slot = messages // residents
        scripts = [traffic.prepared(i, per_slot, "r") for i in range(residents)]
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
    errors, kinds = traffic.tally([(xml, outcome) for out in outs for _, xml, outcome in out])
    count = len(latencies)
    return {
        "messages": count,
        "errors": len(errors),
        "per_second": count / elapsed,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * _percentile(latencies, 0.99),
        "max_ms": 1000 * latencies[-1],
        "first_error": errors[0] if errors else "",
        "client_cpu_ms": 1000 * client_cpu / count,
        "cpu_ms": {name: 1000 * seconds / count for name, seconds in cpu.items()},
        "kinds": kinds,
        "spawned": spawned,
        "wall_s": elapsed,
    }


async def run_paced(
    url: str,
    rates: list[float],
    seconds: float,
    residents: int,
    *,
    conversation: int,
    prebuilt: bool,
    pids: dict[str, Callable[[], Awaitable[list[int]]]],
) -> list[dict[str, Any]]:
    """Open loop: at each rate, message i is sent at start + i / rate whether or not earlier
    replies have come back, for `seconds`; message i belongs to slot i % residents, so as in
    the closed loop `residents` residents write in turn and a new one takes a slot every
    `conversation` messages. Latency counts from the scheduled send time (a late load
    generator or a full connection pool adds to it instead of hiding it); no connection
    limit. Each rate waits for the previous one's last answer."""
    results = []
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        traffic = Traffic(session, url, conversation=conversation, prebuilt=prebuilt)

        async def one(
            scheduled: float,
            xml: str,
            request: SignedRequest | None,
            answers: list[tuple[float, float, str, str]],
        ) -> None:
            outcome = await traffic.send(xml, request)
            done = time.perf_counter()
            answers.append((done - scheduled, done, xml, outcome))

        for rate in rates:
            count = max(1, round(rate * seconds))
            phase = f"p{rate:g}"
            items = [
                traffic.item(traffic.xml(i % residents, i // residents, phase))
                for i in range(count)
            ]
            answers: list[tuple[float, float, str, str]] = []  # latency, done at, xml, outcome
            late = 0.0

            meters = {name: CpuMeter(get) for name, get in pids.items()}
            for meter in meters.values():
                await meter.start()
            tasks = []
            start_at = time.perf_counter()
            for i, (xml, request) in enumerate(items):
                scheduled = start_at + i / rate
                delay = scheduled - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                else:
                    late = max(late, -delay)
                tasks.append(asyncio.create_task(one(scheduled, xml, request, answers)))
            sent_for = time.perf_counter() - start_at
            await asyncio.gather(*tasks)
            cpu = {name: await meter.stop() for name, meter in meters.items()}
            errors, kinds = traffic.tally([(xml, outcome) for _, _, xml, outcome in answers])
            latencies = sorted(latency for latency, _, _, _ in answers)
            answered = sorted(
                done for _, done, xml, outcome in answers if traffic.check(outcome, xml)[0] is None
            )
            results.append(
                {
                    "offered": rate,
                    "messages": count,
                    # n messages span n - 1 intervals, both when sent and when answered
                    "sent_per_second": (count - 1) / sent_for if count > 1 else rate,
                    "per_second": (
                        (len(answered) - 1) / (answered[-1] - answered[0])
                        if len(answered) > 1 and answered[-1] > answered[0]
                        else 0.0
                    ),
                    "p50_ms": 1000 * statistics.median(latencies),
                    "p99_ms": 1000 * _percentile(latencies, 0.99),
                    "max_ms": 1000 * latencies[-1],
                    "errors": len(errors),
                    "first_error": errors[0] if errors else "",
                    "late_ms": 1000 * late,
                    "cpu_ms": {name: 1000 * sec / count for name, sec in cpu.items()},
                    "kinds": kinds,
                }
            )
    return results


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
        "p99_ms": 1000 * _percentile(times, 0.99),
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
        help="where the servers' output goes",
    )
    parser.add_argument(
        "--inline-crypto",
        action="store_true",
        help="sign/encrypt each request and check each reply while timing (default: before "
        "and after the timed run)",
    )
    parser.add_argument(
        "--rates",
        default="25,50,100,150",
        help="paced (open-loop) run of minyi: messages per second, comma-separated, each for "
        "--paced-seconds ('' or 0 to skip)",
    )
    parser.add_argument("--paced-seconds", type=float, default=10.0)
    parser.add_argument(
        "--pg",
        default=os.environ.get("MINYI_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    parser.add_argument(
        "--redis", default=os.environ.get("MINYI_TEST_REDIS", "redis://127.0.0.1:6379/14")
    )
    args = parser.parse_args()
    rates = [float(x) for x in args.rates.split(",") if x.strip() and float(x) > 0]
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
    crypto_args = ["--token", TOKEN, "--appid", APPID, "--aes-key", AES_KEY]
    try:
        serve_port, echo_port, floor_port = free_port(), free_port(), free_port()
        procs.append(
            start(
                [*minyi, "serve", "--port", str(serve_port), "--host", "127.0.0.1"],
                env,
                server_log,
            )
        )
        def baseline(module: str, port: int, *extra: str) -> subprocess.Popen[bytes]:
            command = [sys.executable, "-m", module, "--port", str(port), *crypto_args, *extra]
            return start(command, env, server_log)

        procs.append(baseline("bench.echo_server", echo_port))
        procs.append(
            baseline(
                "bench.floor_server",
                floor_port,
                "--dsn",
                args.pg.rsplit("/", 1)[0] + f"/{dbname}",
                "--redis",
                args.redis,
                "--key-prefix",
                f"{prefix}:floor",
                "--application-name",
                FLOOR_APPLICATION_NAME,
            )
        )
        await wait_ready(f"http://127.0.0.1:{serve_port}/healthz")
        await wait_ready(f"http://127.0.0.1:{echo_port}/wechat")
        await wait_ready(f"http://127.0.0.1:{floor_port}/wechat")

        async def server_pid(proc: subprocess.Popen[bytes]) -> list[int]:
            return [proc.pid]

        meter_pg = await asyncpg.connect(args.pg)
        meter_redis = aioredis.from_url(args.redis)
        closers.extend([meter_pg.close, meter_redis.aclose])

        async def pg_backends(*, floor: bool = False) -> list[int]:
            """Backends in the bench database: the floor server's (by their application_name)
            or everyone else's (minyi's)."""
            query = (
                "SELECT pid FROM pg_stat_activity WHERE datname = $1 "
                "AND (coalesce(application_name, '') = $2) = $3"
            )
            rows = await meter_pg.fetch(query, dbname, FLOOR_APPLICATION_NAME, floor)
            return [row["pid"] for row in rows]

        async def floor_backends() -> list[int]:
            return await pg_backends(floor=True)

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
        floor = await run_load(
            f"http://127.0.0.1:{floor_port}/wechat",
            **load,
            pids={
                "server": lambda: server_pid(procs[2]),
                "postgres": floor_backends,
                "redis": redis_server,
            },
        )
        minyi_pids = {
            "server": lambda: server_pid(procs[0]),
            "postgres": pg_backends,
            "redis": redis_server,
        }
        full = await run_load(f"http://127.0.0.1:{serve_port}/wechat", **load, pids=minyi_pids)
        paced = await run_paced(
            f"http://127.0.0.1:{serve_port}/wechat",
            rates,
            args.paced_seconds,
            args.residents,
            conversation=args.conversation,
            prebuilt=not args.inline_crypto,
            pids=minyi_pids,
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
        (FLOOR_ROW, floor),
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
    print(
        "  durable floor: the echo plus one Redis SET NX PX (dedupe) and one PostgreSQL INSERT "
        "(asyncpg, autocommit) per message"
    )
    print("  all three run on the event loop `minyi serve` uses (bot.cli.new_event_loop: uvloop)")
    logged = await asyncio.to_thread(Path(args.server_log).read_bytes)
    lines = logged.decode("utf-8", errors="replace").splitlines()
    print(f"server log: {args.server_log} ({len(lines)} lines)")
    ratio = full["per_second"] / echo["per_second"]
    print(
        f"throughput ratio minyi/echo: {ratio:.1%} (target >= 25%); server CPU per message "
        f"echo/minyi: {echo['cpu_ms']['server'] / full['cpu_ms']['server']:.1%}; "
        f"minyi p99 {full['p99_ms']:.1f} ms (target < 50 ms)"
    )
    print(
        f"throughput ratio floor/echo: {floor['per_second'] / echo['per_second']:.1%}; "
        f"minyi/floor: {full['per_second'] / floor['per_second']:.1%}"
    )
    total = {"echo": _total_cpu(echo), "floor": _total_cpu(floor), "minyi": _total_cpu(full)}
    print(
        f"CPU ms per message, server + pg + redis: echo {total['echo']:.2f}, floor "
        f"{total['floor']:.2f}, minyi {total['minyi']:.2f} (floor/minyi "
        f"{total['floor'] / total['minyi']:.1%})"
    )
    if paced:
        print(
            f"paced (open loop) minyi serve: messages sent on a fixed schedule whatever the "
            f"replies, {args.residents} residents in turn, a new one every "
            f"{args.conversation or 'never'} messages, {args.paced_seconds:g} s per rate; "
            f"latency from the scheduled send"
        )
        print(
            f"{'offered/s':>10}{'sent/s':>8}{'done/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'max ms':>8}"
            f"{'errors':>7}{'CPU ms/msg: server':>20}{'pg':>6}{'redis*':>7}{'late ms':>9}"
        )
        for row in paced:
            cpu = row["cpu_ms"]
            print(
                f"{row['offered']:>10g}{row['sent_per_second']:>8.1f}{row['per_second']:>8.1f}"
                f"{row['p50_ms']:>8.1f}{row['p99_ms']:>8.1f}{row['max_ms']:>8.1f}"
                f"{row['errors']:>7.0f}{cpu['server']:>20.2f}{_opt(cpu.get('postgres')):>6}"
                f"{_opt(cpu.get('redis')):>7}{row['late_ms']:>9.1f}"
            )
            print(f"  replies: {', '.join(f'{k} {v}' for k, v in sorted(row['kinds'].items()))}")
            if row["first_error"]:
                print(f"  first error: {row['first_error']}")
        print(
            "  done/s: answers without error per second, first to last; late ms: the load "
            "generator's worst lag behind the schedule"
        )
    if burst:
        print(
            f"burst: {burst['messages']:.0f} residents at once -> missed 5 s: {burst['missed_5s']:.0f}, "
            f"failed: {burst['failed']:.0f}, p99 {burst['p99_ms']:.0f} ms, max {burst['max_ms']:.0f} ms"
        )


def _total_cpu(row: dict[str, Any]) -> float:
    return sum(row["cpu_ms"].get(name, 0.0) for name in ("server", "postgres", "redis"))


def _opt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


if __name__ == "__main__":
    asyncio.run(main())
