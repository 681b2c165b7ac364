"""Triage (分级分类): every complaint classified on each dimension of DESIGN.md §3.1, explained.

``Triage(pack, classifier, similar_source=None).classify(text)`` returns a TriageResult whose
``to_dict()`` is one line of ``minyi classify`` output. Rules come first (urgency can never be
missed by statistics); the trained classifier gives the first-level category; the pack's
keywords refine it; routing, complexity, universality, handling level and deadlines follow.
"""

from __future__ import annotations

import copy
import datetime as dt
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from knowledge.calendar import WorkingCalendar
from knowledge.category import CategoryResolver
from knowledge.complexity import ComplexityAssessor
from knowledge.deadlines import Deadlines
from knowledge.errors import KnowledgeError
from knowledge.gazetteer import AreaMatch, Gazetteer
from knowledge.matching import Prescan, Scanner, normalize
from knowledge.pack import KnowledgePack, load_pack
from knowledge.ports import CategoryModel, RecentOpenSlips, SimilarSlips
from knowledge.records import ADVICE_ALSO
from knowledge.request_types import RequestTypeAssessor
from knowledge.routing import Assignment, Router, handling_level
from knowledge.similarity import RecentSlipsMatcher
from knowledge.universality import CollectiveDetector, decide_universality
from knowledge.urgency_layers import CONTEXT_FILE, LayeredUrgency, UrgencyContext
from knowledge.urgency_model import UrgencyModel

MAX_RULE_TEXT = 10_000  # rules look at most this many characters of one message
AreaInput = AreaMatch | Mapping[str, Any] | str | tuple[float, float] | None


