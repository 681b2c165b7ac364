"""Request type, complexity, collective markers and the similar-complaint matcher."""

from __future__ import annotations

import datetime as dt

import pytest

from knowledge.complexity import ComplexityAssessor
from knowledge.matching import normalize
from knowledge.pack import KnowledgePack, load_pack
from knowledge.ports import OpenSlip
from knowledge.request_types import RequestTypeAssessor
from knowledge.similarity import RecentSlipsMatcher, SimilarityIndex, area_parents, shingles
from knowledge.universality import CollectiveDetector, decide_universality, parse_count


@pytest.fixture(scope="module")
def pack() -> KnowledgePack:
    return load_pack()


# -- request type --------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [
    ("请问公租房怎么申请", "咨询"),
    ("想问一下社保断缴了怎么补", "咨询"),
    ("天然气开户需要什么材料？", "咨询"),
    ("社保怎么转移", "咨询"),  # how to get it done, without 请问 or "?"
    ("医保卡丢了怎么补办", "咨询"),
    ("办身份证要带啥子", "咨询"),  # dialect, no question mark
    ("换驾照需要准备哪些东西", "咨询"),
    ("居住证去哪点办", "咨询"),
    ("路灯坏了怎么还不修", "投诉"),
    ("求求你们帮帮我，工资拿不到怎么办", "求助"),
    ("求助：我是独居老人，腿脚不便，希望有人帮忙买菜", "求助"),
    ("救救我们家孩子吧，看不起病", "求助"),
    ("投诉楼下烧烤店油烟太大", "投诉"),
    ("路灯坏了三天了没人管", "投诉"),
    ("小区门口乱停车", "投诉"),
    ("举报建新北路有黑作坊生产地沟油", "举报"),
    ("有人在河边偷排污水，实名举报", "举报"),
    ("建议在观音桥步行街增设公厕", "建议"),
    ("希望能开通一条到寸滩的公交线路", "建议"),
])
def test_request_type(pack: KnowledgePack, text: str, expected: str) -> None:
    result = RequestTypeAssessor(pack.request_types).assess(normalize(text))
    assert result.type == expected, result.scores


def test_request_type_explains_its_words(pack: KnowledgePack) -> None:
    result = RequestTypeAssessor(pack.request_types).assess(normalize("建议增设公交站"))
    assert result.words["建议"] == ("建议", "增设")


# -- complexity ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "kwargs", "expected"), [
    ("还建房的房产证办了十年都没办下来", {}, "复杂"),
    ("拆迁补偿款一直没有到位", {}, "复杂"),
    ("这个问题是历史遗留问题", {}, "复杂"),
    ("反映了很多次都没人处理", {}, "复杂"),
    ("房子的产权一直有纠纷", {}, "复杂"),
    ("关于小区的情况", {"category": ("城乡建设", "国有土地上房屋征收与补偿")}, "复杂"),
    ("楼下的事情", {"departments": 4}, "复杂"),
    ("路灯坏了", {}, "简单"),
    ("垃圾没人清运", {}, "简单"),
    ("请问在哪里办居住证", {"request_type": "咨询"}, "简单"),
    ("路灯坏了", {"departments": 2}, "一般"),  # two departments are never 简单
    ("路灯坏了", {"universality": "群体"}, "一般"),
    ("单位不给交社保", {}, "一般"),
])
def test_complexity(pack: KnowledgePack, text: str, kwargs: dict, expected: str) -> None:
    result = ComplexityAssessor(pack.complexity).assess(normalize(text), **kwargs)
    assert result.level == expected, result.reasons
    if expected != "一般" or kwargs:
        assert result.reasons


# -- collective markers --------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [
    ("全小区停水三天了", "群体"),
    ("整栋楼的电梯都坏了", "群体"),
    ("我们30多户居民联合反映", "群体"),
    ("几十户人家的房子都开裂了", "群体"),
    ("我们工人半年没发工资", "群体"),
    ("十几个工人讨薪", "群体"),
    ("大家都被吵得睡不着", "多人"),
    ("好几户人家漏水", "多人"),
    ("我们小区门口的路灯坏了", "多人"),
    ("5户居民的水表坏了", "多人"),
    ("我家楼上漏水", "个体"),
    ("大家好，我想反映一个问题", "个体"),  # a greeting is not a crowd
    ("一家三口住在这里", "个体"),
    ("两个人在吵架", "个体"),
])
def test_collective_markers(pack: KnowledgePack, text: str, expected: str) -> None:
    assert CollectiveDetector(pack.collective).detect(normalize(text)).level == expected


