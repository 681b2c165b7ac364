"""Mining words from unlabelled messages and cutting texts by them (knowledge/lexicon.py)."""

from __future__ import annotations

from knowledge.lexicon import MiningSettings, Segmenter, mine_words

# a word in many contexts, and a pair of characters always followed by the same one
CONTEXTS = ("我想问{}的事", "关于{}问题", "{}太难办了", "请问{}怎么弄", "为什么{}没有",
            "他们说{}不行", "听说{}要改", "今年{}又涨")


def corpus() -> list[str]:
    return [c.format(w) for w in ("公积金", "物业费", "补习班") for c in CONTEXTS]


def test_words_are_found_and_their_fragments_are_not() -> None:
    words = mine_words(corpus(), MiningSettings(min_count=5, min_cohesion=1.0))
    assert {"公积金", "物业费", "补习班"} <= set(words)
    # 公积 is always followed by 金, 积金 always preceded by 公: fragments, not words
    assert not {"公积", "积金", "物业", "业费"} & set(words)


def test_rare_strings_are_not_words() -> None:
    assert "公积金" not in mine_words(corpus()[:4], MiningSettings(min_count=5))


def test_mining_is_deterministic_and_sorted() -> None:
    settings = MiningSettings(min_count=5, min_cohesion=1.0)
    first = mine_words(corpus(), settings)
    assert first == sorted(first) == mine_words(list(reversed(corpus())), settings)


def test_segment_takes_the_longest_word_at_each_position() -> None:
    cut = Segmenter(["公积", "公积金", "提取", "金提", "物业", "物业费"])
    assert cut.segment("公积金提取不了，物业费太高") == ["公积金", "提取", "物业费"]
    # non-Chinese characters break runs; single characters are never emitted
    assert cut.segment("物业abc公积金 提取") == ["物业", "公积金", "提取"]
    assert cut.segment("") == [] and Segmenter([]).segment("物业费") == []
    assert Segmenter(["费", "物业"]).words == frozenset({"物业"})
