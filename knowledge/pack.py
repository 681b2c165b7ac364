"""Load and validate a knowledge pack: one directory of YAML/CSV files describing one city.

The shipped pack (knowledge/data/) is the demo city; another city replaces the directory, not
code. Every file is checked on load and every cross-reference between files (a routing rule's
department, a community's street, a category path) is resolved; the first problem raises
KnowledgeError naming the file, the entry and the reason.
"""

from __future__ import annotations

import datetime as dt
import re
import string
import zoneinfo
from dataclasses import dataclass
from pathlib import Path

from knowledge.errors import KnowledgeError
from knowledge.records import (
    ADVICE_ALSO,
    COMPLEXITIES,
    DEFAULT_SUPPRESS,
    DEPARTMENT_KINDS,
    LEVELS,
    REQUEST_TYPES,
    SUPPRESSORS,
    UNIVERSALITIES,
    URGENCIES,
    Areas,
    CategoryNode,
    CategoryRoute,
    CollectiveMarkers,
    Community,
    ComplexityRule,
    ComplexityRules,
    DangerRoute,
    Department,
    District,
    Landmark,
    OtherDistrict,
    Policy,
    RequestTypeEntry,
    RequestTypeRules,
    Routing,
    RoutingRule,
    Street,
    Suppressors,
    Taxonomy,
    UrgencyDeadline,
    UrgencyRule,
    UrgencyRules,
)
from knowledge.schema import Node, display_path, read_csv, read_yaml

DEFAULT_PACK = Path(__file__).resolve().parent / "data"
FILES = (
    "taxonomy.csv",
    "taxonomy.yaml",
    "departments.yaml",
    "areas.yaml",
    "routing.yaml",
    "urgency.yaml",
    "complexity.yaml",
    "request_types.yaml",
    "collective.yaml",
    "policy.yaml",
)
_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]*$")


@dataclass(frozen=True)
class KnowledgePack:
    """Everything one city knows, validated. Build it with load_pack()."""

    path: Path
    taxonomy: Taxonomy
    departments: tuple[Department, ...]
    areas: Areas
    routing: Routing
    urgency: UrgencyRules
    complexity: ComplexityRules
    request_types: RequestTypeRules
    collective: CollectiveMarkers
    policy: Policy

    def department(self, code: str) -> Department:
        for dept in self.departments:
            if dept.code == code:
                return dept
        raise KeyError(code)

    def department_by_name(self, name: str) -> Department | None:
        """A department by its name or one of its aliases (what staff and residents type)."""
        for dept in self.departments:
            if name == dept.name or name in dept.aliases:
                return dept
        return None

    def departments_of_kind(self, kind: str) -> tuple[Department, ...]:
        return tuple(d for d in self.departments if kind in d.kinds)


def load_pack(path: str | Path | None = None) -> KnowledgePack:
    """Load the pack in ``path`` (default: the shipped demo city) or raise KnowledgeError."""
    root = Path(path) if path is not None else DEFAULT_PACK
    if not root.is_dir():
        raise KnowledgeError(display_path(root), "(directory)", "knowledge pack directory is missing")
    policy = _policy(root / "policy.yaml")
    taxonomy = _taxonomy(root / "taxonomy.csv", root / "taxonomy.yaml")
    areas = _areas(root / "areas.yaml")
    departments = _departments(root / "departments.yaml", areas)
    routing = _routing(root / "routing.yaml", departments, taxonomy)
    urgency = _urgency(root / "urgency.yaml", policy, taxonomy)
    teji = {r.id for r in urgency.rules if r.level == "特急"}
    for i, route in enumerate(routing.danger_rules):
        if route.danger not in teji:
            raise KnowledgeError(display_path(root / "routing.yaml"), f"danger_rules[{i}].danger",
                                 f"{route.danger!r} is not a 特急 rule of urgency.yaml")
    return KnowledgePack(
        path=root,
        taxonomy=taxonomy,
        departments=departments,
        areas=areas,
        routing=routing,
        urgency=urgency,
        complexity=_complexity(root / "complexity.yaml", taxonomy),
        request_types=_request_types(root / "request_types.yaml"),
        collective=_collective(root / "collective.yaml"),
        policy=policy,
    )


