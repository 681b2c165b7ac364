"""Text normalisation and one-pass multi-word matching shared by the rule engines.

Rules are matched on normalised text: NFKC (full-width letters and digits become ASCII), lower
case, no whitespace, and a small traditional-to-simplified map for the characters that matter in
complaints. Literal keywords are found with an Aho-Corasick automaton, so the cost of a message
does not grow with the number of keywords.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")

# Traditional forms of characters used by the rules (residents sometimes type them).
_TRAD = str.maketrans(
    "氣電燒煙樓殺塌漏淹緊險災傷救蟲們軟體東車貓狗聲吵鬧閒錢糧醫藥學買賣問題專區街鎮會"
    "計劃議縣黨書記與麼個這裡麵為處辦極點燈壞線斷熱溫並帶門開關齊應該說話聽見視覺業務費員"
    "垃圾圍牆臺鄰頭戶發報舉訴諮詢幫樂濕髒亂賬號網絡實際嚴重齡養護孫兒孩還沒無漲價剛經過後",
    "气电烧烟楼杀塌漏淹紧险灾伤救虫们软体东车猫狗声吵闹闲钱粮医药学买卖问题专区街镇会"
    "计划议县党书记与么个这里面为处办极点灯坏线断热温并带门开关齐应该说话听见视觉业务费员"
    "垃圾围墙台邻头户发报举诉咨询帮乐湿脏乱账号网络实际严重龄养护孙儿孩还没无涨价刚经过后",
)
_SPACE = re.compile(r"[\s\u200b\u200c\u200d\ufeff]+")
CLAUSE_BREAK = re.compile(r"[，。！？；,.!?;\n、…~～]")


# Full-width ASCII (Ｕ+FF01–FF5E) and the ideographic space: the common NFKC changes, done
# by one translate() (NFKC itself is slow on long letters and is only run when still needed).
_TRAD.update({cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)})
_TRAD[0x3000] = 0x20


def normalize(text: str) -> str:
    """Return ``text`` in the form every rule is matched against."""
    text = text.translate(_TRAD).lower()
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text).lower().translate(_TRAD)
    return _SPACE.sub("", text)


def clause_bounds(text: str, pos: int) -> tuple[int, int]:
    """Start and end of the clause (between punctuation marks) that holds ``pos``."""
    start = 0
    for m in CLAUSE_BREAK.finditer(text, 0, pos):
        start = m.end()
    m = CLAUSE_BREAK.search(text, pos)
    return start, (m.start() if m else len(text))


@dataclass(frozen=True, slots=True)
class Hit(Generic[T]):
    """One occurrence of a keyword in normalised text."""

    word: str
    start: int
    end: int
    payload: T


class KeywordSet(Generic[T]):
    """Finds every occurrence of many literal keywords in one pass (Aho-Corasick).

    Each keyword carries one or more payloads (for example the rule it belongs to). Overlapping
    and nested occurrences are all reported, so ``煤气`` and ``煤气味`` both hit in ``煤气味``.
    """

    def __init__(self, entries: Iterable[tuple[str, T]]) -> None:
        self._goto: list[dict[str, int]] = [{}]
        self._fail: list[int] = [0]
        self._out: list[list[tuple[str, T]]] = [[]]
        self.entries: list[tuple[str, T]] = []  # (normalised word, payload), for Scanner
        for word, payload in entries:
            word = normalize(word)
            if not word:
                continue
            self.entries.append((word, payload))
            node = 0
            for ch in word:
                nxt = self._goto[node].get(ch)
                if nxt is None:
                    nxt = len(self._goto)
                    self._goto[node][ch] = nxt
                    self._goto.append({})
                    self._fail.append(0)
                    self._out.append([])
                node = nxt
            self._out[node].append((word, payload))
        self._build_failure_links()

    def _build_failure_links(self) -> None:
        queue = list(self._goto[0].values())
        for node in queue:  # breadth first; queue grows while iterating
            for ch, child in self._goto[node].items():
                queue.append(child)
                f = self._fail[node]
                while f and ch not in self._goto[f]:
                    f = self._fail[f]
                target = self._goto[f].get(ch, 0)
                self._fail[child] = target if target != child else 0
                self._out[child] = self._out[child] + self._out[self._fail[child]]

    def __len__(self) -> int:
        return sum(1 for out in self._out for _ in out)

    def find(self, text: str, scan: Prescan | None = None) -> list[Hit[T]]:
        """All hits in ``text`` (already normalised), in order of their end position.

        With a Prescan of the same text that covered this set, its hits are reused.
        """
        if scan is not None and scan.text == text:
            known = scan.hits_of(self)
            if known is not None:
                return known
        goto, fail, out = self._goto, self._fail, self._out
        hits: list[Hit[T]] = []
        node = 0
        for i, ch in enumerate(text):
            while node and ch not in goto[node]:
                node = fail[node]
            node = goto[node].get(ch, 0)
            if out[node]:
                end = i + 1
                for word, payload in out[node]:
                    hits.append(Hit(word, end - len(word), end, payload))
        return hits


class Prescan:
    """The hits of several KeywordSets in one text, found in a single pass by a Scanner."""

    def __init__(self, text: str, hits: dict[int, list[Hit[Any]]]) -> None:
        self.text = text
        self._hits = hits

    def hits_of(self, keywords: KeywordSet[Any]) -> list[Hit[Any]] | None:
        return self._hits.get(id(keywords))

    def blanked(self, text: str, spans: list[tuple[int, int]]) -> Prescan:
        """The scan of ``text``, this text with ``spans`` blanked out (no keyword holds the
        blank): the hits clear of every span, without scanning again. Every occurrence of
        every word is a hit, so none was hidden by a blanked one."""
        return Prescan(text, {
            key: [h for h in hits if not any(h.start < end and start < h.end
                                             for start, end in spans)]
            for key, hits in self._hits.items()
        })


class Scanner:
    """Runs many KeywordSets over a message in one pass (one automaton of all their words).

    Rule engines each own a KeywordSet; instead of each scanning the message, the caller scans
    once and passes the Prescan to them.
    """

    def __init__(self, sets: Iterable[KeywordSet[Any]]) -> None:
        self._sets = list({id(s): s for s in sets}.values())
        self._combined: KeywordSet[tuple[int, Any]] = KeywordSet(
            (word, (i, payload)) for i, s in enumerate(self._sets) for word, payload in s.entries
        )

    def scan(self, text: str) -> Prescan:
        hits: dict[int, list[Hit[Any]]] = {id(s): [] for s in self._sets}
        sets = self._sets
        for h in self._combined.find(text):
            i, payload = h.payload
            hits[id(sets[i])].append(Hit(h.word, h.start, h.end, payload))
        return Prescan(text, hits)


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Compile a rule pattern written for normalised text (raises re.error when invalid)."""
    return re.compile(pattern)