@dataclass(frozen=True)
class TriageResult:
    """All dimensions of one complaint. ``to_dict()`` is the ``minyi classify`` JSON."""

    category: tuple[str, ...]
    request_type: str
    urgency: str
    complexity: str
    universality: str
    departments: tuple[Assignment, ...]  # lead first
    handling_level: str
    response_due_hours: int | None  # 特急 / 紧急: clock hours
    response_due_working_days: int | None  # 一般: working days to sign
    due_working_days: int  # completion (办结)
    advice: str
    confidence: float
    low_confidence: bool  # → the dispatcher's queue instead of a department
    area: AreaMatch | None
    emergency_lines: tuple[str, ...] = ()  # 110 / 119 / 120 to ring now (特急 only)
    # what the resident can do meanwhile (the urgency rules' advice, 特急 and 紧急; for 特急 it
    # is in `advice` too)
    guidance: tuple[str, ...] = ()
    duty_alert: bool = False  # alert the duty officer (特急)
    similar: tuple[tuple[str, float], ...] = ()  # similar open slips (key, score)
    decided_at: dt.datetime | None = None
    response_due_at: dt.datetime | None = None
    due_at: dt.datetime | None = None
    explanation: dict[str, Any] = field(default_factory=dict)

    @property
    def lead(self) -> Assignment:
        return self.departments[0]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the DESIGN.md §4 keys, then confidence, low_confidence, area and the
        extras (response_due_working_days, emergency_lines, guidance, duty_alert, similar, due
        times)."""
        return {
            "category": list(self.category),
            "request_type": self.request_type,
            "urgency": self.urgency,
            "complexity": self.complexity,
            "universality": self.universality,
            "departments": [d.to_dict() for d in self.departments],
            "handling_level": self.handling_level,
            "response_due_hours": self.response_due_hours,
            "due_working_days": self.due_working_days,
            "advice": self.advice,
            "explanation": copy.deepcopy(self.explanation),
            "confidence": self.confidence,
            "low_confidence": self.low_confidence,
            "area": self.area.to_dict() if self.area else None,
            "response_due_working_days": self.response_due_working_days,
            "emergency_lines": list(self.emergency_lines),
            "guidance": "".join(self.guidance),
            "duty_alert": self.duty_alert,
            "similar": [{"key": k, "score": s} for k, s in self.similar],
            "response_due_at": self.response_due_at.isoformat() if self.response_due_at else None,
            "due_at": self.due_at.isoformat() if self.due_at else None,
        }


class Triage:
    """Classifies complaints with one city's knowledge pack and a category classifier."""

    def __init__(
        self,
        pack: KnowledgePack,
        classifier: CategoryModel,
        similar_source: SimilarSlips | RecentOpenSlips | None = None,
        *,
        calendar: WorkingCalendar | None = None,
        explain_words: bool = True,
        urgency_model: UrgencyModel | None = None,
    ) -> None:
        """``explain_words=False`` skips the classifier's explain() call (it costs about as
        much as predict()); the explanation then lists no classifier words."""
        labels = getattr(classifier, "labels", None)
        if labels is not None:
            unknown = [label for label in labels if label not in pack.taxonomy.first_level]
            if unknown:
                raise KnowledgeError(
                    "taxonomy.csv", "(level1)",
                    f"the classifier predicts {unknown[0]!r}, which is not a first-level class",
                )
        self.pack = pack
        self.classifier = classifier
        self.policy = pack.policy
        self.tz = zoneinfo.ZoneInfo(pack.policy.timezone)
        self.calendar = calendar or WorkingCalendar.from_policy(pack.policy)
        self.deadlines = Deadlines(pack.policy, self.calendar)
        self.gazetteer = Gazetteer(pack.areas)
        self.router = Router(pack)
        if similar_source is not None and not hasattr(similar_source, "query"):
            similar_source = RecentSlipsMatcher(
                similar_source, read=self.compared,
                topic_floor=pack.policy.similar_topic_floor)
        self.similar_source: SimilarSlips | None = similar_source  # type: ignore[assignment]
        # Urgency: rules first, then context and the urgency model (None: the shipped artefact).
        context_file = pack.path / CONTEXT_FILE
        self._urgency = LayeredUrgency(
            pack.urgency, urgency_model or UrgencyModel.load(),
            UrgencyContext.load(context_file if context_file.exists() else None,
                                rule_ids=frozenset(r.id for r in pack.urgency.rules
                                                   if r.level == "特急")))
        self._category = CategoryResolver(pack.taxonomy, pack.policy.category_keyword_weight)
        self._danger_paths = {r.id: r.category for r in pack.urgency.rules if r.category}
        self._request = RequestTypeAssessor(pack.request_types)
        self._complexity = ComplexityAssessor(pack.complexity)
        self._collective = CollectiveDetector(pack.collective)
        self._top_k = len(pack.taxonomy.first_level)
        self._explain_words = explain_words
        # One pass over each message finds the words of every rule set at once.
        self._scanner = Scanner([
            *self._urgency.keyword_sets, *self._category.keyword_sets,
            *self._request.keyword_sets, *self._complexity.keyword_sets,
            *self._collective.keyword_sets, *self.router.keyword_sets,
            *self.gazetteer.keyword_sets,
        ])

    # -- public --------------------------------------------------------------------------------
    def classify(self, text: str, *, area: AreaInput = None,
                 now: dt.datetime | None = None) -> TriageResult:
        """Classify one complaint.

        ``area`` is where it is, when the conversation already knows: an AreaMatch, a Place
        dict, a street/community code, place text, or (lat, lon). Without it the gazetteer
        looks for a place in ``text``. ``now`` (default: the current time) starts the clocks.
        """
        now = self._now(now)
        text = text or ""
        norm = normalize(text)[:MAX_RULE_TEXT]
        scan = self._scanner.scan(norm)
        place = self._area(area, norm, scan)
        urgency = self._urgency.assess(norm, scan)
        predictions = self.classifier.predict(text, top_k=self._top_k) if norm else []
        # Topic words inside a place name ("土地" in 红土地小区) say nothing about the complaint:
        # category and routing read the text with the place names blanked out.
        topic_text, topic_scan = self._without_places(norm, scan)
        category = self._category.resolve(topic_text, predictions, topic_scan)
        guessed = category.confidence < self.policy.low_confidence_threshold
        first = next((f for f in urgency.findings if f.level == "特急"), None)
        teji_rule = _danger_id(first.rule_id) if urgency.level == "特急" and first else None
        # a rule's danger is known; the urgency model's alone is its reading of the words
        by_rule = first is not None and not first.rule_id.startswith("model:")
        # the danger (or the basic supply cut off, for 紧急) names the category: a smell of gas
        # is 燃气, though "味" sounds like 环境保护 to the classifier; a water cut told with a
        # broken street lamp is 停水, the problem the urgency, the lead and the deadline are for
        danger = next((f for f in urgency.findings if f.level == urgency.level
                       and _danger_id(f.rule_id) in self._danger_paths), None)
        if danger is not None:
            # its path (or a finer one), as sure as the rule
            home = self._danger_paths[_danger_id(danger.rule_id)]
            category = replace(category, confidence=max(category.confidence, 0.9),
                               path=category.path if category.path[:len(home)] == home else home)
        request = self._request.assess(norm, scan)
        signs = self._collective.detect(norm, scan)
        routing = self.router.route(
            topic_text, category=category.path, area=place, scan=topic_scan,
            category_confident=category.confidence >= self.policy.low_confidence_threshold,
            danger=teji_rule, also_dangers=tuple(dict.fromkeys(
                _danger_id(f.rule_id) for f in urgency.findings
                if f.level == "特急" and f is not first)),
            shown=norm)
        similar = self._similar(topic_text, place, now,
                                frozenset(str(r["rule"]) for r in routing.rules))
        universality = decide_universality(
            signs, len(similar), several_similar=self.policy.several_similar,
            group_similar=self.policy.group_similar)
        complexity = self._complexity.assess(
            norm, scan=scan, category=category.path, departments=len(routing.departments),
            universality=universality, request_type=request.type)
        lead = self.pack.department(routing.lead.code)
        level = handling_level(
            self.policy, lead.level, urgency=urgency.level, complexity=complexity.level,
            universality=universality, departments=routing.units_to_coordinate,
            hint=routing.handling_hint, area_known=place is not None)
        plan = self.deadlines.plan(urgency.level, complexity.level, request.type)
        due = self.deadlines.due_times(plan, now)
        confidence = self._confidence(category.confidence, routing, bool(norm), by_rule)
        low = confidence < self.policy.low_confidence_threshold
        # A 特急 slip is never auto-dispatched to a guessed department: unless a danger rule
        # named who handles it, a weak category sends it to the dispatcher (the duty alert and
        # the emergency numbers are given all the same).
        teji_guess = (urgency.level == "特急" and guessed
                      and not (by_rule and routing.danger is not None))
        low = low or teji_guess
        advice = self._advice(urgency, request.type, low, plan, routing.lead.name)
        classifier_words: list[tuple[str, float]] = []
        if norm and predictions and self._explain_words:
            classifier_words = self.classifier.explain(text, category.path[0], top_n=5)
        explanation = {
            "summary": [],
            "category": {
                "path": list(category.path),
                "confidence": category.confidence,
                "top": [{"label": label, "score": score} for label, score in category.top],
                "keywords": [{"path": list(n.path), "words": list(n.words), "score": n.score}
                             for n in category.keyword_nodes],
                # "danger" for 特急, "urgent" (a basic supply cut off) for 紧急
                **({"danger" if urgency.level == "特急" else "urgent": danger.label}
                   if danger is not None else {}),
                "classifier_words": [{"word": w, "weight": round(float(s), 4)}
                                     for w, s in classifier_words],
            },
            "urgency": [f.to_dict() for f in urgency.findings],
            "negated": list(urgency.negated),
            "urgency_decision": {"layer": urgency.layer, "why": urgency.why,
                                 "model": urgency.model},
            "request_type": {"scores": request.scores,
                             "words": {k: list(v) for k, v in request.words.items()}},
            "complexity": [dict(r) for r in complexity.reasons],
            "universality": {"markers": list(signs.words), "count": signs.count,
                             "similar": [{"key": k, "score": s} for k, s in similar]},
            "routing": {"rules": [dict(r) for r in routing.rules], "fallback": routing.fallback,
                        **({"danger": teji_rule} if routing.danger else {}),
                        **({"teji_guess": True} if teji_guess else {})},
            "deadlines": plan.reason,
            "area": ({"matched": place.text, "kind": place.kind, "confidence": place.confidence}
                     if place else None),
        }
        result = TriageResult(
            category=category.path,
            request_type=request.type,
            urgency=urgency.level,
            complexity=complexity.level,
            universality=universality,
            departments=routing.departments,
            handling_level=level,
            response_due_hours=plan.response_hours,
            response_due_working_days=plan.response_working_days,
            due_working_days=plan.completion_working_days,
            advice=advice,
            confidence=confidence,
            low_confidence=low,
            area=place,
            emergency_lines=urgency.calls,
            guidance=urgency.guidance,
            duty_alert=plan.alert_duty_officer,
            similar=tuple(similar),
            decided_at=now,
            response_due_at=due.response_due_at,
            due_at=due.completion_due_at,
            explanation=explanation,
        )
        explanation["summary"] = summary_lines(result)
        return result

    def urgency_of(self, text: str) -> Any:
        """The urgency (knowledge.urgency.UrgencyResult) of ``text`` alone: rules, context and
        the urgency model, as classify() judges it (a resident's follow-up on an open slip)."""
        norm = normalize(text or "")[:MAX_RULE_TEXT]
        return self._urgency.assess(norm, self._scanner.scan(norm))

    def classify_many(self, texts: Iterable[str], *, area: AreaInput = None,
                      now: dt.datetime | None = None) -> list[TriageResult]:
        """Classify several complaints (same area and clock for all, when given)."""
        now = self._now(now)
        return [self.classify(t, area=area, now=now) for t in texts]

    # -- parts ---------------------------------------------------------------------------------
    def _now(self, now: dt.datetime | None) -> dt.datetime:
        if now is None:
            return dt.datetime.now(self.tz)
        return now.replace(tzinfo=self.tz) if now.tzinfo is None else now.astimezone(self.tz)

    def _area(self, area: AreaInput, norm: str, scan: Prescan) -> AreaMatch | None:
        found: AreaMatch | None
        if area is None:
            return self.gazetteer.find(norm, normalized=True, scan=scan)
        if isinstance(area, AreaMatch):
            found = area
        elif isinstance(area, Mapping):
            found = self.gazetteer.from_mapping(area)
        elif isinstance(area, str):
            found = self.gazetteer.resolve(area) or self.gazetteer.find(area)
        elif isinstance(area, Sequence) and len(area) == 2:
            found = self.gazetteer.near(float(area[0]), float(area[1]))
        else:
            raise TypeError(f"area must be an AreaMatch, dict, code, text or (lat, lon): {area!r}")
        if found is None or not found.inside:
            return self.gazetteer.find(norm, normalized=True, scan=scan)
        if found.community_code is None:
            # The text may name a community of the same street: more precise, same office.
            in_text = self.gazetteer.find(norm, normalized=True, scan=scan)
            if (in_text is not None and in_text.community_code
                    and in_text.street_code == found.street_code):
                return in_text
        return found

    def compared(self, text: str) -> tuple[str, frozenset[str]]:
        """What of ``text`` the similar-slip search compares: the normalised text with its place
        names blanked out, and the routing rules its words fire (see knowledge/similarity.py)."""
        norm = normalize(text or "")[:MAX_RULE_TEXT]
        topic_text, topic_scan = self._without_places(norm, self._scanner.scan(norm))
        return topic_text, self.router.topics(topic_text, topic_scan)

    def _similar(self, text: str, place: AreaMatch | None, now: dt.datetime,
                 topics: frozenset[str]) -> list[tuple[str, float]]:
        if self.similar_source is None or place is None or place.code is None:
            return []
        since = now - dt.timedelta(days=self.policy.similar_window_days)
        found = self.similar_source.query(text, area_code=place.code, since=since, limit=10,
                                          topics=topics)
        return [(k, round(float(s), 4)) for k, s in found if s >= self.policy.similar_min_score]

    def _without_places(self, norm: str, scan: Prescan) -> tuple[str, Prescan]:
        """``norm`` with every place name blanked out, and its scan (the same when none)."""
        spans = self.gazetteer.name_spans(norm, scan)
        if not spans:
            return norm, scan
        chars = list(norm)
        for start, end in spans:
            chars[start:end] = "_" * (end - start)
        masked = "".join(chars)
        return masked, scan.blanked(masked, spans)

    @staticmethod
    def _confidence(category: float, routing: Any, has_text: bool,
                    danger_by_rule: bool = False) -> float:
        """How sure the slip's routing is: half category, half how the departments were found."""
        if not has_text or routing.fallback == "dispatch":
            return 0.0
        if routing.danger is not None:
            # the danger's own units: as sure as the rule that found it; the model's guess less
            route = 0.95 if danger_by_rule else 0.6
        elif routing.fallback is None:
            words = sum(len(r["words"]) for r in routing.rules)
            route = min(0.95, 0.75 + 0.05 * (words - 1))
        elif routing.fallback == "category":
            route = category
        else:  # 属地兜底: the street office takes it, but nobody named the topic
            route = 0.5
        return round(0.5 * category + 0.5 * route, 4)

    def _advice(self, urgency: Any, request_type: str, low: bool, plan: Any, lead: str) -> str:
        templates = self.policy.advice
        if urgency.level == "特急" and urgency.speaker_advice:
            also = templates.get(ADVICE_ALSO)
            if not (also and urgency.others_calls):
                return urgency.speaker_advice
            return urgency.speaker_advice + also.format(
                lines=self._lines(urgency.others_calls),
                guidance="".join(urgency.others_guidance))
        if urgency.level == "特急":
            key = "特急"
        elif urgency.level == "紧急":
            key = "紧急"
        elif low:
            key = "low_confidence"
        elif request_type == "咨询":
            key = "咨询"
        else:
            key = "一般"
        return templates[key].format(
            lines=self._lines(urgency.calls),
            guidance="".join(urgency.guidance),
            hours=plan.response_hours or 24,
            response_days=plan.response_working_days or 1,
            completion_days=plan.completion_working_days,
            department=lead,
        )

    def _lines(self, calls: tuple[str, ...]) -> str:
        return "、".join(self.policy.emergency_lines.get(c, c) for c in calls)