def _root(path: Path) -> Node:
    return Node(display_path(path), "", read_yaml(path))


def _split_path(node: Node, key: str) -> tuple[str, ...]:
    text = node.text(key)
    parts = tuple(p.strip() for p in text.split("/"))
    if not all(parts):
        node.fail(f"{text!r} is not a category path like 城乡建设/城乡规划", key)
    return parts


# -- taxonomy ----------------------------------------------------------------------------------
def _taxonomy(csv_path: Path, yaml_path: Path) -> Taxonomy:
    name = display_path(csv_path)
    nodes: dict[tuple[str, ...], CategoryNode] = {}
    first: list[str] = []
    for line, (l1, l2, l3) in read_csv(csv_path, ["level1", "level2", "level3"]):
        if not l1 or not l2:
            raise KnowledgeError(name, f"line {line}", "level1 and level2 must not be empty")
        if l1 not in first:
            first.append(l1)
        for path in ((l1,), (l1, l2), (l1, l2, l3) if l3 else None):
            if path and path not in nodes:
                nodes[path] = CategoryNode(path)
    root = _root(yaml_path)
    root.mapping(allowed={"nodes", "ignore"})
    seen: set[tuple[str, ...]] = set()
    for item in root.items("nodes"):
        item.mapping(allowed={"path", "keywords"})
        path = _split_path(item, "path")
        if path in seen:
            item.fail(f"{'/'.join(path)} is listed twice", "path")
        seen.add(path)
        if len(path) > 3:
            item.fail("a category path has at most three levels", "path")
        if path[0] not in first:
            item.fail(f"{path[0]!r} is not one of the first-level classes in taxonomy.csv", "path")
        if len(path) > 1 and path[:-1] not in nodes:
            item.fail(f"parent {'/'.join(path[:-1])} does not exist", "path")
        existing = nodes.get(path)
        nodes[path] = CategoryNode(path, item.words("keywords"), extension=existing is None)
    return Taxonomy(nodes=nodes, first_level=tuple(first), ignore=root.words("ignore"))


# -- areas -------------------------------------------------------------------------------------
def _coords(node: Node, *, required: bool) -> tuple[float | None, float | None]:
    data = node.mapping()
    if not required and data.get("lat") is None and data.get("lon") is None:
        return None, None
    return node.number("lat", lo=-90, hi=90), node.number("lon", lo=-180, hi=180)


