"""Benchmark the shipped category classifier: load time, memory, per-message latency.

Run from the repo root:  python bench/classify.py [--data PATH] [--messages N]

Pins itself to one core. Messages are the real board texts of labeled.csv when the shared data
is there (first N), else the project-written examples. The baseline, measured in the same run
on the same messages, is a plain scikit-learn character tf-idf (1-2 grams) + LinearSVC pipeline
trained on the same data and called one message at a time.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_DATA = ROOT / ".." / "shared" / "data" / "complaints"

LOAD_PROBE = """
import time
t0 = time.perf_counter()
from knowledge.classifier import CategoryClassifier
t1 = time.perf_counter()
model = CategoryClassifier.load()
t2 = time.perf_counter()
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
print(t1 - t0, t2 - t1, rss())
"""
RSS_BEFORE_PROBE = """
import numpy
for line in open("/proc/self/status"):
    if line.startswith("VmRSS:"):
        print(int(line.split()[1]))
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(fn, messages: list[str], repeat: int, clock=time.perf_counter) -> list[float]:
    """Per-message time in ms (best of ``repeat`` runs per message, after a warm-up)."""
    for text in messages[:20]:
        fn(text)
    out = []
    for text in messages:
        best = float("inf")
        for _ in range(repeat):
            t = clock()
            fn(text)
            best = min(best, clock() - t)
        out.append(best * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

    from knowledge.classifier import MODEL_FILE, WEIGHTS_FILE, CategoryClassifier
    from knowledge.training import TrainingDataError, load_examples, load_labeled

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cold = []
    for _ in range(3):
        out = subprocess.run(
            [sys.executable, "-c", LOAD_PROBE], capture_output=True, text=True, env=env, check=True
        )
        cold.append([float(x) for x in out.stdout.split()])
    base_rss = int(
        subprocess.run(
            [sys.executable, "-c", RSS_BEFORE_PROBE], capture_output=True, text=True, check=True
        ).stdout
    )
    import_s = statistics.median(c[0] for c in cold)
    load_s = statistics.median(c[1] for c in cold)
    rss_kb = statistics.median(c[2] for c in cold)
    artefact = ROOT / "knowledge" / "model"
    # the category model's own files (the urgency model shares the folder)
    size = sum((artefact / name).stat().st_size for name in (MODEL_FILE, WEIGHTS_FILE))

    try:
        train_set = load_labeled(args.data)
        source = f"labeled.csv ({args.data})"
    except TrainingDataError:
        train_set = load_examples()
        source = "project-written examples (shared data absent)"
    messages = [m.text for m in train_set][: args.messages]

    model = CategoryClassifier.load()
    ours = timed(lambda t: model.predict(t, top_k=3), messages, args.repeat)
    explained = lambda t: model.explain(t, model.predict(t, 1)[0][0])  # noqa: E731
    ours_explain = timed(explained, messages, args.repeat)
    # CPU time of this process: what a busy machine's scheduling does not inflate.
    cpu = timed(lambda t: model.predict(t, top_k=3), messages, args.repeat, time.process_time)
    cpu_explain = timed(explained, messages, args.repeat, time.process_time)

    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    baseline = make_pipeline(
        TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True),
        LinearSVC(random_state=0),
    ).fit([m.text for m in train_set], [m.label for m in train_set])
    base = timed(lambda t: baseline.decision_function([t]), messages, args.repeat)
    cpu_base = timed(
        lambda t: baseline.decision_function([t]), messages, args.repeat, time.process_time
    )

    lengths = sorted(len(t) for t in messages)
    print(f"messages: {len(messages)} from {source}; median length {lengths[len(lengths) // 2]}")
    print(f"artefact: {size / 1e6:.2f} MB ({MODEL_FILE} + {WEIGHTS_FILE} in {artefact})")
    print(
        f"load (fresh process, median of 3): import {import_s * 1000:.0f} ms + "
        f"load {load_s * 1000:.0f} ms = {(import_s + load_s) * 1000:.0f} ms"
    )
    print(
        f"memory: process RSS {rss_kb / 1024:.1f} MB with the model loaded "
        f"({(rss_kb - base_rss) / 1024:.1f} MB over a bare numpy process)"
    )
    print(f"load average while measuring: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print("per-message latency on one core (ms)      p50      p95      max")
    for name, values in (
        ("classifier.predict(top_k=3)", ours),
        ("classifier.predict + explain", ours_explain),
        ("baseline tf-idf+LinearSVC (sklearn)", base),
        ("cpu time: predict(top_k=3)", cpu),
        ("cpu time: predict + explain", cpu_explain),
        ("cpu time: baseline", cpu_base),
    ):
        print(
            f"  {name:<38}{percentile(values, 0.5):>7.3f}  {percentile(values, 0.95):>7.3f}"
            f"  {max(values):>7.3f}"
        )
    print(
        f"ratio predict/baseline (wall): p50 {percentile(ours, 0.5) / percentile(base, 0.5):.2f}, "
        f"p95 {percentile(ours, 0.95) / percentile(base, 0.95):.2f}"
    )


if __name__ == "__main__":
    main()
