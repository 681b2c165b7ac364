"""`minyi classify`, `minyi train`, `minyi evaluate`: the triage from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO


def add_knowledge_commands(sub: Any) -> None:
    classify = sub.add_parser(
        "classify",
        help="classify complaints: one per stdin line (text or JSON with 'text'), "
        "one JSON object per stdout line",
    )
    classify.add_argument("--config")
    classify.set_defaults(func=cmd_classify)

    train = sub.add_parser("train", help="retrain the shipped category classifier")
    train.add_argument("--data", required=True, help="labeled.csv or the folder holding it")
    train.add_argument("--out", help="where to write the artefact (default: knowledge/model/)")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument(
        "--models", choices=("category", "urgency", "all"), default="category",
        help="which artefact to rebuild: the category classifier (default), the urgency "
        "model (knowledge/model/urgency.*, a few minutes), or both")
    train.add_argument("--config")
    train.set_defaults(func=cmd_train)

    evaluate = sub.add_parser(
        "evaluate", help="cross-validate the classifier: accuracy, macro-F1, per-class F1"
    )
    evaluate.add_argument("--data", required=True, help="labeled.csv or the folder holding it")
    evaluate.add_argument("--folds", type=int, default=5)
    evaluate.add_argument("--seed", type=int, default=0)
    evaluate.add_argument("--config")
    evaluate.set_defaults(func=cmd_evaluate)


def classify_lines(lines: TextIO, out: TextIO, err: TextIO) -> int:
    """Classify each non-empty line; a line that cannot be read gets an error object on
    stdout (so outputs stay aligned with inputs) and the exit status becomes 1."""
    from knowledge.triage import load_default_triage

    triage = load_default_triage()
    status = 0
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        text, area = line, None
        if line.startswith("{"):
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                _fail(out, err, number, f"not valid JSON: {exc.msg}")
                status = 1
                continue
            if not isinstance(data, dict) or not isinstance(data.get("text"), str):
                _fail(out, err, number, "JSON input needs a string field 'text'")
                status = 1
                continue
            text = data["text"]
            area = data.get("area") if isinstance(data.get("area"), str) else None
        if not text.strip():
            _fail(out, err, number, "empty complaint text")
            status = 1
            continue
        result = triage.classify(text, area=area)
        out.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
        out.flush()
    return status


def _fail(out: TextIO, err: TextIO, number: int, reason: str) -> None:
    out.write(json.dumps({"error": reason, "line": number}, ensure_ascii=False) + "\n")
    err.write(f"minyi classify: line {number}: {reason}\n")


def cmd_classify(args: argparse.Namespace, settings: Any) -> int:
    return classify_lines(sys.stdin, sys.stdout, sys.stderr)


def cmd_train(args: argparse.Namespace, settings: Any) -> int:
    from knowledge.training import TrainingDataError, train

    if getattr(args, "models", "category") in ("urgency", "all"):
        from knowledge.errors import KnowledgeError
        from knowledge.urgency_training import train as train_urgency

        try:
            urgency = train_urgency(Path(args.data), Path(args.out) if args.out else None,
                                    seed=args.seed, log=lambda m: print(m, file=sys.stderr))
        except (KnowledgeError, FileNotFoundError) as exc:
            print(f"minyi train: {exc}", file=sys.stderr)
            return 2
        print(json.dumps({"urgency": urgency}, ensure_ascii=False, indent=2, default=str))
        if args.models == "urgency":
            return 0
    try:
        summary = train(Path(args.data), Path(args.out) if args.out else None, seed=args.seed)
    except (TrainingDataError, FileNotFoundError) as exc:
        print(f"minyi train: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(summary, ensure_ascii=False, indent=2, default=str))
    return 0


def cmd_evaluate(args: argparse.Namespace, settings: Any) -> int:
    from knowledge.training import TrainingDataError, evaluate

    try:
        report = evaluate(Path(args.data), folds=args.folds, seed=args.seed)
    except (TrainingDataError, FileNotFoundError) as exc:
        print(f"minyi evaluate: {exc}", file=sys.stderr)
        return 2
    print(report.format())
    return 0