def _areas(path: Path) -> Areas:
    root = _root(path)
    root.mapping(allowed={"district", "streets", "communities", "landmarks", "not_here",
                          "other_districts"})
    d = root.child("district")
    d.mapping(allowed={"code", "name", "full_name", "aliases", "lat", "lon", "max_distance_km"})
    district = District(
        code=d.text("code"),
        name=d.text("name"),
        full_name=d.text("full_name", required=False) or d.text("name"),
        aliases=d.words("aliases"),
        lat=d.number("lat", lo=-90, hi=90),
        lon=d.number("lon", lo=-180, hi=180),
        max_distance_km=d.number("max_distance_km", lo=0.1, default=20),
    )
    names: dict[str, str] = {}  # every name/alias -> where it was first defined

    def claim(node: Node, key: str, word: str) -> None:
        if word in names:
            node.fail(f"name {word!r} is already used by {names[word]}", key)
        names[word] = node.where

    streets: list[Street] = []
    codes: set[str] = set()
    for item in root.items("streets"):
        item.mapping(allowed={"code", "name", "kind", "aliases", "lat", "lon"})
        code = item.text("code")
        if code in codes:
            item.fail(f"code {code!r} is used twice", "code")
        codes.add(code)
        street = Street(
            code=code,
            name=item.text("name"),
            kind=item.choice("kind", ("街道", "镇", "乡")),
            aliases=item.words("aliases"),
            lat=item.number("lat", lo=-90, hi=90),
            lon=item.number("lon", lo=-180, hi=180),
        )
        for word in (street.name, *street.aliases):
            claim(item, "name", word)
        streets.append(street)
    if not streets:
        root.fail("must list at least one street or town", "streets")
    street_codes = {s.code for s in streets}
    communities: list[Community] = []
    for item in root.items("communities", required=False):
        item.mapping(allowed={"code", "name", "street", "aliases", "lat", "lon", "demo"})
        code = item.text("code")
        if code in codes:
            item.fail(f"code {code!r} is used twice", "code")
        codes.add(code)
        street = item.text("street")
        if street not in street_codes:
            item.fail(f"unknown street code {street!r}", "street")
        lat, lon = _coords(item, required=False)
        community = Community(code, item.text("name"), street, item.words("aliases"), lat, lon,
                              item.flag("demo"))
        for word in (community.name, *community.aliases):
            claim(item, "name", word)
        communities.append(community)
    community_street = {c.code: c.street for c in communities}
    landmarks: list[Landmark] = []
    for item in root.items("landmarks", required=False):
        item.mapping(allowed={"name", "aliases", "street", "community", "kind", "lat", "lon",
                              "confidence"})
        street = item.text("street")
        if street not in street_codes:
            item.fail(f"unknown street code {street!r}", "street")
        community = item.opt_text("community")
        if community is not None and community_street.get(community) != street:
            item.fail(f"{community!r} is not a community of street {street!r}", "community")
        lat, lon = _coords(item, required=False)
        landmark = Landmark(
            name=item.text("name"),
            aliases=item.words("aliases"),
            street=street,
            community=community,
            kind=item.choice("kind", ("road", "place", "estate", "building"), default="place"),
            lat=lat,
            lon=lon,
            confidence=item.number("confidence", lo=0.05, hi=1, default=1.0),
        )
        for word in (landmark.name, *landmark.aliases):
            claim(item, "name", word)
        landmarks.append(landmark)
    return Areas(district, tuple(streets), tuple(communities), tuple(landmarks),
                 root.words("not_here"), _other_districts(root, district))


def _other_districts(root: Node, district: District) -> tuple[OtherDistrict, ...]:
    """`other_districts`: each with name, aliases and places (a place is a name, or a list of
    its name and aliases). A name may also be one of ours: ours wins when a message is read
    (knowledge.gazetteer), so such a name is allowed, and never matches as the other district."""
    out: list[OtherDistrict] = []
    seen: dict[str, str] = {}

    def claim(node: Node, key: str, word: str) -> None:
        if word in seen:
            node.fail(f"name {word!r} is already used by {seen[word]}", key)
        if word == district.name or word in district.aliases:
            node.fail(f"{word!r} names this district ({district.name})", key)
        seen[word] = node.where

    for item in root.items("other_districts", required=False):
        item.mapping(allowed={"name", "aliases", "places"})
        name = item.text("name")
        aliases = item.words("aliases")
        for word in (name, *aliases):
            claim(item, "name", word)
        places: list[tuple[str, ...]] = []
        for place in item.items("places", required=False):
            words = place.value if isinstance(place.value, list) else [place.value]
            clean: list[str] = []
            for i, word in enumerate(words):
                if isinstance(word, int) and not isinstance(word, bool):
                    word = str(word)
                if not isinstance(word, str) or not word.strip():
                    place.fail(f"must be non-empty text, got {word!r}",
                               f"[{i}]" if isinstance(place.value, list) else None)
                claim(place, f"[{i}]" if isinstance(place.value, list) else "", word.strip())
                clean.append(word.strip())
            if not clean:
                place.fail("must name a place")
            places.append(tuple(clean))
        out.append(OtherDistrict(name, aliases, tuple(places)))
    return tuple(out)


