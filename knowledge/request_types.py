"""Request type (诉求类型): 咨询 / 求助 / 投诉 / 举报 / 建议, by weighted words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from knowledge.matching import KeywordSet, Prescan, RuleMatcher, RuleSpec, distinct_words
from knowledge.records import RequestTypeRules


@dataclass(frozen=True)
class RequestTypeResult:
    type: str
    scores: dict[str, float]
    words: dict[str, tuple[str, ...]]  # type -> words that counted for it


class RequestTypeAssessor:
    def __init__(self, rules: RequestTypeRules) -> None:
        self.rules = rules
        self._entries = rules.entries
        self._matcher = RuleMatcher(RuleSpec(e.words, e.patterns) for e in self._entries)

    @property
    def keyword_sets(self) -> tuple[KeywordSet[Any], ...]:
        return self._matcher.keyword_sets

    def assess(self, text: str, scan: Prescan | None = None) -> RequestTypeResult:
        """Type of normalised ``text``; each distinct word counts once per entry."""
        scores: dict[str, float] = {}
        words: dict[str, list[str]] = {}
        seen: set[tuple[int, str]] = set()
        for hit in self._matcher.find(text, scan):
            if (hit.rule, hit.word) in seen:
                continue
            seen.add((hit.rule, hit.word))
            entry = self._entries[hit.rule]
            scores[entry.type] = scores.get(entry.type, 0.0) + entry.weight
            words.setdefault(entry.type, []).append(hit.word)
        if not scores:
            return RequestTypeResult(self.rules.default, {}, {})
        order = {t: i for i, t in enumerate(self.rules.order)}
        best = max(scores, key=lambda t: (scores[t], -order[t]))
        return RequestTypeResult(best, scores, {t: distinct_words(w) for t, w in words.items()})
