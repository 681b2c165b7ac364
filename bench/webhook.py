"""Webhook throughput and latency: `minyi serve` (safe mode, PostgreSQL + Redis, full pipeline)
against a minimal aiohttp + wechatpy echo server, measured in the same run.

    .venv/bin/python bench/webhook.py [--residents 32] [--messages 4000] [--burst 640]

Both servers run as separate processes on this machine; the load comes from this process
through the simulator's WeChatPeer (signing and AES like WeChat, unique MsgIds, no retries),
each simulated resident sending its next message when the previous reply arrives. Prints
messages/s and p50/p99 latency for both, the ratio, and a burst check against WeChat's 5 s
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
from pathlib import Path

import aiohttp
import asyncpg

from bot.simulator import SimulatorConfig, WeChatPeer

REPO = Path(__file__).resolve().parents[1]
TOKEN = "benchtoken"
APPID = "wxbench0000000001"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
TEXTS = ["小区门口的路灯坏了三天了", "楼下烧烤店油烟太大", "请问社保怎么转移", "路面有个大坑"]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_ready(url: str, within: float = 30.0) -> None:
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


async def run_load(url: str, residents: int, messages: int, warmup: int) -> dict[str, float]:
    config = SimulatorConfig(TOKEN, APPID, "secret", AES_KEY, url, encryption="safe", retries=0)
    connector = aiohttp.TCPConnector(limit=residents * 2)
    async with aiohttp.ClientSession(connector=connector) as session:
        peer = WeChatPeer(config, session)
        run_id = uuid.uuid4().hex[:6]

        async def resident(
            index: int, count: int, latencies: list[float], errors: list[str]
        ) -> None:
            openid = f"oBench{run_id}{index:04d}"
            for n in range(count):
                xml = peer.text_xml(openid, TEXTS[n % len(TEXTS)])
                started = time.perf_counter()
                result = await peer.post(xml, retry=False)
                latencies.append(time.perf_counter() - started)
                if not result.ok or result.reply is None:
                    errors.append(result.error or f"no reply (HTTP {result.status})")

        warm: list[float] = []
        await asyncio.gather(
            *(resident(i, max(1, warmup // residents), warm, []) for i in range(residents))
        )
        latencies: list[float] = []
        errors: list[str] = []
        per_resident = messages // residents
        started = time.perf_counter()
        await asyncio.gather(
            *(resident(i, per_resident, latencies, errors) for i in range(residents))
        )
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "messages": len(latencies),
        "errors": len(errors),
        "per_second": len(latencies) / elapsed,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))],
        "max_ms": 1000 * latencies[-1],
        "first_error": errors[0] if errors else "",
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


def start(cmd: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        cmd, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=32)
    parser.add_argument("--messages", type=int, default=4000)
    parser.add_argument("--warmup", type=int, default=320)
    parser.add_argument("--burst", type=int, default=640, help="0 to skip the burst check")
    parser.add_argument(
        "--pg",
        default=os.environ.get("MINYI_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    parser.add_argument(
        "--redis", default=os.environ.get("MINYI_TEST_REDIS", "redis://127.0.0.1:6379/14")
    )
    args = parser.parse_args()

    dbname = f"minyi_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(args.pg)
    await admin.execute(f'CREATE DATABASE "{dbname}"')
    await admin.close()
    db_url = (
        args.pg.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
        + f"/{dbname}"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as cfg:
        cfg.write(
            (REPO / "config.yaml")
            .read_text(encoding="utf-8")
            .replace("prefix: minyi", f"prefix: bench{dbname[-8:]}")
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
        subprocess.run, [*minyi, "db", "upgrade"], env=env, cwd=REPO, check=True,
        capture_output=True,
    )
    procs: list[subprocess.Popen[bytes]] = []
    try:
        serve_port, echo_port = free_port(), free_port()
        procs.append(
            start([*minyi, "serve", "--port", str(serve_port), "--host", "127.0.0.1"], env)
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
            )
        )
        await wait_ready(f"http://127.0.0.1:{serve_port}/healthz")
        await wait_ready(f"http://127.0.0.1:{echo_port}/wechat")
        echo = await run_load(
            f"http://127.0.0.1:{echo_port}/wechat", args.residents, args.messages, args.warmup
        )
        full = await run_load(
            f"http://127.0.0.1:{serve_port}/wechat", args.residents, args.messages, args.warmup
        )
        burst = (
            await run_burst(f"http://127.0.0.1:{serve_port}/wechat", args.burst)
            if args.burst
            else None
        )
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        os.unlink(cfg.name)
        admin = await asyncpg.connect(args.pg)
        await admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        await admin.close()

    print(
        f"machine: {os.cpu_count()} cores; {args.residents} concurrent residents, "
        f"{args.messages} safe-mode text messages each run (unique MsgIds)"
    )
    print(f"{'server':<34}{'msg/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'errors':>8}")
    for name, row in (
        ("echo (aiohttp + wechatpy)", echo),
        ("minyi serve (PostgreSQL + Redis)", full),
    ):
        print(
            f"{name:<34}{row['per_second']:>9.0f}{row['p50_ms']:>9.1f}{row['p99_ms']:>9.1f}"
            f"{row['max_ms']:>9.1f}{row['errors']:>8.0f}"
        )
        if row["first_error"]:
            print(f"  first error: {row['first_error']}")
    ratio = full["per_second"] / echo["per_second"]
    print(
        f"throughput ratio minyi/echo: {ratio:.1%} (target >= 25%); "
        f"minyi p99 {full['p99_ms']:.1f} ms (target < 50 ms)"
    )
    if burst:
        print(
            f"burst: {burst['messages']:.0f} residents at once -> missed 5 s: {burst['missed_5s']:.0f}, "
            f"failed: {burst['failed']:.0f}, p99 {burst['p99_ms']:.0f} ms, max {burst['max_ms']:.0f} ms"
        )


if __name__ == "__main__":
    asyncio.run(main())