# -- departments -------------------------------------------------------------------------------
def _departments(path: Path, areas: Areas) -> tuple[Department, ...]:
    root = _root(path)
    root.mapping(allowed={"departments"})
    items = root.items("departments")
    street_codes = {s.code for s in areas.streets}
    community_codes = {c.code for c in areas.communities}
    depts: list[Department] = []
    seen: dict[str, str] = {}
    for item in items:
        item.mapping(allowed={"code", "name", "level", "kinds", "aliases", "parent", "area",
                              "demo", "note"})
        code = item.text("code")
        if not _CODE.match(code):
            item.fail(f"{code!r} must be upper-case letters, digits and '-'", "code")
        name = item.text("name")
        for key, word in (("code", code), ("name", name)):
            if word in seen:
                item.fail(f"{word!r} is already used by {seen[word]}", key)
            seen[word] = item.where
        kinds = item.words("kinds", required=True)
        for i, kind in enumerate(kinds):
            if kind not in DEPARTMENT_KINDS:
                item.fail(f"{kind!r} is not one of {'/'.join(DEPARTMENT_KINDS)}", f"kinds[{i}]")
        aliases = item.words("aliases")
        for i, alias in enumerate(aliases):
            if alias in seen and alias != name:
                item.fail(f"alias {alias!r} is already used by {seen[alias]}", f"aliases[{i}]")
            seen[alias] = item.where
        level = item.choice("level", LEVELS)
        area = item.opt_text("area")
        if area is not None and area not in street_codes | community_codes:
            item.fail(f"unknown area code {area!r} (not a street or community in areas.yaml)",
                      "area")
        if "street_office" in kinds and (level != "街镇" or area not in street_codes):
            item.fail("a street_office must have level 街镇 and a street as its area", "kinds")
        if "community" in kinds and (level != "社区" or area not in community_codes):
            item.fail("a community must have level 社区 and a community as its area", "kinds")
        depts.append(Department(code, name, level, kinds, aliases, item.opt_text("parent"), area,
                                item.flag("demo")))
    codes = {d.code for d in depts}
    for item, dept in zip(items, depts, strict=True):
        if dept.parent is not None and dept.parent not in codes:
            item.fail(f"unknown department code {dept.parent!r}", "parent")
        # Walk up the parents: a loop would make escalation run forever.
        seen_chain, current = {dept.code}, dept.parent
        parents = {d.code: d.parent for d in depts}
        while current is not None:
            if current in seen_chain:
                item.fail(f"parent chain loops back to {current!r}", "parent")
            seen_chain.add(current)
            current = parents[current]
    if not any("dispatch" in d.kinds for d in depts):
        root.fail("one department must have kind 'dispatch' (takes slips nobody else fits)",
                  "departments")
    return tuple(depts)


def _department_ref(node: Node, key: str, ref: str, depts: tuple[Department, ...]) -> str:
    """A department code or "@kind", with alternatives separated by '|'."""
    for option in (o.strip() for o in ref.split("|")):
        if option.startswith("@"):
            kind = option[1:]
            if kind not in DEPARTMENT_KINDS:
                node.fail(f"{ref!r}: {kind!r} is not one of {'/'.join(DEPARTMENT_KINDS)}", key)
            if not any(kind in d.kinds for d in depts):
                node.fail(f"{ref!r}: no department has kind {kind!r}", key)
        elif not any(d.code == option for d in depts):
            node.fail(f"unknown department code {option!r}", key)
    return ref


