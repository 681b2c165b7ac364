"""Normalisation and the one-pass keyword matcher every rule engine relies on."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge.matching import (
    KeywordSet,
    RuleMatcher,
    RuleSpec,
    Scanner,
    clause_bounds,
    distinct_words,
    normalize,
)


def test_normalize_full_width_case_spaces_and_traditional() -> None:
    assert normalize("ＡＢＣ 煤　氣味１２，好") == "abc煤气味12,好"
    assert normalize("電梯 壞了") == "电梯坏了"
    assert normalize("①号楼") == "1号楼"  # other compatibility forms still go through NFKC


def test_every_occurrence_is_found_nested_and_overlapping() -> None:
    words = KeywordSet([("煤气", "a"), ("煤气味", "b"), ("气味", "c"), ("he", 1), ("she", 2),
                        ("hers", 3)])
    hits = {(h.word, h.start, h.payload) for h in words.find(normalize("屋里有股煤气味 ushers"))}
    assert hits == {("煤气", 4, "a"), ("煤气味", 4, "b"), ("气味", 5, "c"), ("she", 8, 2),
                    ("he", 9, 1), ("hers", 9, 3)}


ALPHABET = "煤气味漏水电灯坏了ab"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(ALPHABET, min_size=1, max_size=4), min_size=1, max_size=12),
       st.text(ALPHABET, max_size=40))
def test_matches_brute_force(words: list[str], text: str) -> None:
    found = {(h.word, h.start) for h in KeywordSet((w, i) for i, w in enumerate(words)).find(text)}
    expected = {(w, i) for w in set(words) for i in range(len(text)) if text.startswith(w, i)}
    assert found == expected


def test_rule_matcher_unless_ignore_and_maximal() -> None:
    rules = [RuleSpec(("跳楼",), unless=("跳楼价",)), RuleSpec(("流浪",)), RuleSpec(("流浪狗",)),
             RuleSpec(("打扰",))]
    plain = RuleMatcher(rules, ignore=("被打扰",))
    assert [h.word for h in plain.find("跳楼价大甩卖")] == []
    assert [h.word for h in plain.find("他说要跳楼")] == ["跳楼"]
    assert [h.word for h in plain.find("被打扰了")] == []
    assert {h.word for h in plain.find("流浪狗")} == {"流浪", "流浪狗"}
    maximal = RuleMatcher(rules, maximal=True)
    assert [h.word for h in maximal.find("流浪狗")] == ["流浪狗"]


def test_scanner_gives_each_set_its_own_hits() -> None:
    first = KeywordSet([("路灯", 1)])
    second = KeywordSet([("灯坏", "x"), ("坏了", "y")])
    text = normalize("路灯坏了")
    scan = Scanner([first, second]).scan(text)
    assert first.find(text, scan) == first.find(text)
    assert {(h.word, h.payload) for h in second.find(text, scan)} == {("灯坏", "x"), ("坏了", "y")}
    # a scan of another text is not reused
    assert first.find("没有", scan) == []


def test_a_blanked_scan_is_the_scan_of_the_blanked_text() -> None:
    """Triage blanks place names ("土地" in 红土地小区) and reuses the scan, not scanning again."""
    places = KeywordSet([("红土地", "place"), ("土地", "topic"), ("煤气", "gas"), ("气味", "smell")])
    scanner = Scanner([places])
    text = normalize("红土地小区有煤气味，土地被占")
    for spans in ([(0, 3)], [(0, 3), (7, 9)], []):
        chars = list(text)
        for start, end in spans:
            chars[start:end] = "_" * (end - start)
        masked = "".join(chars)
        blanked = scanner.scan(text).blanked(masked, spans)
        assert places.find(masked, blanked) == places.find(masked)


def test_clause_bounds_and_distinct_words() -> None:
    text = "楼下着火了,已经扑灭了"
    assert clause_bounds(text, 2) == (0, 5)
    assert clause_bounds(text, 8) == (6, len(text))
    assert distinct_words(["煤气", "煤气味", "煤气", "漏气"]) == ("煤气味", "漏气")
