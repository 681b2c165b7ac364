"""Urgency: the rules alone against rules + context + urgency model, on what they never saw.

Run from the repo root:  python bench/urgency.py [--data PATH] [--model DIR] [--show]

Prints, for the rules alone and for the layered urgency (knowledge/urgency_layers.py):
- 特急 recall and precision on the hold-out set (tests/knowledge/data/urgency_holdout.yaml,
  written before any tuning and never trained on), and the share of acceptable levels;
- 特急 recall on the project's own cases (tests/knowledge/test_urgency.py, which the rules were
  fitted to);
- the share of real board letters (../shared/data/complaints/*.csv, overwhelmingly not
  emergencies) that come out 特急, and which rules or layers put them there — over all of them,
  and over labeled.csv alone, whose letters the urgency model never trained on; and the share
  of their subjects (labeled.csv and unlabeled.csv: short, as chat messages are) that do;
- CPU time per message of each (one core), p50 / p95.
``--show`` lists the hold-out messages each gets wrong.
"""

from __future__ import annotations

import argparse
import collections
import csv
import os
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_DATA = ROOT / ".." / "shared" / "data" / "complaints"
HOLDOUT = ROOT / "tests" / "knowledge" / "data" / "urgency_holdout.yaml"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def holdout_figures(assess, items: list[dict]) -> dict:
    tp = fp = fn = ok = 0
    wrong = []
    for item in items:
        level = assess(item["text"]).level
        gold = item["level"] == "特急"
        tp += gold and level == "特急"
        fn += gold and level != "特急"
        fp += level == "特急" and not gold
        if level == item["level"] or level in item.get("ok", []):
            ok += 1
        else:
            wrong.append((item["level"], level, item["kind"], item["text"]))
    return {"tp": tp, "fp": fp, "fn": fn, "recall": tp / (tp + fn),
            "precision": tp / (tp + fp) if tp + fp else 1.0, "ok": ok, "n": len(items),
            "wrong": wrong}


