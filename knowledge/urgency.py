"""Urgency (紧急程度): 特急 / 紧急 / 一般, by rules that never miss a danger.

Every 特急 rule fires on any of its words or patterns anywhere in the message. A hit is only
softened when that is cheap and safe (see urgency.yaml): negated right before it ("没有煤气味")
it does not count; resolved, a drill, a worry, a past event or a chronic hazard makes it 紧急,
never 一般 — but a worry about a danger told as happening ("我担心楼下着火了") is not softened.
A message with one unsoftened 特急 hit is 特急, whatever else it says.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from knowledge.matching import (
    KeywordSet,
    Prescan,
    RuleHit,
    RuleMatcher,
    RuleSpec,
    clause_bounds,
    distinct_words,
    normalize,
)
from knowledge.records import UrgencyRule, UrgencyRules

_LINE_ORDER = {"110": 0, "119": 1, "120": 2}


def line_order(calls: Iterable[str]) -> tuple[str, ...]:
    """Emergency lines once each, police first, then fire, then ambulance, then any other."""
    return tuple(sorted(set(calls), key=lambda c: (_LINE_ORDER.get(c, 9), c)))


@dataclass(frozen=True)
class UrgencyFinding:
    """One rule that fired, with the words that made it fire."""

    rule_id: str
    label: str
    level: str  # the level this finding supports after softening: 特急 / 紧急
    words: tuple[str, ...]
    softened: str | None = None  # why a 特急 rule only counts as 紧急 (resolved, hypothetical…)
    speaker: bool = False  # the resident is the one in danger ("我不想活了")

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"rule": self.rule_id, "label": self.label, "level": self.level,
                                  "words": list(self.words)}
        if self.softened:
            out["softened"] = self.softened
        if self.speaker:
            out["speaker"] = True
        return out


@dataclass(frozen=True)
class UrgencyResult:
    level: str
    findings: tuple[UrgencyFinding, ...]
    calls: tuple[str, ...] = ()  # emergency lines to ring, for 特急
    # what to do meanwhile: for 特急 the dangers' advice; for 紧急 that of the 紧急 rules that
    # fired (close the main valve of a burst pipe), never a softened danger's (a worry about a
    # fire is not told to leave the house)
    guidance: tuple[str, ...] = ()
    negated: tuple[str, ...] = ()  # danger words that were negated ("没有煤气味")
    # Which layer decided (rules / model / context, see knowledge/urgency_layers.py) and why.
    layer: str = "rules"
    why: str = ""
    model: dict[str, object] | None = None  # the urgency model's scores, when it ran
    # For a resident who is themselves in danger: the rule's words for them, which replace the
    # whole 特急 advice (see the rules' `speaker:` in urgency.yaml), and the lines and advice
    # of any other danger told with it ("我想跳楼，楼下着火了": the fire's 119 and its advice).
    speaker_advice: str = ""
    others_calls: tuple[str, ...] = ()
    others_guidance: tuple[str, ...] = ()


class UrgencyAssessor:
    """Applies a pack's urgency rules to normalised text."""

    def __init__(self, rules: UrgencyRules) -> None:
        self.rules: tuple[UrgencyRule, ...] = rules.rules
        self._matcher = RuleMatcher(
            RuleSpec(r.keywords, r.patterns, r.unless) for r in self.rules
        )
        s = rules.suppressors
        negators = "|".join(re.escape(w) for w in sorted(s.negation_words, key=len, reverse=True))
        fillers = "|".join(re.escape(w) for w in sorted(s.fillers, key=len, reverse=True))
        not_after = "".join(f"(?<!{re.escape(w)})" for w in s.not_after)
        filler_part = f"(?:{fillers}){{0,2}}" if fillers else ""
        self._negation = re.compile(f"{not_after}(?:{negators}){filler_part}$")
        self._resolved = [normalize(w) for w in s.resolved]
        self._drill = [normalize(w) for w in s.drill]
        self._window = s.window
        self._narrative_min = s.narrative_min_chars
        self._now = [normalize(w) for w in s.now_words]
        self._worry = s.worry
        self._happening = s.happening
        self._soft_patterns = {
            "hypothetical": s.hypothetical,
            "past": s.past,
            "chronic": s.chronic,
        }
        self._chronic_after = s.chronic_after

    @property
    def keyword_sets(self) -> tuple[KeywordSet[Any], ...]:
        return self._matcher.keyword_sets

    def assess(self, text: str, scan: Prescan | None = None) -> UrgencyResult:
        """Urgency of normalised ``text`` (see knowledge.matching.normalize)."""
        hits = self._matcher.find(text, scan)
        by_rule: dict[int, list[RuleHit]] = {}
        for hit in hits:
            by_rule.setdefault(hit.rule, []).append(hit)
        drill = any(w in text for w in self._drill)
        findings: list[tuple[int, UrgencyFinding]] = []
        negated: list[str] = []
        for index, rule_hits in by_rule.items():
            rule = self.rules[index]
            if rule.also and not all(p.search(text) for p in rule.also):
                continue
            if rule.level != "特急":
                words = distinct_words(h.word for h in rule_hits)
                findings.append((rule_hits[0].start, UrgencyFinding(rule.id, rule.label, "紧急",
                                                                     words)))
                continue
            live, soft_reasons = [], []
            for hit in rule_hits:
                reason = self._softening(rule, hit, text, drill)
                if reason == "negation":
                    negated.append(hit.word)
                elif reason is None:
                    live.append(hit)
                else:
                    soft_reasons.append((hit, reason))
            if live:
                words = distinct_words(h.word for h in live)
                findings.append((live[0].start, UrgencyFinding(
                    rule.id, rule.label, "特急", words, speaker=rule.about_speaker(text))))
            elif soft_reasons:
                words = distinct_words(h.word for h, _ in soft_reasons)
                findings.append((soft_reasons[0][0].start, UrgencyFinding(
                    rule.id, rule.label, "紧急", words, softened=soft_reasons[0][1])))
        findings.sort(key=lambda item: item[0])
        ordered = tuple(f for _, f in findings)
        if any(f.level == "特急" for f in ordered):
            top = [self._rule(f.rule_id) for f in ordered if f.level == "特急"]
            calls = line_order(c for r in top for c in r.call)
            guidance = tuple(dict.fromkeys(r.advice for r in top if r.advice))
            mine = next((self._rule(f.rule_id) for f in ordered if f.speaker), None)
            if mine is None:
                return UrgencyResult("特急", ordered, calls, guidance, tuple(negated))
            others = [r for r in top if r.id != mine.id]
            return UrgencyResult(
                "特急", ordered, calls, guidance, tuple(negated),
                speaker_advice=mine.speaker_advice,
                others_calls=line_order(c for r in others for c in r.call),
                others_guidance=tuple(dict.fromkeys(r.advice for r in others if r.advice)))
        level = "紧急" if ordered else "一般"
        return UrgencyResult(level, ordered, (), self.everyday_guidance(ordered), tuple(negated))

    def everyday_guidance(self, findings: tuple[UrgencyFinding, ...]) -> tuple[str, ...]:
        """The advice of the 紧急 rules among these findings (softened dangers left out)."""
        advice = []
        for finding in findings:
            if finding.level != "紧急" or finding.softened is not None:
                continue
            rule = next((r for r in self.rules if r.id == finding.rule_id), None)
            if rule is not None and rule.level == "紧急" and rule.advice:
                advice.append(rule.advice)
        return tuple(dict.fromkeys(advice))

    def _rule(self, rule_id: str) -> UrgencyRule:
        return next(r for r in self.rules if r.id == rule_id)

    def _worried(self, window: str, hit: RuleHit, text: str, clause_end: int) -> bool:
        """A worry word before the danger, which is not told as happening ("担心着火" yes,
        "担心楼下着火了" no: that resident is reporting a fire)."""
        found = [m for p in self._worry if (m := p.search(window))]
        if not found:
            return False
        after = text[hit.end:clause_end]
        happening = any(hit.word.endswith(w) or after.startswith(w) for w in self._happening)
        told_as_future = any("会" in window[m.end():] for m in found)
        return told_as_future or not happening

    def _softening(self, rule: UrgencyRule, hit: RuleHit, text: str, drill: bool) -> str | None:
        """Why this 特急 hit does not count as 特急 (None: it does)."""
        allowed = rule.suppress
        if not allowed:
            return None
        c_start, c_end = clause_bounds(text, hit.start)
        before = text[c_start:hit.start]
        if "negation" in allowed and self._negation.search(before):
            return "negation"
        if "resolved" in allowed:
            # Resolution is told after the danger: in the same clause or the next one.
            _, next_end = clause_bounds(text, min(c_end + 1, len(text)))
            after = text[hit.start:max(next_end, c_end)]
            if any(w in after for w in self._resolved):
                return "resolved"
        if "drill" in allowed and drill:
            return "drill"
        window = text[max(c_start, hit.start - self._window):hit.start]
        if "hypothetical" in allowed and self._worried(window, hit, text, c_end):
            return "hypothetical"
        if "chronic" in allowed and any(p.search(text[hit.end:c_end])
                                        for p in self._chronic_after):
            return "chronic"  # "电梯关人了好几次了": told after the danger, in its clause
        # a past or chronic marker may also stand inside a pattern's own words: "电梯经常困人"
        told = window + text[hit.start:hit.end]
        for name in ("hypothetical", "past", "chronic"):
            seen = window if name == "hypothetical" else told
            if name in allowed and any(p.search(seen) for p in self._soft_patterns[name]):
                return name
        if ("narrative" in allowed and len(text) >= self._narrative_min
                and not any(w in text[c_start:c_end] for w in self._now)):
            return "narrative"
        return None