_LAYER_NAMES = {"rules": "规则", "model": "模型", "context": "语境"}


def _danger_id(rule_id: str) -> str:
    """The urgency rule id of a finding ("model:gas_leak": the model's reading of gas_leak)."""
    return rule_id.removeprefix("model:")


def summary_lines(result: TriageResult) -> list[str]:
    """Why, in plain Chinese for staff: one line per dimension."""
    ex = result.explanation
    lines = []
    cat = ex["category"]
    # the words of the chosen path only (another path's words may rank first: "停水" chosen
    # over "烧烤、油烟" by the classifier's score must not be explained by 烧烤、油烟)
    kw = next((k["words"] for k in cat["keywords"] if tuple(k["path"]) == result.category), [])
    top = "、".join(f"{t['label']} {t['score']:.2f}" for t in cat["top"])
    lines.append(f"类别：{' › '.join(result.category)}"
                 + (f"（危险情形：{cat['danger']}）" if cat.get("danger") else
                    f"（紧急情形：{cat['urgent']}）" if cat.get("urgent") else
                    f"（关键词：{'、'.join(kw)}）" if kw else "")
                 + (f"；模型：{top}" if top else ""))
    urgent = [f for f in ex["urgency"] if f["level"] == result.urgency]
    decision = ex.get("urgency_decision") or {}
    lines.append(f"紧急程度：{result.urgency}" + (
        "（" + "；".join(f"{f['label']}{'（居民本人）' if f.get('speaker') else ''}："
                        f"{'、'.join(f['words'])}" for f in urgent) + "）"
        if urgent else "") + (
        f"；{_LAYER_NAMES.get(decision['layer'], decision['layer'])}判定：{decision['why']}"
        if decision.get("why") else ""))
    words = ex["request_type"]["words"].get(result.request_type, [])
    lines.append(f"诉求类型：{result.request_type}" + (f"（{'、'.join(words)}）" if words else ""))
    reasons = [r for r in ex["complexity"] if r.get("level") == result.complexity]
    lines.append(f"难易程度：{result.complexity}" + (
        "（" + "；".join(str(r["label"]) + (f"：{'、'.join(r['words'])}" if r.get("words") else "")
                        for r in reasons) + "）" if reasons else ""))
    uni = ex["universality"]
    extra = list(uni["markers"])
    if uni["similar"]:
        extra.append(f"相似未办结工单 {len(uni['similar'])} 件")
    lines.append(f"普遍性：{result.universality}" + (f"（{'；'.join(extra)}）" if extra else ""))
    depts = "、".join(f"{d.name}（{d.role}）" for d in result.departments)
    routing = ex["routing"]
    how = "；".join(f"{r['topic']}：{'、'.join(r['words'])}" for r in routing["rules"])
    if routing["fallback"] == "category":
        how = "按类别"
    elif routing["fallback"] == "属地兜底":
        how = "属地兜底（未识别出主管部门）"
    elif routing["fallback"] == "dispatch":
        how = "未识别出部门和属地，转派单员"
    if routing.get("danger"):
        dangers = "、".join(dict.fromkeys(str(f["label"]) for f in urgent)) or routing["danger"]
        how = f"险情（{dangers}）的处置部门" + (
            f"；另涉及{how}" if how else "")
    lines.append(f"部门：{depts}（{how}）")
    if result.area:
        place = result.area.community or result.area.street or result.area.text
        doubt = "、".join(f"“{t}”" for t in result.area.contradicted_by)
        lines.append(f"属地：{place}（{result.area.text}，把握 {result.area.confidence:.2f}"
                     + (f"；另提到{doubt}，不在同一街镇，请核实" if doubt else "") + "）")
    lines.append(f"办理层级：{result.handling_level}")
    lines.append(f"时限：{ex['deadlines']}")
    if routing.get("teji_guess"):
        lines.append("特急但类别把握不足：不自动派单，先交派单员确认（已提示居民拨打急救电话）")
    elif result.low_confidence:
        lines.append(f"把握度 {result.confidence:.2f} 偏低：先交派单员确认")
    return lines


def load_default_triage(
    pack_path: str | Path | None = None,
    classifier_path: str | Path | None = None,
    similar_source: SimilarSlips | RecentOpenSlips | None = None,
) -> Triage:
    """The shipped knowledge pack with the shipped category classifier."""
    from knowledge.classifier import CategoryClassifier  # the trained artefact's loader

    return Triage(load_pack(pack_path), CategoryClassifier.load(classifier_path), similar_source)
