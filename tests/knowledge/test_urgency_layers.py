"""Urgency in layers: rules first, then context and the urgency model (knowledge/urgency_layers.py).

The hold-out set (data/urgency_holdout.yaml) was written and committed before the rules were
run on it or the model was trained; nothing is trained on it. Its floors below are the figures
reached (bench/urgency.py prints them); the rules alone caught 41 of its 74 特急 (55 %). Caveat:
the model's extra examples were written after the rules' misses on it had been seen.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from knowledge.errors import KnowledgeError
from knowledge.matching import normalize
from knowledge.pack import load_pack
from knowledge.triage import load_default_triage
from knowledge.urgency_layers import LayeredUrgency, UrgencyContext
from knowledge.urgency_model import UrgencyModel
from tests.knowledge.test_urgency import JINJI, TEJI, YIBAN

HOLDOUT = Path(__file__).parent / "data" / "urgency_holdout.yaml"
BOARD = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "complaints"
# Reached on the hold-out set (bench/urgency.py); a change that drops below fails. 63/74 and
# 63/76 before the 11th session's retraining with everyday "有人…" messages as 一般 (see
# test_everyday_someone_is_not_an_emergency): one hold-out 特急 became 紧急, one 紧急 became
# 特急 (62/74, 62/76), for nine unseen everyday messages no longer raised (six had been 特急
# with the police to lead).
HOLDOUT_TEJI_RECALL_FLOOR = (62, 74)
HOLDOUT_TEJI_PRECISION_FLOOR = 0.83  # reached 62/76, then 62/75, 62/74 (15th session)
# Share of labeled.csv board letters (never trained on) that come out 特急: rules alone 114/2177
# (5.2 %), reached 50/2177 (2.3 %).
BOARD_TEJI_SHARE_CEILING = 0.025


@pytest.fixture(scope="module")
def urgency() -> LayeredUrgency:
    return LayeredUrgency.shipped(load_pack().urgency)


def assess(urgency: LayeredUrgency, text: str):
    return urgency.assess(normalize(text))


# -- the project's own cases keep their levels ------------------------------------------------
@pytest.mark.parametrize(("text", "lines"), TEJI, ids=[t for t, _ in TEJI])
def test_every_project_teji_case_stays_teji(urgency, text: str, lines: set[str]) -> None:
    result = assess(urgency, text)
    assert result.level == "特急", result.why
    assert lines <= set(result.calls)
    assert result.guidance


def test_project_teji_recall_is_100_percent(urgency) -> None:
    missed = [t for t, _ in TEJI if assess(urgency, t).level != "特急"]
    assert missed == []


@pytest.mark.parametrize("text", JINJI + YIBAN)
def test_project_non_teji_cases_are_not_raised_to_teji(urgency, text: str) -> None:
    assert assess(urgency, text).level != "特急"


# Written after the model raised them, never trained on (urgency_examples.yaml has other
# "有人…" nuisances): the model had learnt "小区里有人" itself as a violent incident.
EVERYDAY_SOMEONE = [
    "小区里有人乱倒建筑垃圾", "楼下有人天天在空地上跳舞", "我们小区有人在草坪上遛狗",
    "有人在小区里收废品", "街上有人摆摊卖水果", "小区里有人在楼顶种菜", "有人在广场上放风筝",
    "河边有人钓鱼", "小区里有人养野生动物",
]


@pytest.mark.parametrize("text", EVERYDAY_SOMEONE)
def test_everyday_someone_is_not_an_emergency(urgency, text: str) -> None:
    assert assess(urgency, text).level == "一般"


@pytest.mark.parametrize("text", ["小区里有人打架", "楼下有人拿刀砍人", "有人被困在电梯里",
                                  "有人要跳楼"])
def test_someone_in_danger_still_is(urgency, text: str) -> None:
    assert assess(urgency, text).level == "特急"


# -- the hold-out set ---------------------------------------------------------------------------
def test_holdout_teji_recall_and_precision_floors(urgency) -> None:
    items = yaml.safe_load(HOLDOUT.read_text(encoding="utf-8"))["items"]
    assert len(items) >= 150
    got = [(i["level"] == "特急", assess(urgency, i["text"]).level == "特急") for i in items]
    tp = sum(g and p for g, p in got)
    teji = sum(g for g, _ in got)
    predicted = sum(p for _, p in got)
    assert teji == HOLDOUT_TEJI_RECALL_FLOOR[1]
    assert tp >= HOLDOUT_TEJI_RECALL_FLOOR[0], f"特急 recall {tp}/{teji}"
    assert tp / predicted >= HOLDOUT_TEJI_PRECISION_FLOOR, f"特急 precision {tp}/{predicted}"


# -- context lowers a told danger, never a present one ------------------------------------------
@pytest.mark.parametrize("text", [
    "去年我们小区发生过火灾，消防通道到现在都没有清理",
    "去年冬天半夜的时候我们这栋楼突然发生了火灾，消防栓一直是空的，希望解决",
    "以前这里发生过山体滑坡，希望政府加固一下",
    "上次楼下燃气泄漏以后，燃气公司说要换管子，一直没有换",
    "万一着火了，这么窄的楼道根本跑不出去，请安排检查",
    "听说隔壁街道有家餐馆爆炸了，我们这条街的餐馆也用液化气罐",
])
def test_a_told_danger_is_lowered_to_jinji_with_the_reason(urgency, text: str) -> None:
    # the danger words are there: a 特急 rule fires (maybe softened by the rules themselves)
    assert any(f.rule_id in {"fire", "collapse", "gas_leak"}
               for f in urgency.rules.assess(normalize(text)).findings)
    result = assess(urgency, text)
    assert result.level == "紧急", result.why
    assert result.calls == ()
    assert all(f.level == "紧急" for f in result.findings)
    assert any(f.softened for f in result.findings)
    if result.layer == "context":  # not already softened by the rules' own 8-character window
        assert "降为紧急" in result.why


def test_context_reaches_further_than_the_rules_window(urgency) -> None:
    text = normalize("去年冬天半夜的时候我们这栋楼突然发生了火灾，消防栓一直是空的")
    assert urgency.rules.assess(text).level == "特急"
    result = urgency.assess(text)
    assert (result.level, result.layer) == ("紧急", "context")
    assert "去年" in result.why


@pytest.mark.parametrize("text", [
    "去年着过一次火，现在又着火了",
    "上次电梯就困过人，现在我又被困在电梯里了",
    "以前也漏过气，刚才又闻到好大的煤气味",
    "去年他就打过我，他正在砸门",
    "以前发生过滑坡，救命，石头还在往下滚",
    "我儿子以前说过不想活了，今天又说要跳楼",
    "去年有人在这里跳楼",  # threats to life are never second-guessed
])
def test_a_present_danger_is_never_lowered(urgency, text: str) -> None:
    result = assess(urgency, text)
    assert result.level == "特急", result.why
    assert result.layer == "rules"
    assert result.calls


def test_persisting_problem_is_not_a_present_sign(urgency) -> None:
    # "到现在都没有…" tells that a problem persists, not that the danger is happening now
    result = assess(urgency, "前年这里出过车祸撞死了人，到现在都没有装红绿灯")
    assert result.level == "紧急", result.why


def test_recent_is_not_past(urgency) -> None:
    assert assess(urgency, "十分钟前楼下着火了，烟好大").level == "特急"


# -- the model raises what the rules miss ---------------------------------------------------------
@pytest.mark.parametrize(("text", "line"), [
    ("灶台上的油锅烧起了 火好大", "119"),
    ("河里有个人在喊 好像要沉下去了", "120"),
])
def test_model_raises_an_unmatched_danger_with_lines_and_advice(urgency, text, line) -> None:
    rules_alone = urgency.rules.assess(normalize(text))
    assert rules_alone.level != "特急"  # the point of this case: the rules miss it
    result = assess(urgency, text)
    assert result.level == "特急", result.why
    assert result.layer == "model"
    assert line in result.calls
    assert result.guidance
    assert "模型" in result.why
    (finding,) = [f for f in result.findings if f.level == "特急"]
    assert finding.rule_id.startswith("model:") and finding.words


@pytest.mark.parametrize("text", ["楼上漏水把她家淹了", "楼上漏水，我家厨房淹了"])
def test_model_does_not_raise_a_flooded_flat_to_a_flood(urgency, text: str) -> None:
    """The model read a leak from upstairs as a flood with people in it (the fire brigade to
    lead); the 积水/进水 rule that fired bounds it: 紧急, and the explanation says why."""
    assert urgency.model is not None
    scores = urgency.model.scores(normalize(text))
    assert scores.danger == "flood_people"
    assert scores.teji >= urgency.model.thresholds["teji"]  # the point: the model alone would
    result = assess(urgency, text)
    assert result.level == "紧急" and not result.calls
    assert [f.rule_id for f in result.findings] == ["flooding"]
    assert "模型读作洪水/淹水" in result.why and "按紧急办理" in result.why


def test_the_model_alone_calls_no_welfare_check_without_a_sign(urgency) -> None:
    """An elder living alone with a hurt leg was 特急 with "call 110, let the police break the
    door in": the model read a welfare check with no sign that nobody answers."""
    text = "我家老汉八十几了 一个人住 最近腿摔了"
    assert urgency.model is not None
    scores = urgency.model.scores(normalize(text))
    assert scores.danger == "welfare_check" and scores.teji >= urgency.model.thresholds["teji"]
    result = assess(urgency, text)
    assert result.level == "紧急" and not result.calls, result.why


