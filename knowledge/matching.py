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
from typing import Generic, TypeVar

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


def normalize(text: str) -> str:
    """Return ``text`` in the form every rule is matched against."""
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
        for word, payload in entries:
            word = normalize(word)
            if not word:
                continue
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

    def find(self, text: str) -> list[Hit[T]]:
        """All hits in ``text`` (already normalised), in order of their end position."""
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


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Compile a rule pattern written for normalised text (raises re.error when invalid)."""
    return re.compile(pattern)
