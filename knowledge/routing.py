"""Departments (主办 + 协办) and handling level (社区 / 街镇 / 区).

Topic rules from routing.yaml fire on words; several topics in one message give several
departments. A 特急 danger (danger_rules) leads over them all: the topics' departments become its
co-handlers. With no topic, the category decides; with no category rule either, the street
office of the complaint's area takes it (属地兜底), or the dispatch desk when the area is unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from knowledge.gazetteer import AreaMatch
from knowledge.matching import KeywordSet, Prescan, RuleMatcher, RuleSpec, distinct_words
from knowledge.pack import KnowledgePack
from knowledge.records import LEVEL_RANK, Department, Policy


@dataclass(frozen=True)
class Assignment:
    code: str
    name: str
    role: str  # 主办 / 协办
    level: str  # 区 / 街镇 / 社区

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "code": self.code, "role": self.role, "level": self.level}


@dataclass(frozen=True)
class RoutingDecision:
    departments: tuple[Assignment, ...]  # lead first
    rules: tuple[dict[str, object], ...]  # topic rules that fired, strongest first
    fallback: str | None = None  # None / "category" / "属地兜底" / "dispatch"
    handling_hint: str | None = None
    danger: str | None = None  # the 特急 danger (urgency rule id) whose units lead
    hint_units: int = 0  # departments the rule that gave handling_hint brought with it

    @property
    def lead(self) -> Assignment:
        return self.departments[0]

    @property
    def units_to_coordinate(self) -> int:
        """Departments that count towards raising the handling level. The co-handlers of the
        topic that set its level come with it ("楼道灯坏了": the community leads, the housing
        commission looks on), so they count as one unit with its lead; departments another
        topic brought count each."""
        return len(self.departments) - max(0, self.hint_units - 1)


class Router:
    def __init__(self, pack: KnowledgePack) -> None:
        self.pack = pack
        self._rules = pack.routing.rules
        self._matcher = RuleMatcher(
            (RuleSpec(r.keywords, r.patterns) for r in self._rules),
            ignore=pack.routing.ignore,
            maximal=True,
        )
        self._by_code = {d.code: d for d in pack.departments}
        self._dispatch = next(d for d in pack.departments if "dispatch" in d.kinds)
        self._dangers = {r.danger: r for r in pack.routing.danger_rules}

    # -- departments ---------------------------------------------------------------------------
    def resolve(self, ref: str, area: AreaMatch | None) -> Department | None:
        """A department code, or "@kind" (alternatives with '|'), for a complaint in ``area``."""
        for option in ref.split("|"):
            option = option.strip()
            if not option.startswith("@"):
                return self._by_code.get(option)
            found = self._nearest_of_kind(option[1:], area)
            if found is not None:
                return found
        return None

    def _nearest_of_kind(self, kind: str, area: AreaMatch | None) -> Department | None:
        candidates = [d for d in self.pack.departments if kind in d.kinds]
        places = [p for p in ((area.community_code, area.street_code) if area else ()) if p]
        for place in places:
            for dept in candidates:
                if dept.area == place:
                    return dept
        # A district-wide unit of that kind (no area of its own) serves everywhere.
        return next((d for d in candidates if d.area is None), None)

    @property
    def keyword_sets(self) -> tuple[KeywordSet[Any], ...]:
        return self._matcher.keyword_sets

    def topics(self, text: str, scan: Prescan | None = None) -> frozenset[str]:
        """The ids of the rules whose words are in normalised ``text`` (what it is about)."""
        return frozenset(self._rules[hit.rule].id for hit in self._matcher.find(text, scan))

    def route(self, text: str, *, category: tuple[str, ...] = (),
              area: AreaMatch | None = None, scan: Prescan | None = None,
              category_confident: bool = True, danger: str | None = None,
              also_dangers: tuple[str, ...] = (), shown: str | None = None) -> RoutingDecision:
        """Departments for normalised ``text`` about ``category`` in ``area``.

        ``category_confident=False``: the category is a guess, so it does not pick a department
        (the street office or the dispatch desk does instead).
        ``danger``: the 特急 danger (urgency rule id); its danger_rules units lead when it has one.
        ``also_dangers``: other 特急 dangers told with it (跳楼 and 着火): their units co-handle.
        ``shown``: the text the explanation quotes words from, when ``text`` has parts blanked
        out (place names, same length).
        """
        fired: dict[int, list] = {}
        for hit in self._matcher.find(text, scan):
            fired.setdefault(hit.rule, []).append(hit)
        order = sorted(fired, key=lambda i: (-self._rules[i].priority, fired[i][0].start, i))
        chosen: list[tuple[Department, str]] = []
        explained: list[dict[str, object]] = []
        hint: str | None = None
        hint_units = 0
        route = self._dangers.get(danger) if danger else None
        if route is not None:
            lead = self.resolve(route.lead, area)
            cos = [d for d in (self.resolve(c, area) for c in route.co) if d is not None]
            if lead is None and cos:
                lead, cos = cos[0], cos[1:]
            if lead is not None:
                self._add(chosen, lead, cos)
            else:
                route = None
        if route is None:
            danger = None
        else:
            for other in also_dangers:
                more = self._dangers.get(other)
                units = [self.resolve(u, area) for u in (more.lead, *more.co)] if more else []
                self._add(chosen, chosen[0][0], [d for d in units if d is not None])
        for index in order:
            rule = self._rules[index]
            lead = self.resolve(rule.lead, area)
            cos = [d for d in (self.resolve(c, area) for c in rule.co) if d is not None]
            if lead is None and cos:
                lead, cos = cos[0], cos[1:]
            if lead is None:
                continue
            if not chosen and rule.handling_level:
                hint = rule.handling_level
            self._add(chosen, lead, cos)
            if hint is not None and not explained:
                hint_units = len(chosen)
            explained.append({
                "rule": rule.id,
                "topic": rule.topic,
                "words": list(distinct_words(shown[h.start:h.end] if shown else h.word
                                             for h in fired[index])),
                "lead": lead.code,
                "co": [d.code for d in cos],
            })
            if rule.exclusive and len(explained) == 1 and danger is None:
                break  # the strongest rule keeps the slip to its own departments
        fallback = None
        if not chosen and category_confident:
            route = self._category_route(category)
            if route is not None:
                lead = self.resolve(route.lead, area)
                cos = [d for d in (self.resolve(c, area) for c in route.co) if d is not None]
                if lead is None and cos:
                    lead, cos = cos[0], cos[1:]
                if lead is not None:
                    self._add(chosen, lead, cos)
                    fallback = "category"
        if not chosen:
            office = self.resolve("@street_office", area)
            if office is not None:
                self._add(chosen, office, [])
                fallback = "属地兜底"
            else:
                self._add(chosen, self._dispatch, [])
                fallback = "dispatch"
        departments = tuple(
            Assignment(d.code, d.name, role, d.level) for d, role in chosen
        )
        return RoutingDecision(departments, tuple(explained), fallback, hint, danger, hint_units)

    @staticmethod
    def _add(chosen: list[tuple[Department, str]], lead: Department,
             cos: list[Department]) -> None:
        codes = {d.code for d, _ in chosen}
        for dept in (lead, *cos):
            if dept.code not in codes:
                chosen.append((dept, "主办" if not chosen else "协办"))
                codes.add(dept.code)

    def _category_route(self, category: tuple[str, ...]):  # noqa: ANN202 - CategoryRoute | None
        best = None
        for route in self.pack.routing.category_rules:
            n = len(route.category)
            if tuple(category[:n]) == route.category and (best is None or n > len(best.category)):
                best = route
        return best


def handling_level(
    policy: Policy,
    lead_level: str,
    *,
    urgency: str,
    complexity: str,
    universality: str,
    departments: int,
    hint: str | None = None,
    area_known: bool = False,
) -> str:
    """社区 / 街镇 / 区 at which the slip is worked.

    The topic's level (``hint``) when the case is plain — one resident, not urgent, not
    complex, in a known area — otherwise the lead department's; then raised by the policy.yaml
    rules (特急/复杂/群体 → 区; 多人 or several departments → at least 街镇).
    """
    level = lead_level
    plain = (area_known and urgency == "一般" and complexity != "复杂"
             and universality == "个体")
    if hint is not None and (plain or LEVEL_RANK[hint] > LEVEL_RANK[level]):
        level = hint
    cond = policy.district_if
    if (urgency in cond.get("urgency", ()) or complexity in cond.get("complexity", ())
            or universality in cond.get("universality", ())):
        return "区"
    if ((universality in policy.street_if_universality
         or departments >= policy.street_if_min_departments)
            and LEVEL_RANK[level] < LEVEL_RANK["街镇"]):
        level = "街镇"
    return level
