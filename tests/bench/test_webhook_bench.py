"""bench/webhook.py still runs both servers, loads them alike and reports its figures (toy
size: 8 conversations, 64 messages each, a burst of 16). Speed is not asserted."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import PG_ADMIN, REDIS_URL, REPO

pytestmark = pytest.mark.slow


def test_webhook_bench_reports_both_servers_cpu_and_the_burst(tmp_path) -> None:
    done = subprocess.run(
        [sys.executable, "bench/webhook.py", "--residents", "8", "--messages", "64",
         "--warmup", "8", "--burst", "16", "--pg", PG_ADMIN, "--redis", REDIS_URL,
         "--server-log", str(tmp_path / "servers.log")],
        cwd=REPO, capture_output=True, text=True, timeout=600, check=False,
    )
    out = done.stdout
    assert done.returncode == 0, f"exited {done.returncode}:\n{out}\n{done.stderr}"
    rows = {}
    for name in ("echo (aiohttp + wechatpy)", "minyi serve (PostgreSQL + Redis)"):
        line = next(line for line in out.splitlines() if line.startswith(name))
        rows[name] = [float(x) for x in re.findall(r"\d+(?:\.\d+)?", line[len(name):])]
    for per_second, p50, p99, worst, _errors, server_cpu, *_ in rows.values():
        assert per_second > 0 and 0 < p50 <= p99 <= worst and server_cpu > 0
    # every message got an answer of some kind, and the dialog (not only the rate limit) spoke
    tallies = re.findall(r"replies: (.*)", out)
    assert len(tallies) == 2
    counts = [{k: int(v) for k, v in re.findall(r"(\w+) (\d+)", t)} for t in tallies]
    assert sum(counts[0].values()) == sum(counts[1].values()) == 64
    assert counts[1].get("text", 0) > 0 and "too_fast" not in counts[1]
    assert re.search(r"burst: 16 residents at once -> missed 5 s: \d+, failed: \d+", out)
    assert "throughput ratio minyi/echo" in out
