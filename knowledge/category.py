"""Category path: the classifier's first-level probabilities, refined by sub-class keywords.

The classifier knows the 15 first-level classes; the taxonomy's keywords know the sub-classes
(路灯, 物业管理/电梯 …). Each keyword-matched node scores its class's probability plus
``weight × strength`` of its keywords; the best node gives the path. Without a keyword match the
path is just the classifier's best class.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from knowledge.matching import KeywordSet, Prescan, RuleMatcher, RuleSpec, distinct_words
from knowledge.records import Taxonomy


def keyword_weight(word: str) -> float:
    """Longer keywords are more specific: 1 char 0.25, 2 chars 0.5, 3 chars 0.75, 4+ 1.0."""
    return min(1.0, 0.25 * len(word))


@dataclass(frozen=True)
class KeywordNode:
    path: tuple[str, ...]
    words: tuple[str, ...]
    score: float  # keyword strength 0..1 (with half its parent's support)


@dataclass(frozen=True)
class CategoryDecision:
    path: tuple[str, ...]
    confidence: float
    top: tuple[tuple[str, float], ...]  # classifier's best first-level classes
    keyword_nodes: tuple[KeywordNode, ...]  # best keyword-matched nodes, best first


class CategoryResolver:
    def __init__(self, taxonomy: Taxonomy, keyword_weight_: float) -> None:
        self.taxonomy = taxonomy
        self.weight = keyword_weight_
        self._paths = [node.path for node in taxonomy.nodes.values() if node.keywords]
        self._matcher = RuleMatcher(
            (RuleSpec(taxonomy.nodes[p].keywords) for p in self._paths), maximal=True,
            ignore=taxonomy.ignore,
        )

    @property
    def keyword_sets(self) -> tuple[KeywordSet[Any], ...]:
        return self._matcher.keyword_sets

    def keyword_nodes(self, text: str, scan: Prescan | None = None) -> list[KeywordNode]:
        """Taxonomy nodes whose keywords occur in normalised ``text``, strongest first."""
        words: dict[tuple[str, ...], list[str]] = {}
        for hit in self._matcher.find(text, scan):
            words.setdefault(self._paths[hit.rule], []).append(hit.word)
        raw = {path: sum(keyword_weight(w) for w in set(ws)) for path, ws in words.items()}
        nodes = []
        for path, ws in words.items():
            support = raw[path] + 0.5 * sum(raw.get(path[:i], 0.0) for i in range(1, len(path)))
            strength = 1.0 - math.exp(-support)
            nodes.append(KeywordNode(path, distinct_words(ws), round(strength, 4)))
        nodes.sort(key=lambda n: (-n.score, -len(n.path), n.path))
        return nodes

    def resolve(self, text: str, predictions: list[tuple[str, float]],
                scan: Prescan | None = None) -> CategoryDecision:
        """Best path for normalised ``text`` given the classifier's (label, probability) list."""
        probs = dict(predictions)
        top = tuple((label, round(p, 4)) for label, p in predictions[:3])
        nodes = self.keyword_nodes(text, scan)
        best_label = predictions[0][0] if predictions else self.taxonomy.first_level[0]
        best_path: tuple[str, ...] = (best_label,)
        best_score = probs.get(best_label, 0.0)
        best_strength = 0.0
        for node in nodes:
            score = probs.get(node.path[0], 0.0) + self.weight * node.score
            if score > best_score + 1e-9:
                best_path, best_score, best_strength = node.path, score, node.score
        p = probs.get(best_path[0], 0.0)
        confidence = 1.0 - (1.0 - p) * (1.0 - 0.7 * best_strength)
        return CategoryDecision(best_path, round(confidence, 4), top, tuple(nodes[:5]))
