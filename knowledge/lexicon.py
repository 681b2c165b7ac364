"""Words for the category classifier, mined from unlabelled messages, and a segmenter over them.

A character bigram cannot tell 物业费 from 物业 + 费用 or 公积金 from 积金; words can. jieba
would do, but its dictionary takes seconds to load and its segmentation milliseconds, past the
classifier's budgets. Instead the words are mined once, at training time, from the message
board's unlabelled letters (no labels are used, so cross-validation stays honest):

- a candidate is a run of 2-4 Chinese characters seen at least ``min_count`` times;
- its cohesion is the smallest pointwise mutual information over the ways to split it in two
  (``log p(w) / (p(a) p(b))``): high when the parts seldom occur apart;
- its freedom is the smaller of the entropies of the characters seen just before and just after
  it: a fragment of a longer word always has the same neighbour.

The words ship inside the classifier's artefact; ``segment`` cuts a text by forward maximum
matching over them (words indexed by their first two characters: one dict look-up at most
positions), emitting words of two or more characters only: single characters are already the
character block's features.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

_HAN_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")


@dataclass(frozen=True)
class MiningSettings:
    min_count: int = 5
    min_cohesion: float = 4.0  # natural log
    min_freedom: float = 1.5  # nats
    max_len: int = 4


def han_runs(text: str) -> list[str]:
    """The runs of two or more Chinese characters in a text."""
    return _HAN_RUN.findall(text)


def mine_words(texts: Iterable[str], settings: MiningSettings = MiningSettings()) -> list[str]:
    """Words of 2..max_len characters found in ``texts``, sorted (same input, same list)."""
    top = settings.max_len + 1  # neighbours of the longest candidates need one more character
    counts: list[Counter[str]] = [Counter() for _ in range(top + 1)]
    for text in texts:
        for run in han_runs(text):
            size = len(run)
            for n in range(1, min(top, size) + 1):
                counts[n].update(run[i : i + n] for i in range(size - n + 1))
    totals = [max(sum(c.values()), 1) for c in counts]
    candidates: dict[str, float] = {}
    for n in range(2, settings.max_len + 1):
        for word, count in counts[n].items():
            if count < settings.min_count:
                continue
            log_p = math.log(count / totals[n])
            cohesion = min(
                log_p
                - math.log(counts[k][word[:k]] / totals[k])
                - math.log(counts[n - k][word[k:]] / totals[n - k])
                for k in range(1, n)
            )
            if cohesion >= settings.min_cohesion:
                candidates[word] = cohesion
    left: dict[str, Counter[str]] = defaultdict(Counter)
    right: dict[str, Counter[str]] = defaultdict(Counter)
    for n in range(3, top + 1):
        for gram, count in counts[n].items():
            if gram[1:] in candidates:
                left[gram[1:]][gram[0]] += count
            if gram[:-1] in candidates:
                right[gram[:-1]][gram[-1]] += count
    return sorted(
        word
        for word in candidates
        if min(_entropy(left[word]), _entropy(right[word])) >= settings.min_freedom
    )


def _entropy(neighbours: Counter[str]) -> float:
    total = sum(neighbours.values())
    if not total:
        return 0.0
    return -sum(c / total * math.log(c / total) for c in neighbours.values())


class Segmenter:
    """Forward maximum matching over a word list; yields only the words found (2+ characters).

    Words are indexed by their first two characters: at most positions of a text no word
    starts, and one dict look-up says so (a third of the time of trying every length)."""

    def __init__(self, words: Iterable[str]) -> None:
        self.words = frozenset(w for w in words if len(w) >= 2)
        lengths: dict[str, set[int]] = defaultdict(set)
        for word in self.words:
            lengths[word[:2]].add(len(word))
        self._starts = {p: tuple(sorted(n, reverse=True)) for p, n in lengths.items()}

    def segment(self, text: str) -> list[str]:
        found: list[str] = []
        if not self.words:
            return found
        words, starts = self.words, self._starts
        for run in han_runs(text):
            i, size = 0, len(run)
            while i < size - 1:
                for n in starts.get(run[i : i + 2], ()):
                    if i + n <= size and (n == 2 or run[i : i + n] in words):
                        found.append(run[i : i + n])
                        i += n
                        break
                else:
                    i += 1
        return found