def board_subjects(data: Path) -> list[str]:
    """The subjects of labeled.csv and unlabeled.csv (short lines, like chat messages)."""
    out: list[str] = []
    for name in ("labeled.csv", "unlabeled.csv"):
        path = data / name
        if path.exists():
            with path.open(encoding="utf-8") as fh:
                out.extend(r.get("subject") or "" for r in csv.DictReader(fh))
    return [s for s in out if s]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--model", type=Path, default=None, help="urgency artefact folder")
    parser.add_argument("--show", action="store_true", help="list the hold-out mistakes")
    parser.add_argument("--triage", type=int, default=1000, metavar="N",
                        help="time the whole triage on N board letters, with and without the "
                        "second layer (0: skip)")
    args = parser.parse_args()

    from knowledge.matching import normalize
    from knowledge.pack import load_pack
    from knowledge.urgency import UrgencyAssessor
    from knowledge.urgency_layers import LayeredUrgency
    from knowledge.urgency_training import load_letters
    from tests.knowledge.test_urgency import TEJI

    rules = load_pack().urgency
    plain = UrgencyAssessor(rules)
    layered = LayeredUrgency.shipped(rules, args.model)
    cut = 10_000  # as Triage: rules look at most this many characters
    variants = {"rules only": plain, "rules + context + model": layered}

    items = yaml.safe_load(HOLDOUT.read_text(encoding="utf-8"))["items"]
    letters = [normalize(t)[:cut] for t in load_letters(args.data)]
    subjects = [normalize(s) for s in board_subjects(args.data)]
    if not letters:
        sys.exit(f"no board letters in {args.data} (labeled.csv, unlabeled*.csv)")
    # labeled.csv letters: the urgency model never trained on them (urgency_training.py)
    unseen = {normalize(t)[:cut] for t in load_letters(args.data, ("labeled.csv",))}
    print(f"hold-out: {len(items)} messages "
          f"({sum(i['level'] == '特急' for i in items)} 特急); project cases: {len(TEJI)} 特急; "
          f"board letters: {len(letters)} from {args.data}")
    for name, assessor in variants.items():
        def assess(text: str, a=assessor):
            return a.assess(normalize(text)[:cut])

        h = holdout_figures(assess, items)
        own = sum(assess(t).level == "特急" for t, _ in TEJI)
        why: collections.Counter[str] = collections.Counter()
        teji = teji_unseen = 0
        cpu = []
        for text in letters:
            t0 = time.process_time()
            r = assessor.assess(text)
            cpu.append((time.process_time() - t0) * 1000)
            if r.level == "特急":
                teji += 1
                teji_unseen += text in unseen
                why[r.layer + ":" + ",".join(sorted({f.rule_id for f in r.findings
                                                     if f.level == "特急"}))] += 1
        short = [normalize(i["text"]) for i in items]
        cpu_short = []
        for text in short * 5:
            t0 = time.process_time()
            assessor.assess(text)
            cpu_short.append((time.process_time() - t0) * 1000)
        print(f"\n== {name}")
        print(f"hold-out 特急 recall {h['tp']}/{h['tp'] + h['fn']} = {h['recall']:.1%}, "
              f"precision {h['tp']}/{h['tp'] + h['fp']} = {h['precision']:.1%}; "
              f"acceptable level {h['ok']}/{h['n']} = {h['ok'] / h['n']:.1%}")
        print(f"project cases 特急 recall {own}/{len(TEJI)} = {own / len(TEJI):.1%}")
        print(f"board letters 特急: {teji}/{len(letters)} = {teji / len(letters):.2%}; "
              f"of labeled.csv (never trained on) {teji_unseen}/{len(unseen)} = "
              f"{teji_unseen / len(unseen):.2%}\n  (top: "
              f"{', '.join(f'{k} {v}' for k, v in why.most_common(6))})")
        subject_teji = sum(assessor.assess(s).level == "特急" for s in subjects)
        print(f"board subjects 特急 (short, as chat messages are): {subject_teji}/{len(subjects)}"
              f" = {subject_teji / max(1, len(subjects)):.2%}")
        print(f"cpu ms per message: letters p50 {percentile(cpu, 0.5):.3f} "
              f"p95 {percentile(cpu, 0.95):.3f}; hold-out messages p50 "
              f"{percentile(cpu_short, 0.5):.3f} p95 {percentile(cpu_short, 0.95):.3f}")
        if args.show:
            for gold, got, kind, text in h["wrong"]:
                print(f"   want {gold} got {got} [{kind}] {text}")
    if args.triage:
        time_triage(letters[: args.triage] + [i["text"] for i in items], rules)
    print(f"\nload average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")


def time_triage(messages: list[str], rules) -> None:
    """CPU ms per Triage.classify, one core, with the layered urgency and with the rules alone."""
    import datetime as dt

    from knowledge.triage import load_default_triage
    from knowledge.urgency import UrgencyAssessor

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    now = dt.datetime(2026, 11, 25, 10, 0)
    layered = load_default_triage()
    plain = load_default_triage()
    plain._urgency = UrgencyAssessor(rules)  # the first layer alone, as before
    print(f"\ntriage.classify, cpu ms per message on one core ({len(messages)} messages: board "
          "letters and the hold-out set), best of 3:")
    for name, triage in (("rules only", plain), ("rules + context + model", layered)):
        for text in messages[:20]:
            triage.classify(text, now=now)
        cpu = []
        for text in messages:
            best = float("inf")
            for _ in range(3):
                t0 = time.process_time()
                triage.classify(text, now=now)
                best = min(best, time.process_time() - t0)
            cpu.append(best * 1000)
        print(f"  {name:<26} p50 {percentile(cpu, 0.5):.3f}  p95 {percentile(cpu, 0.95):.3f}"
              f"  max {max(cpu):.3f}")


if __name__ == "__main__":
    main()
