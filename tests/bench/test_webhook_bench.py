"""bench/webhook.py still runs the three servers (echo, durable floor, minyi), loads them
alike, reports their figures, a paced (open-loop) rate of minyi and the burst (toy size:
8 conversations, 64 messages each, 20 paced messages, a burst of 16). Speed is not asserted."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import PG_ADMIN, REDIS_URL, REPO

pytestmark = pytest.mark.slow

ROWS = (
    "echo (aiohttp + wechatpy)",
    "durable floor (Redis + PostgreSQL)",
    "minyi serve (PostgreSQL + Redis)",
)
NUMBER = r"\d+(?:\.\d+)?"


def test_webhook_bench_reports_three_servers_cpu_a_paced_rate_and_the_burst(tmp_path) -> None:
    done = subprocess.run(
        [sys.executable, "bench/webhook.py", "--residents", "8", "--messages", "64",
         "--warmup", "8", "--burst", "16", "--rates", "20", "--paced-seconds", "1",
         "--pg", PG_ADMIN, "--redis", REDIS_URL, "--server-log", str(tmp_path / "servers.log")],
        cwd=REPO, capture_output=True, text=True, timeout=600, check=False,
    )
    out = done.stdout
    assert done.returncode == 0, f"exited {done.returncode}:\n{out}\n{done.stderr}"
    lines = out.splitlines()
    rows = {}
    for name in ROWS:
        line = next(line for line in lines if line.startswith(name))
        rows[name] = [float(x) for x in re.findall(NUMBER, line[len(name):])]
    for name, (per_second, p50, p99, worst, errors, server_cpu, *_) in rows.items():
        assert per_second > 0 and 0 < p50 <= p99 <= worst and server_cpu > 0, name
        assert errors == 0, f"{name}:\n{out}"
    # every message got an answer of some kind, and the dialog (not only the rate limit) spoke;
    # the tallies come in run order: echo, floor, minyi, then the paced rate
    tallies = re.findall(r"replies: (.*)", out)
    assert len(tallies) == 4
    echo, floor, minyi, paced = (
        {k: int(v) for k, v in re.findall(r"(\w+) (\d+)", t)} for t in tallies
    )
    assert sum(echo.values()) == sum(floor.values()) == sum(minyi.values()) == 64
    assert echo == floor == {"text": 64}
    assert minyi.get("text", 0) > 0 and "too_fast" not in minyi and "error" not in minyi
    # the paced rate: 20 messages offered at 20/s, all answered without error
    header = next(i for i, line in enumerate(lines) if line.lstrip().startswith("offered/s"))
    offered, sent, done_rate, p50, p99, worst, errors, server_cpu, *_ = (
        float(x) for x in re.findall(NUMBER, lines[header + 1])
    )
    assert offered == 20 and sent > 0 and done_rate > 0 and 0 < p50 <= p99 <= worst
    assert errors == 0 and server_cpu >= 0
    assert sum(paced.values()) == 20 and "error" not in paced and paced.get("text", 0) > 0
    assert re.search(r"burst: 16 residents at once -> missed 5 s: \d+, failed: \d+", out)
    assert "throughput ratio minyi/echo" in out
    assert re.search(rf"throughput ratio floor/echo: {NUMBER}%; minyi/floor: {NUMBER}%", out)