@pytest.mark.parametrize("text", ["街上那个梯坎烂了好久了 老年人走起恼火",
                                  "物业的态度让人很恼火 说了好几次都不修"])
def test_an_idiom_with_a_dangers_character_is_not_read_by_the_model(urgency, text) -> None:
    """"走起恼火" (hard going, in Chongqing speech) was a fire: 特急, "call 119"."""
    result = assess(urgency, text)
    assert result.level != "特急" and not result.calls, result.why
    assert all("火" not in w for f in result.findings for w in f.words)


def test_what_happens_every_day_is_not_a_danger_now_for_the_model(urgency) -> None:
    """"楼上的娃儿天天在屋头跑" was a missing child (特急, call 110) by the model alone."""
    result = assess(urgency, "楼上的娃儿天天在屋头跑 咚咚咚的")
    assert result.level == "紧急" and not result.calls
    assert "经常发生的情况（天天）" in result.why
    # a present word still lets the model call it
    assert assess(urgency, "灶台上的油锅烧起了 火好大").level == "特急"


def test_a_message_about_money_is_not_raised_by_the_model(urgency) -> None:
    """"天然气费又涨了" was 紧急: the model read 天然气 as gas."""
    result = assess(urgency, "天然气费又涨了")
    assert result.level == "一般" and "说的是费用" in result.why
    # a rule still fires with a fee in the message
    assert assess(urgency, "燃气费交了还是停气").level == "紧急"
    assert assess(urgency, "闻到天然气味 燃气费都交了的").level == "特急"