# -- routing -----------------------------------------------------------------------------------
def _routing(path: Path, depts: tuple[Department, ...], taxonomy: Taxonomy) -> Routing:
    root = _root(path)
    root.mapping(allowed={"rules", "category_rules", "danger_rules", "ignore"})
    rules: list[RoutingRule] = []
    ids: set[str] = set()
    for item in root.items("rules"):
        item.mapping(allowed={"id", "topic", "keywords", "patterns", "lead", "co", "priority",
                              "handling_level", "exclusive"})
        rule_id = item.text("id")
        if rule_id in ids:
            item.fail(f"id {rule_id!r} is used twice", "id")
        ids.add(rule_id)
        keywords, patterns = item.words("keywords"), item.patterns("patterns")
        if not keywords and not patterns:
            item.fail("a rule needs keywords or patterns", "keywords")
        co = item.words("co")
        rules.append(RoutingRule(
            id=rule_id,
            topic=item.text("topic"),
            keywords=keywords,
            patterns=patterns,
            lead=_department_ref(item, "lead", item.text("lead"), depts),
            co=tuple(_department_ref(item, f"co[{i}]", c, depts) for i, c in enumerate(co)),
            priority=item.integer("priority", lo=-100, hi=100, default=0),
            handling_level=(item.choice("handling_level", LEVELS)
                            if item.mapping().get("handling_level") is not None else None),
            exclusive=item.flag("exclusive"),
        ))
    cat_rules: list[CategoryRoute] = []
    for item in root.items("category_rules", required=False):
        item.mapping(allowed={"category", "lead", "co"})
        category = _split_path(item, "category")
        if not taxonomy.has(category):
            item.fail(f"category {'/'.join(category)} is not in the taxonomy", "category")
        co = item.words("co")
        cat_rules.append(CategoryRoute(
            category,
            _department_ref(item, "lead", item.text("lead"), depts),
            tuple(_department_ref(item, f"co[{i}]", c, depts) for i, c in enumerate(co)),
        ))
    danger_rules: list[DangerRoute] = []
    for item in root.items("danger_rules", required=False):
        item.mapping(allowed={"danger", "lead", "co"})
        danger = item.text("danger")
        if any(d.danger == danger for d in danger_rules):
            item.fail(f"danger {danger!r} is listed twice", "danger")
        co = item.words("co")
        danger_rules.append(DangerRoute(
            danger,
            _department_ref(item, "lead", item.text("lead"), depts),
            tuple(_department_ref(item, f"co[{i}]", c, depts) for i, c in enumerate(co)),
        ))
    return Routing(tuple(rules), tuple(cat_rules), root.words("ignore"), tuple(danger_rules))


# -- urgency -----------------------------------------------------------------------------------
def _urgency(path: Path, policy: Policy, taxonomy: Taxonomy) -> UrgencyRules:
    root = _root(path)
    root.mapping(allowed={"suppressors", "特急", "紧急"})
    s = root.child("suppressors")
    s.mapping(allowed={"negation", "resolved", "drill", "hypothetical", "worry", "happening",
                       "past", "chronic", "chronic_after", "window", "narrative"})
    neg = s.child("negation")
    neg.mapping(allowed={"words", "fillers", "not_after"})
    suppressors = Suppressors(
        negation_words=neg.words("words", required=True),
        fillers=neg.words("fillers"),
        not_after=neg.words("not_after"),
        resolved=s.words("resolved"),
        drill=s.words("drill"),
        hypothetical=s.patterns("hypothetical"),
        worry=s.patterns("worry"),
        happening=s.words("happening"),
        past=s.patterns("past"),
        chronic=s.patterns("chronic"),
        chronic_after=s.patterns("chronic_after"),
        window=s.integer("window", lo=1, hi=40, default=8),
        **_narrative(s),
    )
    rules: list[UrgencyRule] = []
    ids: set[str] = set()
    for level in ("特急", "紧急"):
        for item in root.items(level):
            item.mapping(allowed={"id", "label", "call", "advice", "keywords", "patterns",
                                  "unless", "also", "suppress", "category", "speaker",
                                  "bounds"})
            rule_id = item.text("id")
            if rule_id in ids:
                item.fail(f"id {rule_id!r} is used twice", "id")
            ids.add(rule_id)
            keywords, patterns = item.words("keywords"), item.patterns("patterns")
            if not keywords and not patterns:
                item.fail("a rule needs keywords or patterns", "keywords")
            call = item.words("call")
            for i, number in enumerate(call):
                if number not in policy.emergency_lines:
                    item.fail(f"{number!r} is not in policy.yaml emergency_lines", f"call[{i}]")
            if level == "特急" and not call:
                item.fail("a 特急 rule must name the emergency line(s) to call", "call")
            suppress = (item.words("suppress") if "suppress" in item.mapping()
                        else DEFAULT_SUPPRESS)
            category_text = item.text("category", required=False, default="")
            category = tuple(category_text.split("/")) if category_text else ()
            if category and not taxonomy.has(category):
                item.fail(f"category {category_text} is not in the taxonomy", "category")
            for i, name in enumerate(suppress):
                if name not in SUPPRESSORS:
                    item.fail(f"{name!r} is not one of {'/'.join(SUPPRESSORS)}", f"suppress[{i}]")
            speaker_patterns, speaker_advice = _speaker(item, level)
            bounds = item.words("bounds")
            if bounds and level != "紧急":
                item.fail("only a 紧急 rule bounds the urgency model", "bounds")
            for i, danger in enumerate(bounds):
                if not any(r.id == danger and r.level == "特急" for r in rules):
                    item.fail(f"{danger!r} is not the id of a 特急 rule", f"bounds[{i}]")
            rules.append(UrgencyRule(
                id=rule_id,
                level=level,
                label=item.text("label"),
                keywords=keywords,
                patterns=patterns,
                call=call,
                advice=item.text("advice", required=False, default=""),
                unless=item.words("unless"),
                also=item.patterns("also"),
                suppress=tuple(suppress),
                category=category,
                speaker_patterns=speaker_patterns,
                speaker_advice=speaker_advice,
                bounds=bounds,
            ))
    return UrgencyRules(suppressors, tuple(rules))


