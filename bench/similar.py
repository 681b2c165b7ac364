"""Benchmark the similar-slip search (普遍性) that triage runs for every complaint with a place.

Run from the repo root:  python bench/similar.py [--data PATH] [--open N] [--queries N]

N open slips in one area (the real board texts of labeled.csv when the shared data is there,
else the project-written examples), then complaints of that area classified one at a time.
Printed: the first complaint when the open slips were not weighed before (it reads every one),
the time a web process spends weighing them in the background after its start
(bot.app.prepare_similar) and the first complaint after that, the median and p95 of the next
ones, and, as the baseline in the same run, the way it was done before 1b613c9: an index of
every open slip of the area built at every query.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_DATA = ROOT / ".." / "shared" / "data" / "complaints"

from knowledge.ports import OpenSlip  # noqa: E402
from knowledge.similarity import SimilarityIndex  # noqa: E402
from knowledge.triage import load_default_triage  # noqa: E402

NOW = dt.datetime(2026, 11, 25, 12, tzinfo=dt.UTC)
QUERIES = ["建新北路12号门口路灯坏了三天了", "观音桥这边的下水道堵了，污水流到路上",
           "楼下烧烤店油烟太大，窗户都不敢开", "小区门口井盖丢了，晚上很危险"]


def texts(data: Path, n: int) -> list[str]:
    path = data / "labeled.csv"
    if path.exists():
        with path.open(encoding="utf-8") as f:
            found = [row["text"][:400] for row in csv.DictReader(f)]
    else:
        import yaml
        examples = yaml.safe_load((ROOT / "knowledge" / "data" / "category_examples.yaml")
                                  .read_text(encoding="utf-8"))
        found = [str(t) for items in examples["categories"].values() for t in items]
    return [found[i % len(found)] for i in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--open", type=int, default=2000, help="open slips in the area")
    parser.add_argument("--queries", type=int, default=20)
    args = parser.parse_args()

    slips = [OpenSlip(f"JB{i:05d}", t, "GYQ", NOW - dt.timedelta(days=1))
             for i, t in enumerate(texts(args.data, args.open))]

    class Store:
        def recent_open_slips(self, area_code, since):  # noqa: ANN001, ANN202
            return slips

    # as a web process does after its start (bot.app.prepare_similar): the open slips weighed
    # in the background, then the first complaint
    warmed = load_default_triage(similar_source=Store())
    warmed.classify("小区门口的路灯坏了三天了")  # no place: the classifier's own first use, as at a start
    t0 = time.perf_counter()
    warmed.similar_source.prepare(slips)
    prepared = (time.perf_counter() - t0) * 1000
    t0 = time.perf_counter()
    warmed.classify(QUERIES[0], area="GYQ", now=NOW)
    first_warmed = (time.perf_counter() - t0) * 1000

    triage = load_default_triage(similar_source=Store())
    triage.classify("小区门口的路灯坏了三天了")
    t0 = time.perf_counter()
    triage.classify(QUERIES[0], area="GYQ", now=NOW)
    first = (time.perf_counter() - t0) * 1000
    timed = []
    for i in range(args.queries):
        t0 = time.perf_counter()
        triage.classify(QUERIES[i % len(QUERIES)], area="GYQ", now=NOW)
        timed.append((time.perf_counter() - t0) * 1000)

    # the baseline: an index of every open slip built for each query, as before 1b613c9 (the
    # texts already read: only the search is timed, which favours the baseline)
    read = [(slip, *triage.compared(slip.text)) for slip in slips]
    rebuilt = []
    for i in range(max(3, args.queries // 4)):
        text, topics = triage.compared(QUERIES[i % len(QUERIES)])
        t0 = time.perf_counter()
        index = SimilarityIndex()
        for slip, compared, its_topics in read:
            index.add(slip.key, compared, slip.area_code, slip.created_at, its_topics)
        index.query(text, topics=topics)
        rebuilt.append((time.perf_counter() - t0) * 1000)

    def p95(values: list[float]) -> float:
        return sorted(values)[max(0, round(0.95 * len(values)) - 1)]

    print(f"open slips in the area: {len(slips)}; complaints classified: {len(timed)}")
    print(f"first complaint, open slips not weighed before (reads them all): {first:.1f} ms")
    print(f"weighing them in the background after a start: {prepared:.1f} ms in all; "
          f"first complaint after that: {first_warmed:.1f} ms")
    print(f"triage.classify with the similar-slip search  median {statistics.median(timed):.1f}"
          f"  p95 {p95(timed):.1f} ms")
    base = statistics.median(rebuilt)
    print(f"baseline: index rebuilt for each query          median {base:.1f}"
          f"  p95 {p95(rebuilt):.1f} ms (search only)")
    print(f"ratio median classify / baseline search: {statistics.median(timed) / base:.3f}")


if __name__ == "__main__":
    main()
