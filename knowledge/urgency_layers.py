"""Urgency in two layers: the rules first, the urgency model second, the context in between.

- The rules (``knowledge/urgency.py``) stay authoritative for clear dangers: a 特急 rule hit is
  only lowered when the message itself says the danger is told, not happening — a past, feared
  or reported danger ("去年发生过火灾", "万一着火", "看新闻说…爆炸") with no sign that it is
  happening now ("现在", "正在", "被困", "救命") and an urgency model that does not think it
  is a present danger. Lowered means 紧急 (someone still checks within the day), never 一般.
  Threats to life (``never_lower`` in urgency_context.yaml) are never lowered.
- A message no 特急 rule matched is raised to 特急 when the model is confident (its danger
  class gives the emergency lines and advice), or to 紧急 when it thinks basic living is cut
  off. A raise is capped at 紧急 when the message reads as told rather than happening, and a
  message whose danger words were negated ("没有煤气味") is never raised to 特急.

The result says which layer decided (``layer``: rules / model / context) and why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from knowledge.errors import KnowledgeError
from knowledge.matching import KeywordSet, Prescan, normalize
from knowledge.pack import DEFAULT_PACK
from knowledge.records import UrgencyRules
from knowledge.schema import display_path, read_yaml
from knowledge.urgency import UrgencyAssessor, UrgencyFinding, UrgencyResult, line_order
from knowledge.urgency_model import PLAIN, UrgencyModel, UrgencyModelError, UrgencyScores

CONTEXT_FILE = "urgency_context.yaml"
_SENTENCE_BREAK = re.compile(r"[。!?;\n…]")
_KINDS = ("past", "hypothetical", "reported")
_KIND_WORDS = {"past": "讲的是过去的事", "hypothetical": "是担心或假设", "reported": "是听说或报道的事",
               "letter": "长信中的叙述，模型不认为是当下险情"}


def _patterns(file: str, key: str, raw: object) -> tuple[re.Pattern[str], ...]:
    if not isinstance(raw, list) or not raw or not all(isinstance(p, str) and p for p in raw):
        raise KnowledgeError(file, key, "must be a non-empty list of words or patterns")
    out = []
    for i, p in enumerate(raw):
        try:
            out.append(re.compile(normalize(p) if re.escape(p) == p else p))
        except re.error as exc:
            raise KnowledgeError(file, f"{key}[{i}]", f"bad pattern {p!r}: {exc}") from exc
    return tuple(out)


def _found(patterns: tuple[re.Pattern[str], ...], text: str) -> list[str]:
    """What each of ``patterns`` finds first in ``text``."""
    return [m.group(0) for p in patterns for m in [p.search(text)] if m]


def _optional(file: str, data: dict, key: str) -> tuple[re.Pattern[str], ...]:
    """An optional list of words or patterns (absent: none)."""
    return _patterns(file, key, data[key]) if data.get(key) is not None else ()


@dataclass(frozen=True)
class UrgencyContext:
    """The words of urgency_context.yaml, compiled."""

    never_lower: frozenset[str]
    short_chars: int
    letter_chars: int
    window: int
    model_teji_min_chars: int
    present: tuple[re.Pattern[str], ...]
    not_present: tuple[re.Pattern[str], ...]
    told: dict[str, tuple[re.Pattern[str], ...]]  # past / hypothetical / reported
    # spans removed before told words are looked for: where the reporter is ("我在外地打工"),
    # a phone call tried ("打过电话") — never a sign that the danger is only told
    not_told: tuple[re.Pattern[str], ...] = ()
    # dangers the model alone may call 特急 only with one of these words in the message (a
    # welfare check needs a sign that nobody answers: "独居…最近腿摔了" is 紧急, not "break in")
    model_needs: dict[str, tuple[re.Pattern[str], ...]] = field(default_factory=dict)
    # words the model never reads: idioms that hold a danger's character ("走起恼火": hard
    # going, in Chongqing speech; the model read a fire in 火)
    model_ignores: tuple[re.Pattern[str], ...] = ()
    # an everyday, recurring thing ("楼上的娃儿天天在屋头跑"): the model alone calls it 紧急
    chronic: tuple[re.Pattern[str], ...] = ()
    # a message about money ("天然气费又涨了") that no rule found urgent: the model raises
    # nothing (it read 天然气 as gas)
    money: tuple[re.Pattern[str], ...] = ()

    @classmethod
    def load(cls, path: str | Path | None = None,
             rule_ids: frozenset[str] | None = None) -> UrgencyContext:
        file_path = Path(path) if path is not None else DEFAULT_PACK / CONTEXT_FILE
        file = display_path(file_path)
        data = read_yaml(file_path)
        if not isinstance(data, dict):
            raise KnowledgeError(file, "(file)", "must be a mapping")
        never = data.get("never_lower", [])
        if not isinstance(never, list) or not all(isinstance(r, str) for r in never):
            raise KnowledgeError(file, "never_lower", "must be a list of urgency rule ids")
        for r in never:
            if rule_ids is not None and r not in rule_ids:
                raise KnowledgeError(file, "never_lower", f"{r!r} is not a 特急 rule of urgency.yaml")
        needs_raw = data.get("model_needs") or {}
        if not isinstance(needs_raw, dict):
            raise KnowledgeError(file, "model_needs", "must map 特急 rule ids to words")
        needs = {}
        for rule_id, words in needs_raw.items():
            if rule_ids is not None and rule_id not in rule_ids:
                raise KnowledgeError(file, f"model_needs.{rule_id}",
                                     f"{rule_id!r} is not a 特急 rule of urgency.yaml")
            needs[str(rule_id)] = _patterns(file, f"model_needs.{rule_id}", words)
        numbers = {}
        for key in ("short_chars", "letter_chars", "window", "model_teji_min_chars"):
            value = data.get(key)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise KnowledgeError(file, key, "must be a whole number >= 0")
            numbers[key] = value
        return cls(
            never_lower=frozenset(never),
            short_chars=numbers["short_chars"],
            letter_chars=numbers["letter_chars"],
            window=numbers["window"],
            model_teji_min_chars=numbers["model_teji_min_chars"],
            present=_patterns(file, "present", data.get("present")),
            not_present=_patterns(file, "not_present", data.get("not_present")),
            told={k: _patterns(file, k, data.get(k)) for k in _KINDS},
            not_told=_optional(file, data, "not_told"),
            model_needs=needs,
            model_ignores=_optional(file, data, "model_ignores"),
            chronic=_optional(file, data, "chronic"),
            money=_optional(file, data, "money"),
        )

    def for_model(self, text: str) -> str:
        """``text`` with the idioms the model must not read blanked out (same length)."""
        for p in self.model_ignores:
            text = p.sub(lambda m: "_" * len(m.group(0)), text)
        return text

    def chronic_words(self, text: str) -> list[str]:
        return _found(self.chronic, text)

    def model_may_call(self, danger: str, text: str) -> bool:
        """Whether the model alone may call ``danger`` 特急 in ``text`` (see model_needs)."""
        needs = self.model_needs.get(danger)
        return needs is None or any(p.search(text) for p in needs)

    def present_words(self, text: str) -> list[str]:
        for p in self.not_present:
            text = p.sub(lambda m: "_" * len(m.group(0)), text)
        return _found(self.present, text)

    def told_words(self, text: str) -> dict[str, list[str]]:
        for p in self.not_told:
            text = p.sub(lambda m: "_" * len(m.group(0)), text)
        found = {}
        for kind, patterns in self.told.items():
            words = _found(patterns, text)
            if words:
                found[kind] = words
        return found


def _ruled(base: UrgencyResult) -> str:
    """What the rules found, for the line that says the model went further."""
    if not base.findings:
        return "规则未命中"
    return "规则只判为紧急（" + "、".join(f.label for f in base.findings) + "）"


def _sentence(text: str, pos: int) -> tuple[int, int]:
    start = 0
    for m in _SENTENCE_BREAK.finditer(text, 0, pos):
        start = m.end()
    m = _SENTENCE_BREAK.search(text, pos)
    return start, (m.start() if m else len(text))


class LayeredUrgency:
    """Rules, then context and the urgency model. ``assess`` has UrgencyAssessor's interface."""

    def __init__(self, rules: UrgencyRules, model: UrgencyModel | None,
                 context: UrgencyContext | None = None) -> None:
        self.rules = UrgencyAssessor(rules)
        self._by_id = {r.id: r for r in self.rules.rules}
        teji_ids = frozenset(r.id for r in self.rules.rules if r.level == "特急")
        self.context = context or UrgencyContext.load(rule_ids=teji_ids)
        if model is not None:
            unknown = [c for c in model.classes if c not in PLAIN and c not in teji_ids]
            if unknown:
                raise UrgencyModelError(f"the urgency model's class {unknown[0]!r} is not a "
                                        "特急 rule of urgency.yaml: retrain it (minyi train)")
        self.model = model

    @classmethod
    def shipped(cls, rules: UrgencyRules, model_path: str | Path | None = None) -> LayeredUrgency:
        return cls(rules, UrgencyModel.load(model_path))

    @property
    def keyword_sets(self) -> tuple[KeywordSet, ...]:
        return self.rules.keyword_sets

    def assess(self, text: str, scan: Prescan | None = None) -> UrgencyResult:
        """Urgency of normalised ``text`` (see knowledge.matching.normalize)."""
        base = self.rules.assess(text, scan)
        scores = (self.model.scores(self.context.for_model(text))
                  if self.model is not None else None)
        model = scores.to_dict() if scores else None
        if base.level == "特急":
            return self._keep_or_lower(text, base, scores, model)
        return self._raise(text, base, scores, model)

    # -- a 特急 rule hit -----------------------------------------------------------------------
    def _keep_or_lower(self, text: str, base: UrgencyResult, scores: UrgencyScores | None,
                       model: dict | None) -> UrgencyResult:
        live = [f for f in base.findings if f.level == "特急"]
        labels = "、".join(f"{f.label}（{'、'.join(f.words)}）" for f in live)
        keep = replace(base, layer="rules", model=model, why=f"规则：{labels}")
        if any(f.rule_id in self.context.never_lower for f in live):
            return replace(keep, why=keep.why + "；危及生命的情况从不降级")
        short = len(text) <= self.context.short_chars
        told: dict[str, list[str]] = {}
        untold = []  # passages of a long letter with no past / feared / reported word
        for finding in live:
            for word in finding.words:
                pos = text.find(word)
                while pos >= 0:
                    s, e = (0, len(text)) if short else _sentence(text, pos)
                    now = self.context.present_words(text[s:e])
                    if now:
                        return replace(keep, why=keep.why + f"；正在发生（{'、'.join(now)}）")
                    around = text[min(s, max(0, pos - self.context.window)):e]
                    found = self.context.told_words(around)
                    if not found:
                        if len(text) < self.context.letter_chars:
                            return keep
                        untold.append(around)
                    for kind, words in found.items():
                        told.setdefault(kind, []).extend(w for w in words
                                                         if w not in told.get(kind, []))
                    pos = text.find(word, pos + 1)
        if untold:
            # A long letter: the model reads each passage; all must look like a letter's story.
            if self.model is None:
                return keep
            passage = max((self.model.scores(self.context.for_model(p)).teji for p in untold),
                          default=0.0)
            if passage >= self.model.thresholds["lower"]:
                return keep
            told.setdefault("letter", []).append(f"模型 {passage:.2f}")
        threshold = self.model.thresholds["teji"] if self.model else 1.0
        if scores is not None and scores.teji >= threshold:
            return replace(keep, why=keep.why + f"；模型也判为当下险情（{scores.teji:.2f}）")
        kind = next(k for k in (*_KINDS, "letter") if k in told)
        lowered = tuple(
            replace(f, level="紧急", softened=f.softened or kind) if f.level == "特急" else f
            for f in base.findings)
        told_text = "；".join(f"{_KIND_WORDS[k]}：{'、'.join(w)}" for k, w in told.items())
        return UrgencyResult(
            "紧急", lowered, (), self.rules.everyday_guidance(lowered), base.negated, model=model,
            layer="context" if kind != "letter" else "model",
            why=f"规则命中{labels}，但{told_text}，且没有正在发生的迹象：降为紧急，当天核实")

    # -- no 特急 rule hit ----------------------------------------------------------------------
    def _raise(self, text: str, base: UrgencyResult, scores: UrgencyScores | None,
               model: dict | None) -> UrgencyResult:
        kept = replace(base, layer="rules", model=model,
                       why=("规则：" + "、".join(f.label for f in base.findings))
                       if base.findings else "规则未命中")
        if scores is None or self.model is None or scores.known == 0 or len(text) < 4:
            return kept  # nothing the model could judge ("", "?", "好的")
        money = _found(self.context.money, text)
        if money and not base.findings:
            return replace(kept, why=f"{kept.why}；说的是费用（{'、'.join(money)}），不按险情升级")
        th = self.model.thresholds
        long_enough = len(text) >= self.context.model_teji_min_chars
        if (scores.teji >= th["teji"] and scores.danger and not base.negated and long_enough
                and self.context.model_may_call(scores.danger, text)):
            bound = next((f for f in base.findings if f.softened is None
                          and scores.danger in self._by_id[f.rule_id].bounds), None)
            if bound is not None:
                return replace(kept, why=(
                    f"{kept.why}；模型读作{self._by_id[scores.danger].label}"
                    f"（{scores.teji:.2f}），但规则认定的{bound.label}是同类的紧急情况：按紧急办理"))
            told = self.context.told_words(text)
            chronic = self.context.chronic_words(text)
            if (told or chronic) and not self.context.present_words(text):
                if base.level == "紧急":
                    return kept
                label = self._by_id[scores.danger].label
                if told:
                    words = "、".join(w for ws in told.values() for w in ws)
                    why = f"但讲的是过去、假设或听说的事（{words}）"
                else:
                    why = f"但说的是经常发生的情况（{'、'.join(chronic)}），不是眼下的险情"
                return self._model_result(
                    text, base, scores, model, "紧急",
                    f"模型判为{label}险情（{scores.teji:.2f}），{why}：定为紧急，当天核实")
            return self._model_result(
                text, base, scores, model, "特急",
                f"{_ruled(base)}；模型判为当下险情（{self._by_id[scores.danger].label}，"
                f"把握 {scores.teji:.2f} ≥ {th['teji']:.2f}）")
        if base.level == "一般" and scores.teji + scores.jinji >= th["jinji"]:
            return self._model_result(
                text, base, scores, model, "紧急",
                f"规则未命中；模型判为紧急诉求（把握 {scores.teji + scores.jinji:.2f} ≥ "
                f"{th['jinji']:.2f}）")
        return kept

    def _model_result(self, text: str, base: UrgencyResult, scores: UrgencyScores,
                      model: dict | None, level: str, why: str) -> UrgencyResult:
        assert self.model is not None and scores.danger is not None
        rule = self._by_id[scores.danger]
        target = scores.danger if level == "特急" else "紧急"
        words = tuple(w for w, _ in self.model.explain(self.context.for_model(text), target,
                                                       top_n=4) if "_" not in w)
        speaker = level == "特急" and rule.about_speaker(text)
        finding = UrgencyFinding(f"model:{rule.id}" if level == "特急" else "model:紧急",
                                 rule.label if level == "特急" else "模型判断", level, words,
                                 speaker=speaker)
        findings = (*base.findings, finding)
        if level != "特急":
            return UrgencyResult(level, findings, (), base.guidance, base.negated, layer="model",
                                 why=why, model=model)
        calls = line_order(rule.call)
        guidance = (rule.advice,) if rule.advice else ()
        return UrgencyResult("特急", findings, calls, guidance, base.negated, layer="model",
                             why=why, model=model,
                             speaker_advice=rule.speaker_advice if speaker else "")