def _speaker(item: Node, level: str) -> tuple[tuple[re.Pattern[str], ...], str]:
    """A rule's `speaker:` block: how a resident who is themselves in danger says so, and what
    they are told instead of the bystanders' advice."""
    if item.mapping().get("speaker") is None:
        return (), ""
    speaker = item.child("speaker")
    speaker.mapping(allowed={"patterns", "advice"})
    if level != "特急":
        speaker.fail("only a 特急 rule has advice for the resident in danger", "patterns")
    patterns = speaker.patterns("patterns")
    if not patterns:
        speaker.fail("needs at least one pattern", "patterns")
    return patterns, speaker.text("advice")


def _narrative(s: Node) -> dict[str, object]:
    if s.mapping().get("narrative") is None:
        return {"narrative_min_chars": 300, "now_words": ()}
    n = s.child("narrative")
    n.mapping(allowed={"min_chars", "now"})
    return {"narrative_min_chars": n.integer("min_chars", lo=20), "now_words": n.words("now")}


# -- complexity / request types / collective ---------------------------------------------------
def _complexity(path: Path, taxonomy: Taxonomy) -> ComplexityRules:
    root = _root(path)
    root.mapping(allowed={"复杂", "简单", "categories", "derived"})
    rules: list[ComplexityRule] = []
    for level in ("复杂", "简单"):
        for item in root.items(level):
            item.mapping(allowed={"id", "label", "keywords", "patterns"})
            keywords, patterns = item.words("keywords"), item.patterns("patterns")
            if not keywords and not patterns:
                item.fail("a rule needs keywords or patterns", "keywords")
            rules.append(ComplexityRule(item.text("id"), level, item.text("label"), keywords,
                                        patterns))
    cats: list[tuple[str, ...]] = []
    if root.mapping().get("categories") is not None:
        c = root.child("categories")
        c.mapping(allowed={"复杂"})
        for i, text in enumerate(c.words("复杂")):
            path_ = tuple(text.split("/"))
            if not taxonomy.has(path_):
                c.fail(f"category {text} is not in the taxonomy", f"复杂[{i}]")
            cats.append(path_)
    d = root.child("derived")
    d.mapping(allowed={"departments_complex", "departments_general", "group_not_simple",
                       "consultation_simple"})
    return ComplexityRules(
        rules=tuple(rules),
        complex_categories=tuple(cats),
        departments_complex=d.integer("departments_complex", lo=2, default=3),
        departments_general=d.integer("departments_general", lo=2, default=2),
        group_not_simple=d.flag("group_not_simple", default=True),
        consultation_simple=d.flag("consultation_simple", default=True),
    )


