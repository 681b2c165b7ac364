"""Similar-complaint matcher: cosine similarity over character bigrams.

Bigrams are weighted by sublinear term frequency only. IDF is deliberately not used: when many
residents report the same problem, its words become common in the index, and IDF would push
exactly those reports apart.

Residents who report the same broken lamp or the same smoky barbecue rarely use the same
words ("路灯不亮了" / "那里黑黢黢的，灯坏了"): their bigram cosine is often 0.1-0.4. When a query
names its topics (the routing rules its words fired) and an open slip shares one, the two are
about the same kind of problem in the same area, and the score is 0.5 + cosine / 2 — provided
they share at least ``topic_floor`` of their text, so that two noise complaints with nothing
else in common (a bar, a building site) stay apart. Triage compares texts with their place
names blanked out: two slips of one area share those names whatever their problem
("建新北路小区门口路面有个大坑" and "建新北路小区门口井盖丢了" scored 0.55 on them).

Pure and in memory: the caller supplies the items (open slips) and removes them when they
close. ``SimilarityIndex`` answers "which open slips in this area, since then, say the same
thing?"; ``RecentSlipsMatcher`` does the same over any RecentOpenSlips source (the DB-backed
slip store) without keeping an index.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from knowledge.matching import normalize
from knowledge.ports import OpenSlip, RecentOpenSlips

_KEEP = re.compile(r"[\u4e00-\u9fff0-9a-z]+")
# Bigrams that occur in almost every complaint and say nothing about the problem.
_STOP = frozenset(
    re.findall(
        r"\S+",
        """我们 你们 他们 一个 这个 那个 什么 没有 已经 现在 希望 问题 反映 请问 谢谢 领导 相关
        部门 政府 尽快 处理 解决 我家 我的 你好 您好 麻烦 一下 的是 了我 是不 不是 就是 还是 但是
        因为 所以 如果 可以 这样 时候 一直 非常 严重 影响 生活 居民 小区 附近 这里 那里""",
    )
)


def shingles(text: str) -> Counter[str]:
    """Character bigrams of the words in ``text`` (punctuation and spaces dropped)."""
    grams: Counter[str] = Counter()
    for run in _KEEP.findall(normalize(text)):
        if len(run) == 1:
            continue
        for i in range(len(run) - 1):
            gram = run[i:i + 2]
            if gram not in _STOP:
                grams[gram] += 1
    return grams


@dataclass(frozen=True)
class Vector:
    """A text's bigrams weighted by sublinear term frequency, with its norm: computed once
    per text, compared with every query."""

    weights: dict[str, float]
    norm: float
    topics: frozenset[str] = frozenset()

    @classmethod
    def of(cls, text: str, topics: frozenset[str] = frozenset()) -> Vector:
        weights = {g: 1.0 + math.log(c) for g, c in shingles(text).items()}
        return cls(weights, math.sqrt(sum(w * w for w in weights.values())), frozenset(topics))

    def score(self, other: Vector, topic_floor: float) -> float:
        """Bigram cosine, raised for a pair about one topic (the module's docstring); 0 when
        no bigram is shared."""
        if not (self.norm and other.norm):
            return 0.0
        small, large = sorted((self.weights, other.weights), key=len)
        dot = sum(w * large[g] for g, w in small.items() if g in large)
        if not dot:
            return 0.0
        return combined_score(dot / (self.norm * other.norm),
                              not self.topics.isdisjoint(other.topics), topic_floor)


@dataclass
class _Item:
    key: str
    vector: Vector
    area_code: str | None
    created_at: dt.datetime


def combined_score(text_score: float, shared_topic: bool, topic_floor: float) -> float:
    """A pair's similarity from its bigram cosine and whether both are about one topic."""
    if shared_topic and text_score >= topic_floor:
        return 0.5 + text_score / 2
    return text_score


def _ranked(scored: list[tuple[str, float]], limit: int) -> list[tuple[str, float]]:
    scored.sort(key=lambda kv: (-kv[1], kv[0]))
    return scored[:limit]


class SimilarityIndex:
    """Open slips kept in memory for similarity queries.

    ``parents`` maps a community code to its street code, so that a query for a street finds
    the slips of its communities and the other way round (see area_parents()).
    """

    def __init__(self, parents: Mapping[str, str] | None = None, *,
                 topic_floor: float = 0.1) -> None:
        self._parents = dict(parents or {})
        self._topic_floor = topic_floor
        self._items: dict[str, _Item] = {}
        self._postings: dict[str, set[str]] = {}  # bigram -> keys

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def add(self, key: str, text: str, area_code: str | None, created_at: dt.datetime,
            topics: frozenset[str] = frozenset()) -> None:
        """Add (or replace) an open slip; ``topics``: the routing rules its words fire."""
        self.remove(key)
        item = _Item(key, Vector.of(text, topics), area_code, created_at)
        self._items[key] = item
        for gram in item.vector.weights:
            self._postings.setdefault(gram, set()).add(key)

    def remove(self, key: str) -> bool:
        """Forget a slip (it closed); True when it was there."""
        item = self._items.pop(key, None)
        if item is None:
            return False
        for gram in item.vector.weights:
            keys = self._postings.get(gram)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._postings[gram]
        return True

    def query(
        self,
        text: str,
        area_code: str | None = None,
        since: dt.datetime | None = None,
        limit: int = 10,
        min_score: float = 0.0,
        *,
        topics: frozenset[str] = frozenset(),
    ) -> list[tuple[str, float]]:
        """Open slips like ``text``: same area (if given), created at or after ``since``.
        ``topics``: the routing rules ``text`` fires (see the module's docstring)."""
        query = Vector.of(text, topics)
        candidates: set[str] = set()
        for gram in query.weights:
            candidates |= self._postings.get(gram, set())
        scored: list[tuple[str, float]] = []
        for key in candidates:
            item = self._items[key]
            if area_code is not None and not self._same_area(item.area_code, area_code):
                continue
            if since is not None and item.created_at < since:
                continue
            score = query.score(item.vector, self._topic_floor)
            if score >= min_score and score > 0:
                scored.append((key, round(score, 4)))
        return _ranked(scored, limit)

    def _same_area(self, item_area: str | None, wanted: str) -> bool:
        if item_area is None:
            return False
        return (item_area == wanted or self._parents.get(item_area) == wanted
                or self._parents.get(wanted) == item_area)


def area_parents(areas: object) -> dict[str, str]:
    """community code -> street code, from a pack's Areas."""
    return {c.code: c.street for c in getattr(areas, "communities", ())}


class RecentSlipsMatcher:
    """SimilarSlips over a RecentOpenSlips source (which picks the area and the window):
    scores its open slips against each query.

    ``read`` turns a slip's text into what is compared: the text (place names blanked, say)
    and the routing rules it fires. Its vector is remembered per slip and text, so each open
    slip is read and weighed once, not at every query (2178 open slips in one area took
    355-404 ms a query when every query rebuilt an index of them all)."""

    _MEMO_LIMIT = 100_000

    def __init__(self, source: RecentOpenSlips, *,
                 read: Callable[[str], tuple[str, frozenset[str]]] | None = None,
                 topic_floor: float = 0.1) -> None:
        self.source = source
        self._read = read
        self._topic_floor = topic_floor
        self._memo: dict[tuple[str, str], Vector] = {}

    def _vector(self, key: str, text: str) -> Vector:
        found = self._memo.get((key, text))
        if found is None:
            if len(self._memo) >= self._MEMO_LIMIT:
                self._memo.clear()
            found = self._memo[(key, text)] = (
                Vector.of(*self._read(text)) if self._read is not None else Vector.of(text))
        return found

    def __len__(self) -> int:
        """How many slip texts are weighed and remembered."""
        return len(self._memo)

    def prepare(self, slips: Iterable[OpenSlip]) -> int:
        """Weigh these open slips now, as a query would the first time it met them: the web
        process does this after loading its open slips, so that the first complaint of an
        area after a start does not read them all (2000 open slips: about half a second of a
        blocked event loop). How many were weighed."""
        count = 0
        for slip in slips:
            self._vector(slip.key, slip.text)
            count += 1
        return count

    def query(
        self,
        text: str,
        area_code: str | None = None,
        since: dt.datetime | None = None,
        limit: int = 10,
        min_score: float = 0.0,
        *,
        topics: frozenset[str] = frozenset(),
    ) -> list[tuple[str, float]]:
        since = since or dt.datetime.min.replace(tzinfo=dt.UTC)
        query = Vector.of(text, topics)
        scored: list[tuple[str, float]] = []
        for slip in self.source.recent_open_slips(area_code, since):
            if slip.created_at < since:
                continue
            score = query.score(self._vector(slip.key, slip.text), self._topic_floor)
            if score >= min_score and score > 0:
                scored.append((slip.key, round(score, 4)))
        return _ranked(scored, limit)


def index_from(slips: Iterable[object], parents: Mapping[str, str] | None = None
               ) -> SimilarityIndex:
    """Build an index from OpenSlip-like objects (key, text, area_code, created_at)."""
    index = SimilarityIndex(parents)
    for slip in slips:
        index.add(slip.key, slip.text, slip.area_code, slip.created_at)  # type: ignore[attr-defined]
    return index
