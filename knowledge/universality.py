"""Universality (普遍性程度): 个体 / 多人 / 群体, from collective markers and similar open slips."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from knowledge.matching import KeywordSet, Prescan, distinct_words
from knowledge.records import CollectiveMarkers

_RANK = {"个体": 0, "多人": 1, "群体": 2}
_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
           "八": 8, "九": 9}
_NUMBER = r"(?:\d+|上百|上千|成百|好几十|好几百|几十|几百|十几|好几|[零一二两三四五六七八九十百千几]+)"


def parse_count(text: str) -> int | None:
    """A small Chinese or Arabic count ("30", "三十五", "几十", "上百") as a lower estimate."""
    if text.isdigit():
        return int(text)
    fixed = {"上百": 100, "上千": 1000, "成百": 100, "好几十": 30, "好几百": 300, "几十": 20,
             "几百": 200, "十几": 11, "好几": 3, "几": 3}
    if text in fixed:
        return fixed[text]
    text = text.replace("几", "")  # "三十几" -> at least 三十
    total, current = 0, 0
    for ch in text:
        if ch in _DIGITS:
            current = _DIGITS[ch]
        elif ch in "十百千":
            unit = {"十": 10, "百": 100, "千": 1000}[ch]
            total += (current or 1) * unit
            current = 0
        else:
            return None
    total += current
    return total or None


@dataclass(frozen=True)
class CollectiveSigns:
    level: str  # 个体 / 多人 / 群体 as the words alone say
    words: tuple[str, ...]
    count: int | None  # the largest head count mentioned ("几十户" -> 20)


class CollectiveDetector:
    def __init__(self, markers: CollectiveMarkers) -> None:
        self.markers = markers
        self._words = KeywordSet(
            [(w, "群体") for w in markers.group] + [(w, "多人") for w in markers.several]
        )
        units = "|".join(re.escape(u) for u in sorted(markers.units, key=len, reverse=True))
        self._count = re.compile(f"({_NUMBER})(?:多|余|来)?(?:{units})")

    @property
    def keyword_sets(self) -> tuple[KeywordSet[Any], ...]:
        return (self._words,)

    def detect(self, text: str, scan: Prescan | None = None) -> CollectiveSigns:
        """Collective signs in normalised ``text``."""
        level, words = "个体", []
        for hit in self._words.find(text, scan):
            words.append(hit.word)
            if _RANK[hit.payload] > _RANK[level]:
                level = hit.payload
        count = None
        for m in self._count.finditer(text):
            n = parse_count(m.group(1))
            if n is None:
                continue
            count = max(count or 0, n)
            if n >= self.markers.several_count:
                words.append(m.group(0))
                found = "群体" if n >= self.markers.group_count else "多人"
                if _RANK[found] > _RANK[level]:
                    level = found
        return CollectiveSigns(level, distinct_words(words), count)


def decide_universality(signs: CollectiveSigns, similar: int, *, several_similar: int,
                        group_similar: int) -> str:
    """Combine the words with the number of similar open slips in the same area."""
    level = signs.level
    if similar >= group_similar:
        level = "群体"
    elif similar >= several_similar and _RANK[level] < _RANK["多人"]:
        level = "多人"
    return level