@pytest.mark.parametrize(("text", "n"), [("30", 30), ("三十五", 35), ("几十", 20), ("上百", 100),
                                         ("十几", 11), ("两", 2), ("一百二十", 120), ("三十几", 30)])
def test_parse_count(text: str, n: int) -> None:
    assert parse_count(text) == n


def test_similar_open_slips_raise_universality(pack: KnowledgePack) -> None:
    signs = CollectiveDetector(pack.collective).detect(normalize("我家门口的路灯坏了"))
    assert decide_universality(signs, 0, several_similar=1, group_similar=4) == "个体"
    assert decide_universality(signs, 1, several_similar=1, group_similar=4) == "多人"
    assert decide_universality(signs, 4, several_similar=1, group_similar=4) == "群体"
    group = CollectiveDetector(pack.collective).detect(normalize("全小区停水"))
    assert decide_universality(group, 1, several_similar=1, group_similar=4) == "群体"


# -- similarity ----------------------------------------------------------------------------------
NOW = dt.datetime(2026, 11, 25, 12, tzinfo=dt.UTC)


@pytest.fixture
def index(pack: KnowledgePack) -> SimilarityIndex:
    ix = SimilarityIndex(area_parents(pack.areas))
    ix.add("JB1", "嘉陵一村3栋门口的路灯坏了好几天了", "GYQ-JLYC", NOW - dt.timedelta(days=2))
    ix.add("JB2", "小区门口路灯坏了，晚上黑漆漆的", "GYQ", NOW - dt.timedelta(days=1))
    ix.add("JB3", "楼上装修噪音太大，周末也不停", "GYQ", NOW - dt.timedelta(days=1))
    ix.add("JB4", "路灯坏了", "WLD", NOW - dt.timedelta(days=1))
    ix.add("JB5", "门口路灯坏了很久", "GYQ", NOW - dt.timedelta(days=90))
    return ix


def test_similar_slips_in_the_same_area(index: SimilarityIndex) -> None:
    found = index.query("我们小区门口的路灯坏了", area_code="GYQ", since=NOW - dt.timedelta(days=30))
    keys = [k for k, _ in found]
    assert set(keys) == {"JB1", "JB2"}  # not the noise, not WLD, not the 90-day-old one
    assert all(0 < s <= 1 for _, s in found)
    assert found == sorted(found, key=lambda kv: -kv[1])


def test_community_and_street_see_each_other(index: SimilarityIndex) -> None:
    keys = {k for k, _ in index.query("路灯坏了", area_code="GYQ-JLYC")}
    assert {"JB1", "JB2"} <= keys and "JB4" not in keys


def test_removed_slips_are_gone(index: SimilarityIndex) -> None:
    assert index.remove("JB2") is True
    assert index.remove("JB2") is False
    assert "JB2" not in {k for k, _ in index.query("路灯坏了", area_code="GYQ")}
    assert len(index) == 4


def test_identical_text_scores_one(index: SimilarityIndex) -> None:
    found = dict(index.query("楼上装修噪音太大，周末也不停"))
    assert found["JB3"] == pytest.approx(1.0)


def test_unrelated_text_finds_nothing(index: SimilarityIndex) -> None:
    assert index.query("医保报销比例", area_code="GYQ") == []
    assert index.query("", area_code="GYQ") == []


def test_shingles_ignore_punctuation_and_filler() -> None:
    grams = shingles("路灯，坏了！我们")
    assert "路灯" in grams and "坏了" in grams
    assert "我们" not in grams and "灯，" not in grams


def test_matcher_over_a_recent_open_slips_source(pack: KnowledgePack) -> None:
    class Store:
        def __init__(self) -> None:
            self.calls: list[tuple[str | None, dt.datetime]] = []

        def recent_open_slips(self, area_code, since):
            self.calls.append((area_code, since))
            return [OpenSlip("JB9", "小区门口路灯坏了", "GYQ", NOW - dt.timedelta(days=1)),
                    OpenSlip("JB8", "楼上装修太吵", "GYQ", NOW - dt.timedelta(days=1))]

    store = Store()
    matcher = RecentSlipsMatcher(store)
    since = NOW - dt.timedelta(days=30)
    found = matcher.query("我们小区门口的路灯坏了", area_code="GYQ", since=since)
    assert [k for k, _ in found] == ["JB9"]
    assert store.calls == [("GYQ", since)]