@dataclass(frozen=True, slots=True)
class RuleHit:
    """A rule's keyword or pattern found in normalised text."""

    rule: int  # index of the rule in the list the matcher was built from
    word: str  # the text that matched
    start: int
    end: int


@dataclass(frozen=True)
class RuleSpec:
    """What a matcher needs to know about one rule."""

    keywords: tuple[str, ...] = ()
    patterns: tuple[re.Pattern[str], ...] = ()
    unless: tuple[str, ...] = ()


class RuleMatcher:
    """Finds the hits of many keyword/pattern rules in one pass over a message.

    ``unless`` words (per rule) and ``ignore`` words (for all rules) cancel any hit that lies
    inside one of their occurrences ("跳楼价" cancels "跳楼"). With ``maximal`` a hit that lies
    strictly inside a longer hit of any rule is dropped too (the longer word is more specific:
    "流浪狗" over "流浪").
    """

    def __init__(self, rules: Iterable[RuleSpec], *, ignore: Iterable[str] = (),
                 maximal: bool = False) -> None:
        rules = list(rules)
        self._keywords: KeywordSet[int] = KeywordSet(
            (kw, i) for i, rule in enumerate(rules) for kw in rule.keywords
        )
        self._unless: KeywordSet[int | None] = KeywordSet(
            [(w, i) for i, rule in enumerate(rules) for w in rule.unless]
            + [(w, None) for w in ignore]
        )
        self._patterns = [(i, p) for i, rule in enumerate(rules) for p in rule.patterns]
        self._maximal = maximal

    @property
    def keyword_sets(self) -> tuple[KeywordSet[Any], ...]:
        return (self._keywords, self._unless)

    def find(self, text: str, scan: Prescan | None = None) -> list[RuleHit]:
        """All hits in normalised ``text``, ordered by position."""
        hits = [RuleHit(h.payload, h.word, h.start, h.end)
                for h in self._keywords.find(text, scan)]
        for i, pattern in self._patterns:
            hits.extend(
                RuleHit(i, m.group(0), m.start(), m.end())
                for m in pattern.finditer(text)
                if m.end() > m.start()
            )
        if not hits:
            return hits
        unless = self._unless.find(text, scan)
        if unless:
            hits = [h for h in hits if not any(
                (u.payload is None or u.payload == h.rule)
                and u.start <= h.start and h.end <= u.end
                for u in unless
            )]
        hits.sort(key=lambda h: (h.start, -h.end, h.rule))
        if self._maximal:
            hits = _maximal(hits)
        return hits


def _maximal(hits: list[RuleHit]) -> list[RuleHit]:
    """Drop hits lying strictly inside a longer hit; ``hits`` sorted by (start, -end)."""
    kept: list[RuleHit] = []
    reach = -1  # the farthest end of any hit starting before the current start
    i = 0
    while i < len(hits):
        start, longest = hits[i].start, hits[i].end
        j = i
        while j < len(hits) and hits[j].start == start:
            h = hits[j]
            if h.end > reach and h.end == longest:
                kept.append(h)
            j += 1
        reach = max(reach, longest)
        i = j
    return kept


def distinct_words(words: Iterable[str]) -> tuple[str, ...]:
    """Words in first-seen order without repeats or words contained in a longer one listed."""
    unique = list(dict.fromkeys(words))
    return tuple(w for w in unique if not any(w != o and w in o for o in unique))