def test_a_flood_with_people_in_it_is_still_teji(urgency) -> None:
    result = assess(urgency, "楼上漏水把家淹了，水已经到床边了，老人出不来")
    assert result.level == "特急" and "119" in result.calls


def test_model_over_a_jinji_rule_says_the_rule_found_less(urgency) -> None:
    """The explanation named no rule ("规则未命中") when a 紧急 rule had fired."""
    result = assess(urgency, "电梯坏了 里面有人在拍门")
    assert result.level == "特急" and result.layer == "model" and "119" in result.calls
    assert "规则未命中" not in result.why
    assert "规则只判为紧急（电梯停运）" in result.why


@pytest.mark.parametrize("text", ["路面有个大坑", "路上一个大坑"])
def test_model_alone_never_calls_a_few_words_teji(urgency, text: str) -> None:
    """A pothole in six characters once came out 特急 with 'call 120' from the model alone."""
    result = assess(urgency, text)
    assert result.level != "特急" and not result.calls


def test_negated_danger_is_never_raised(urgency) -> None:
    result = assess(urgency, "没有闻到煤气味，只是想问一下燃气公司的电话")
    assert result.level != "特急"


# -- in the triage: advice and explanation --------------------------------------------------------
@pytest.fixture(scope="module")
def triage():
    return load_default_triage()


@pytest.mark.parametrize("text", [
    "楼下着火了，好大的烟",  # rules
    "灶台上的油锅烧起了 火好大",  # model
])
def test_every_teji_tells_the_resident_to_call(triage, text: str) -> None:
    result = triage.classify(text)
    assert result.urgency == "特急"
    assert result.emergency_lines
    assert any(n in result.advice for n in ("110", "119", "120"))
    assert "拨打" in result.advice
    decision = result.explanation["urgency_decision"]
    assert decision["layer"] in {"rules", "model"} and decision["why"]
    assert any("紧急程度：特急" in line and "判定" in line
               for line in result.explanation["summary"])


