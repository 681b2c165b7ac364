"""The typed records a knowledge pack is made of (one city's data, loaded by knowledge.pack)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

LEVELS = ("区", "街镇", "社区")  # low to high is 社区 < 街镇 < 区, see LEVEL_RANK
LEVEL_RANK = {"社区": 0, "街镇": 1, "区": 2}
URGENCIES = ("特急", "紧急", "一般")
# policy.yaml advice: said after a resident's own danger words when they tell of another
# danger too (optional)
ADVICE_ALSO = "特急_另有险情"
COMPLEXITIES = ("简单", "一般", "复杂")
REQUEST_TYPES = ("咨询", "求助", "投诉", "举报", "建议")
UNIVERSALITIES = ("个体", "多人", "群体")
ROLES = ("主办", "协办")
DEPARTMENT_KINDS = (
    "dispatch",
    "bureau",
    "police",
    "street_office",
    "community",
    "mediation",
    "volunteer",
    "utility",
    "enterprise_service",
)
SUPPRESSORS = ("negation", "resolved", "drill", "hypothetical", "past", "chronic", "narrative")
DEFAULT_SUPPRESS = ("negation", "resolved", "drill", "hypothetical")

Path_ = tuple[str, ...]


# -- taxonomy ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class CategoryNode:
    path: Path_
    keywords: tuple[str, ...] = ()
    extension: bool = False  # added by the city, not in the board's tree


@dataclass(frozen=True)
class Taxonomy:
    nodes: dict[Path_, CategoryNode]
    first_level: tuple[str, ...]
    # longer words that contain a keyword and mean something else ("没有电话" holds "没有电")
    ignore: tuple[str, ...] = ()

    def has(self, path: Path_) -> bool:
        return tuple(path) in self.nodes


# -- departments -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Department:
    code: str
    name: str
    level: str
    kinds: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    parent: str | None = None
    area: str | None = None
    demo: bool = False


# -- areas -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class District:
    code: str
    name: str
    full_name: str
    aliases: tuple[str, ...]
    lat: float
    lon: float
    max_distance_km: float


@dataclass(frozen=True)
class Street:
    code: str
    name: str
    kind: str  # 街道 / 镇 / 乡
    aliases: tuple[str, ...]
    lat: float
    lon: float


@dataclass(frozen=True)
class Community:
    code: str
    name: str
    street: str
    aliases: tuple[str, ...]
    lat: float | None
    lon: float | None
    demo: bool = False


@dataclass(frozen=True)
class Landmark:
    name: str
    aliases: tuple[str, ...]
    street: str
    community: str | None
    kind: str
    lat: float | None
    lon: float | None
    confidence: float = 1.0


@dataclass(frozen=True)
class OtherDistrict:
    """Another district of the same city and its best-known places: a place named here is not
    ours, and the resident is told whose it is."""

    name: str
    aliases: tuple[str, ...]
    places: tuple[tuple[str, ...], ...]  # each place: its name, then its aliases


@dataclass(frozen=True)
class Areas:
    district: District
    streets: tuple[Street, ...]
    communities: tuple[Community, ...]
    landmarks: tuple[Landmark, ...]
    not_here: tuple[str, ...] = ()
    other_districts: tuple[OtherDistrict, ...] = ()

    def street(self, code: str) -> Street | None:
        return next((s for s in self.streets if s.code == code), None)

    def community(self, code: str) -> Community | None:
        return next((c for c in self.communities if c.code == code), None)


# -- rules -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RoutingRule:
    id: str
    topic: str
    keywords: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]
    lead: str  # department code, or "@kind"
    co: tuple[str, ...] = ()
    priority: int = 0
    handling_level: str | None = None
    # when it is the strongest rule fired, no other rule adds a department (a report of an
    # official taking bribes goes to the discipline commission alone, never to their own office)
    exclusive: bool = False


@dataclass(frozen=True)
class CategoryRoute:
    category: Path_
    lead: str
    co: tuple[str, ...] = ()


@dataclass(frozen=True)
class DangerRoute:
    """Who handles a 特急 danger (an urgency.yaml 特急 rule id), whatever the words suggest."""

    danger: str
    lead: str
    co: tuple[str, ...] = ()


@dataclass(frozen=True)
class Routing:
    rules: tuple[RoutingRule, ...]
    category_rules: tuple[CategoryRoute, ...]
    ignore: tuple[str, ...] = ()
    danger_rules: tuple[DangerRoute, ...] = ()


@dataclass(frozen=True)
class UrgencyRule:
    id: str
    level: str  # 特急 / 紧急
    label: str
    keywords: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]
    call: tuple[str, ...] = ()
    advice: str = ""
    unless: tuple[str, ...] = ()
    also: tuple[re.Pattern[str], ...] = ()
    suppress: tuple[str, ...] = DEFAULT_SUPPRESS
    # the category this danger belongs to, whatever else the words suggest (a smell of gas is
    # 燃气, though the classifier hears 环境保护 in "味")
    category: tuple[str, ...] = ()
    # The resident is the one in danger ("我不想活了"): what they are told instead of the
    # whole 特急 advice, which speaks to bystanders ("陪在当事人身边").
    speaker_patterns: tuple[re.Pattern[str], ...] = ()
    speaker_advice: str = ""
    # A 紧急 rule's `bounds`: the 特急 dangers of its own kind the urgency model may not raise
    # its hit to ("楼上漏水把家淹了" is a flooded flat, 积水/进水, not a flood with people in it).
    bounds: tuple[str, ...] = ()

    def about_speaker(self, text: str) -> bool:
        return any(p.search(text) for p in self.speaker_patterns)


@dataclass(frozen=True)
class Suppressors:
    negation_words: tuple[str, ...]
    fillers: tuple[str, ...]
    not_after: tuple[str, ...]
    resolved: tuple[str, ...]
    drill: tuple[str, ...]
    hypothetical: tuple[re.Pattern[str], ...]
    past: tuple[re.Pattern[str], ...]
    chronic: tuple[re.Pattern[str], ...]
    window: int
    # worry words ("担心", "怕") soften only a danger not told as happening ("着火了"): see
    # UrgencyAssessor._softening
    worry: tuple[re.Pattern[str], ...] = ()
    happening: tuple[str, ...] = ()
    narrative_min_chars: int = 300
    now_words: tuple[str, ...] = ()
    # a chronic marker said after the danger, in its clause ("电梯关人了好几次了")
    chronic_after: tuple[re.Pattern[str], ...] = ()


@dataclass(frozen=True)
class UrgencyRules:
    suppressors: Suppressors
    rules: tuple[UrgencyRule, ...]


@dataclass(frozen=True)
class ComplexityRule:
    id: str
    level: str  # 复杂 / 简单
    label: str
    keywords: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...] = ()


@dataclass(frozen=True)
class ComplexityRules:
    rules: tuple[ComplexityRule, ...]
    complex_categories: tuple[Path_, ...]
    departments_complex: int
    departments_general: int
    group_not_simple: bool
    consultation_simple: bool


@dataclass(frozen=True)
class RequestTypeEntry:
    type: str
    weight: float
    words: tuple[str, ...] = ()
    patterns: tuple[re.Pattern[str], ...] = ()


@dataclass(frozen=True)
class RequestTypeRules:
    default: str
    order: tuple[str, ...]
    entries: tuple[RequestTypeEntry, ...]


@dataclass(frozen=True)
class CollectiveMarkers:
    group: tuple[str, ...]
    several: tuple[str, ...]
    units: tuple[str, ...]
    group_count: int
    several_count: int


@dataclass(frozen=True)
class UrgencyDeadline:
    response_hours: int | None = None
    response_working_days: int | None = None
    alert_duty_officer: bool = False


@dataclass(frozen=True)
class Policy:
    timezone: str
    urgency_deadlines: dict[str, UrgencyDeadline]
    completion_working_days: dict[str, int]
    request_type_completion: dict[str, int]
    extension_max_working_days: int
    return_working_days: int
    yellow: float
    red: float
    extra_holidays: frozenset = field(default_factory=frozenset)
    extra_workdays: frozenset = field(default_factory=frozenset)
    low_confidence_threshold: float = 0.5
    category_keyword_weight: float = 0.6
    similar_window_days: int = 30
    similar_min_score: float = 0.5
    similar_topic_floor: float = 0.1
    several_similar: int = 1
    group_similar: int = 4
    district_if: dict[str, frozenset[str]] = field(default_factory=dict)
    street_if_universality: frozenset[str] = frozenset()
    street_if_min_departments: int = 2
    emergency_lines: dict[str, str] = field(default_factory=dict)
    advice: dict[str, str] = field(default_factory=dict)
    # a resident's 催办 counts once in this many hours; another within them is a 补充
    urge_gap_hours: int = 4
