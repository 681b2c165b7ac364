"""Every benchmark script still runs and prints its figures (at toy sizes, so CI stays short).

The full-size runs are `bash scripts/bench.sh`; speed is never asserted here, only that each
script finishes, measures what it says and reports it — a benchmark that silently rotted would
otherwise be found the day someone needs its figures.
"""

from __future__ import annotations

import csv
import itertools
import re
import subprocess
import sys
import uuid

import pytest

from tests.conftest import PG_ADMIN, REPO, PgDatabases

pytestmark = pytest.mark.slow

TIMEOUT = 300


def run(*args: str, slow_exit: bool = False) -> str:
    """The script's output; it must exit 0, or (`slow_exit`) with the number of queries it
    reports as missing their target — a speed this test does not judge."""
    done = subprocess.run(
        [sys.executable, *args], cwd=REPO, capture_output=True, text=True, timeout=TIMEOUT,
        check=False,
    )
    expected = 0
    if slow_exit and (missed := re.search(r"(\d+) of the measured queries missed", done.stdout)):
        expected = int(missed.group(1))
    assert done.returncode == expected, (
        f"{args} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def figures(text: str, label: str) -> list[float]:
    """The numbers on the first output line that starts with `label` (after spaces)."""
    for line in text.splitlines():
        line = line.strip()
        if line.startswith(label):
            return [float(x) for x in re.findall(r"\d+(?:\.\d+)?", line[len(label):])]
    raise AssertionError(f"no line starting with {label!r} in:\n{text}")


def server_url(dbname: str) -> str:
    return f"{PG_ADMIN.rsplit('/', 1)[0]}/{dbname}"


def test_classify_bench_reports_latency_against_its_baseline() -> None:
    out = run("bench/classify.py", "--messages", "40", "--repeat", "1")
    p50, p95, worst = figures(out, "classifier.predict(top_k=3)")
    assert 0 < p50 <= p95 <= worst
    assert len(figures(out, "baseline tf-idf+LinearSVC")) == 3
    assert "ratio predict/baseline" in out


def test_routing_bench_compares_departments_with_who_answered_and_its_baseline() -> None:
    out = run("bench/routing.py", "--limit", "300", "--show", "2", "--sample", "50")
    for view in ("subject and letter", "subject alone"):
        part = out.split(f"== {view}")[1]
        counted = int(re.search(r": (\d+) letters", part).group(1))
        assert counted > 20
        lead, total, _ = figures(part, "answering bureau leads")
        among, _, _ = figures(part, "answering bureau among departments")
        assert total == counted and 0 < lead <= among <= counted
        assert "baseline: the category's department alone" in part
    assert "ratio lead agreement triage/baseline" in out
    assert out.count("  miss: ") == 4  # --show 2, in each view
    left = re.search(r"== 50 random board subjects .*: to the dispatch desk or unsure (\d+)", out)
    assert left and 0 <= int(left.group(1)) <= 50


def test_urgency_bench_reports_both_layers_on_a_few_board_letters(tmp_path) -> None:
    """A few letters and subjects copied from the board's files into a temporary folder (the
    texts never enter the repo), the hold-out and project cases in full."""
    shared = REPO.parent / "shared" / "data" / "complaints"
    for name in ("labeled.csv", "unlabeled.csv"):
        with (shared / name).open(encoding="utf-8", newline="") as src:
            rows = list(itertools.islice(csv.reader(src), 40))
        with (tmp_path / name).open("w", encoding="utf-8", newline="") as dst:
            csv.writer(dst).writerows(rows)
    out = run("bench/urgency.py", "--data", str(tmp_path), "--triage", "10")
    for layer in ("== rules only", "== rules + context + model"):
        part = out.split(layer)[1]
        tp, total, _, _, _, _, ok, n, _ = figures(part, "hold-out 特急 recall")
        assert 0 < tp <= total and 0 < ok <= n
        own, cases, share = figures(part, "project cases 特急 recall")
        assert own <= cases and cases >= 80
        teji, subjects, _ = figures(part, "board subjects 特急 (short, as chat messages are):")
        assert 0 <= teji <= subjects and subjects > 20
    assert "triage.classify, cpu ms per message" in out


def test_similar_bench_reports_the_search_against_its_baseline() -> None:
    out = run("bench/similar.py", "--open", "60", "--queries", "4")
    for label in ("triage.classify with the similar-slip search", "baseline: index rebuilt"):
        median, p95 = map(float, re.search(
            re.escape(label) + r".*median ([\d.]+)\s+p95 ([\d.]+) ms", out).groups())
        assert 0 < median <= p95
    assert "ratio median classify / baseline search" in out
    weighed, first = map(float, re.search(
        r"background after a start: ([\d.]+) ms in all; first complaint after that: ([\d.]+) ms",
        out).groups())
    assert weighed > 0 and first > 0


def test_console_bench_measures_every_query_on_loaded_slips(pg_databases: PgDatabases) -> None:
    name = f"minyi_test_{uuid.uuid4().hex[:12]}"
    pg_databases.names.append(name)  # dropped at the end of the run
    out = run("bench/console.py", "--slips", "2000", "--samples", "3", "--db", name,
              "--pg", server_url("test"), slow_exit=True)
    assert "get one slip" in out and "workbench (handler)" in out
    assert re.search(r"\d+ of the measured queries missed the 150 ms p95 target", out)


def test_stats_bench_measures_dashboard_and_public_queries(pg_databases: PgDatabases) -> None:
    name = f"minyi_test_{uuid.uuid4().hex[:12]}"
    pg_databases.names.append(name)
    out = run("-m", "bench.stats", "--pg", server_url(name), "--slips", "2000", "--runs", "2")
    p50, p95, rows = figures(out, "public list, newest 20")
    assert 0 < p50 <= p95 and rows == 20
    p50, p95, rows = figures(out, "what residents said (newest 20), 180 days")
    assert 0 < p50 <= p95 and rows == 20
    assert "2,000 slips" in out