def _request_types(path: Path) -> RequestTypeRules:
    root = _root(path)
    root.mapping(allowed={"default", "order", "types"})
    order = root.words("order", required=True)
    for i, t in enumerate(order):
        if t not in REQUEST_TYPES:
            root.fail(f"{t!r} is not one of {'/'.join(REQUEST_TYPES)}", f"order[{i}]")
    if set(order) != set(REQUEST_TYPES):
        root.fail(f"must list each of {'/'.join(REQUEST_TYPES)} once", "order")
    entries: list[RequestTypeEntry] = []
    for name, node in root.entries("types"):
        if name not in REQUEST_TYPES:
            node.fail(f"{name!r} is not one of {'/'.join(REQUEST_TYPES)}")
        items = [Node(node.file, f"{node.where}[{i}]", v) for i, v in enumerate(node.value or [])]
        if not isinstance(node.value, list):
            node.fail("must be a list of {weight, words/patterns} entries")
        for item in items:
            item.mapping(allowed={"weight", "words", "patterns"})
            words, patterns = item.words("words"), item.patterns("patterns")
            if not words and not patterns:
                item.fail("an entry needs words or patterns", "words")
            entries.append(RequestTypeEntry(name, item.number("weight", lo=0, default=1), words,
                                            patterns))
    return RequestTypeRules(root.choice("default", REQUEST_TYPES), order, tuple(entries))


def _collective(path: Path) -> CollectiveMarkers:
    root = _root(path)
    root.mapping(allowed={"群体", "多人", "counts"})
    counts = root.child("counts")
    counts.mapping(allowed={"units", "group", "several"})
    group = counts.integer("group", lo=2)
    several = counts.integer("several", lo=2)
    if several > group:
        counts.fail(f"must not be larger than group ({group})", "several")
    return CollectiveMarkers(
        group=root.words("群体", required=True),
        several=root.words("多人", required=True),
        units=counts.words("units", required=True),
        group_count=group,
        several_count=several,
    )


# -- policy ------------------------------------------------------------------------------------
_ADVICE_FIELDS = {"lines", "guidance", "hours", "response_days", "completion_days", "department"}


def _dates(node: Node, key: str) -> frozenset[dt.date]:
    """A list of dates; YAML reads 2027-10-01 as a date already, '2027-10-01' as text."""
    values = node.mapping().get(key) or []
    if not isinstance(values, list):
        node.fail("must be a list of dates like 2027-10-01", key)
    out = set()
    for i, value in enumerate(values):
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            out.add(value)
            continue
        try:
            out.add(dt.date.fromisoformat(str(value)))
        except ValueError:
            node.fail(f"{value!r} is not a date like 2027-10-01", f"{key}[{i}]")
    return frozenset(out)


