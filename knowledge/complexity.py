"""Complexity (解决难易程度): 简单 / 一般 / 复杂, from rules, category and the other dimensions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from knowledge.matching import KeywordSet, Prescan, RuleMatcher, RuleSpec, distinct_words
from knowledge.records import ComplexityRules


@dataclass(frozen=True)
class ComplexityResult:
    level: str
    reasons: tuple[dict[str, object], ...]  # {"rule"/"derived": …, "label": …, "words": […]}


class ComplexityAssessor:
    def __init__(self, rules: ComplexityRules) -> None:
        self.rules = rules
        self._matcher = RuleMatcher(RuleSpec(r.keywords, r.patterns) for r in rules.rules)

    @property
    def keyword_sets(self) -> tuple[KeywordSet[Any], ...]:
        return self._matcher.keyword_sets

    def assess(
        self,
        text: str,
        *,
        scan: Prescan | None = None,
        category: tuple[str, ...] = (),
        departments: int = 1,
        universality: str = "个体",
        request_type: str = "投诉",
    ) -> ComplexityResult:
        """Complexity of normalised ``text`` given what the other dimensions found."""
        matched: dict[int, list[str]] = {}
        for hit in self._matcher.find(text, scan):
            matched.setdefault(hit.rule, []).append(hit.word)
        reasons: list[dict[str, object]] = []
        for index, words in matched.items():
            rule = self.rules.rules[index]
            reasons.append({"rule": rule.id, "label": rule.label, "level": rule.level,
                            "words": list(distinct_words(words))})
        complex_reasons = [r for r in reasons if r["level"] == "复杂"]
        for path in self.rules.complex_categories:
            if tuple(category[: len(path)]) == path:
                complex_reasons.append({"derived": "category", "label": "/".join(path),
                                        "level": "复杂"})
        if departments >= self.rules.departments_complex:
            complex_reasons.append({"derived": "departments", "label": f"{departments} 个部门",
                                    "level": "复杂"})
        if complex_reasons:
            return ComplexityResult("复杂", tuple(complex_reasons))
        general: list[dict[str, object]] = []
        if departments >= self.rules.departments_general:
            general.append({"derived": "departments", "label": f"{departments} 个部门",
                            "level": "一般"})
        if self.rules.group_not_simple and universality == "群体":
            general.append({"derived": "universality", "label": "群体诉求", "level": "一般"})
        if general:
            return ComplexityResult("一般", tuple(general))
        simple = [r for r in reasons if r["level"] == "简单"]
        if self.rules.consultation_simple and request_type == "咨询":
            simple.append({"derived": "request_type", "label": "咨询", "level": "简单"})
        if simple:
            return ComplexityResult("简单", tuple(simple))
        return ComplexityResult("一般", ())
