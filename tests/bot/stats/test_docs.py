"""docs/statistics.md quotes the definitions the code computes, word for word."""

from __future__ import annotations

from pathlib import Path

from bot.stats.measures import MEASURES, PERIOD_RULE

DOC = Path(__file__).resolve().parents[3] / "docs" / "statistics.md"


def test_the_docs_quote_every_definition() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert PERIOD_RULE in text
    for m in MEASURES:
        assert f"| {m.label} | {m.unit} | {m.definition} |" in text, m.code