def _policy(path: Path) -> Policy:
    root = _root(path)
    root.mapping(allowed={"timezone", "deadlines", "lights", "calendar", "classification",
                          "universality", "handling_level", "emergency_lines", "advice"})
    tz = root.text("timezone")
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        root.fail(f"{tz!r} is not a known time zone", "timezone")
    d = root.child("deadlines")
    d.mapping(allowed={*URGENCIES, "completion_working_days", "request_types",
                       "extension_max_working_days", "return_working_days",
                       "urge_gap_hours"})
    urgency: dict[str, UrgencyDeadline] = {}
    for level in URGENCIES:
        u = d.child(level) if level in d.mapping() else d.fail("is required", level)
        u.mapping(allowed={"response_hours", "response_working_days", "alert_duty_officer"})
        hours = u.mapping().get("response_hours")
        days = u.mapping().get("response_working_days")
        if (hours is None) == (days is None):
            u.fail("give exactly one of response_hours / response_working_days")
        urgency[level] = UrgencyDeadline(
            response_hours=u.integer("response_hours", lo=1, hi=720) if hours is not None else None,
            response_working_days=(u.integer("response_working_days", lo=1, hi=60)
                                   if days is not None else None),
            alert_duty_officer=u.flag("alert_duty_officer"),
        )
    c = d.child("completion_working_days")
    c.mapping(allowed=set(COMPLEXITIES))
    completion = {k: c.integer(k, lo=1, hi=365) for k in COMPLEXITIES}
    per_type: dict[str, int] = {}
    if d.mapping().get("request_types") is not None:
        for name, node in d.entries("request_types"):
            if name not in REQUEST_TYPES:
                node.fail(f"{name!r} is not one of {'/'.join(REQUEST_TYPES)}")
            node.mapping(allowed={"completion_working_days"})
            per_type[name] = node.integer("completion_working_days", lo=1, hi=365)
    lights = root.child("lights")
    lights.mapping(allowed={"yellow", "red"})
    yellow = lights.number("yellow", lo=0.01, hi=1)
    red = lights.number("red", lo=0.01, hi=2)
    if yellow >= red:
        lights.fail(f"must be below red ({red})", "yellow")
    cal = root.child("calendar")
    cal.mapping(allowed={"extra_holidays", "extra_workdays"})
    holidays, workdays = _dates(cal, "extra_holidays"), _dates(cal, "extra_workdays")
    both = sorted(holidays & workdays)
    if both:
        cal.fail(f"{both[0].isoformat()} is listed as both a holiday and a workday",
                 "extra_workdays")
    cl = root.child("classification")
    cl.mapping(allowed={"low_confidence_threshold", "category_keyword_weight"})
    un = root.child("universality")
    un.mapping(allowed={"window_days", "min_score", "same_topic_min_text", "several_similar",
                        "group_similar"})
    several = un.integer("several_similar", lo=1, default=1)
    group = un.integer("group_similar", lo=1, default=4)
    if several > group:
        un.fail(f"must not be larger than group_similar ({group})", "several_similar")
    hl = root.child("handling_level")
    hl.mapping(allowed={"district_if", "street_if"})
    district_if = _conditions(hl.child("district_if"))
    street = hl.child("street_if")
    street.mapping(allowed={"universality", "min_departments"})
    street_univ = street.words("universality")
    for i, value in enumerate(street_univ):
        if value not in UNIVERSALITIES:
            street.fail(f"{value!r} is not one of {'/'.join(UNIVERSALITIES)}", f"universality[{i}]")
    lines = root.child("emergency_lines")
    emergency = {str(k): lines.text(k) for k in lines.mapping()}
    adv = root.child("advice")
    given = adv.mapping(allowed={*URGENCIES, "咨询", "low_confidence", ADVICE_ALSO})
    advice = {}
    for key in (*URGENCIES, "咨询", "low_confidence", ADVICE_ALSO):
        if key == ADVICE_ALSO and key not in given:
            continue  # optional: without it a resident in danger hears only their own words
        template = adv.text(key)
        try:
            fields = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
        except ValueError as exc:
            adv.fail(f"bad placeholder ({exc})", key)
        unknown = sorted(fields - _ADVICE_FIELDS)
        if unknown:
            adv.fail(f"unknown placeholder {{{unknown[0]}}} (allowed: "
                     f"{', '.join(sorted(_ADVICE_FIELDS))})", key)
        advice[key] = template
    return Policy(
        timezone=tz,
        urgency_deadlines=urgency,
        completion_working_days=completion,
        request_type_completion=per_type,
        extension_max_working_days=d.integer("extension_max_working_days", lo=0, hi=365),
        return_working_days=d.integer("return_working_days", lo=1, hi=30),
        urge_gap_hours=d.integer("urge_gap_hours", lo=0, hi=168, default=4),
        yellow=yellow,
        red=red,
        extra_holidays=holidays,
        extra_workdays=workdays,
        low_confidence_threshold=cl.number("low_confidence_threshold", lo=0, hi=1),
        category_keyword_weight=cl.number("category_keyword_weight", lo=0, hi=5, default=0.6),
        similar_window_days=un.integer("window_days", lo=1, hi=3650),
        similar_min_score=un.number("min_score", lo=0.01, hi=1),
        similar_topic_floor=un.number("same_topic_min_text", lo=0.01, hi=1, default=0.1),
        several_similar=several,
        group_similar=group,
        district_if=district_if,
        street_if_universality=frozenset(street_univ),
        street_if_min_departments=street.integer("min_departments", lo=2, default=2),
        emergency_lines=emergency,
        advice=advice,
    )


def _conditions(node: Node) -> dict[str, frozenset[str]]:
    allowed = {"urgency": URGENCIES, "complexity": COMPLEXITIES, "universality": UNIVERSALITIES}
    node.mapping(allowed=set(allowed))
    out = {}
    for key, choices in allowed.items():
        values = node.words(key)
        for i, value in enumerate(values):
            if value not in choices:
                node.fail(f"{value!r} is not one of {'/'.join(choices)}", f"{key}[{i}]")
        out[key] = frozenset(values)
    return out