def test_explanation_says_context_lowered_it(triage) -> None:
    result = triage.classify("去年冬天半夜的时候我们这栋楼突然发生了火灾，消防栓一直是空的")
    assert result.urgency == "紧急"
    assert result.emergency_lines == ()
    assert "拨打" not in result.advice
    decision = result.explanation["urgency_decision"]
    assert decision["layer"] == "context"
    assert "去年" in decision["why"]
    assert decision["model"]["特急"] < 0.5
    assert result.to_dict()["explanation"]["urgency_decision"] == decision


# -- files -----------------------------------------------------------------------------------------
def test_model_artefact_matches_the_rules_and_round_trips(tmp_path, urgency) -> None:
    model = urgency.model
    assert model is not None
    assert {"一般", "紧急"} <= set(model.classes)
    assert 0.5 <= model.thresholds["teji"] < 1
    text = normalize("楼道里好大的烟")
    model.save(tmp_path)
    again = UrgencyModel.load(tmp_path)
    assert np.allclose(again.probabilities(text), model.probabilities(text), atol=1e-5)


def test_bad_context_file_names_file_and_entry(tmp_path) -> None:
    bad = tmp_path / "urgency_context.yaml"
    bad.write_text("never_lower: [no_such_rule]\nshort_chars: 120\nletter_chars: 300\n"
                   "window: 40\n", encoding="utf-8")
    with pytest.raises(KnowledgeError) as err:
        UrgencyContext.load(bad, rule_ids=frozenset({"fire"}))
    assert "urgency_context.yaml" in str(err.value) and "never_lower" in str(err.value)
    bad.write_text("never_lower: []\nshort_chars: 120\nletter_chars: 300\nwindow: 40\n"
                   "model_teji_min_chars: 8\npresent: ['(unclosed']\nnot_present: [x]\npast: [x]\nhypothetical: [x]\n"
                   "reported: [x]\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"present\[0\]"):
        UrgencyContext.load(bad)
    bad.write_text("never_lower: []\nshort_chars: 120\nletter_chars: 300\nwindow: 40\n"
                   "model_teji_min_chars: 8\npresent: [x]\nnot_present: [x]\npast: [x]\n"
                   "hypothetical: [x]\nreported: [x]\nmodel_needs: {no_such_rule: [x]}\n",
                   encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"model_needs\.no_such_rule"):
        UrgencyContext.load(bad, rule_ids=frozenset({"fire"}))
    bad.write_text("never_lower: []\nshort_chars: 120\nletter_chars: 300\nwindow: 40\n"
                   "model_teji_min_chars: 8\npresent: [x]\nnot_present: [x]\npast: [x]\n"
                   "hypothetical: [x]\nreported: [x]\nchronic: ['(unclosed']\n",
                   encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"chronic\[0\]"):
        UrgencyContext.load(bad)


# -- real board letters: few come out 特急 ---------------------------------------------------------
@pytest.mark.slow
@pytest.mark.skipif(not (BOARD / "labeled.csv").exists(),
                    reason="shared board letters absent (../shared/data/complaints)")
def test_few_real_board_letters_come_out_teji(urgency) -> None:
    from knowledge.urgency_training import load_letters

    # labeled.csv: letters the urgency model never saw in training
    letters = [normalize(t)[:10_000] for t in load_letters(BOARD, ("labeled.csv",))]
    teji = sum(urgency.assess(t).level == "特急" for t in letters)
    rules = sum(urgency.rules.assess(t).level == "特急" for t in letters)
    assert teji < rules
    assert teji / len(letters) <= BOARD_TEJI_SHARE_CEILING, f"{teji}/{len(letters)}"



# -- the reporter away from home is not hearsay (product review) ------------------------------
def test_a_relative_reporting_from_afar_is_not_lowered(triage) -> None:
    text = ("我爸八十多了在屋头摔了一跤 爬不起来 我在外地打工 打他电话也不接 "
            "地址是大石坝红石路社区12栋3楼")
    result = triage.classify(text)
    assert result.urgency == "特急", result.explanation["urgency_decision"]
    assert "120" in result.emergency_lines
    assert "听说" not in result.explanation["urgency_decision"]["why"]


@pytest.mark.parametrize("text", [
    "听说别的城市有个小区燃气爆炸了，我们这的燃气管道也很旧",
    "新闻上说外地一个化工厂爆炸了，我们附近也有化工厂",
    "网上看到外地有家餐馆着火了，希望加强检查",
])
def test_genuine_hearsay_about_distant_events_is_still_lowered(urgency, text: str) -> None:
    result = assess(urgency, text)
    assert result.level == "紧急", result.why
