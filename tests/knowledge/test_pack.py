"""The knowledge pack: what the shipped demo city contains, and how a broken file is reported."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from knowledge.errors import KnowledgeError
from knowledge.pack import DEFAULT_PACK, KnowledgePack, load_pack

FIRST_LEVEL = {"城乡建设", "环境保护", "交通运输", "教育文体", "劳动和社会保障", "商贸旅游",
               "卫生计生", "农村农业", "政法", "民政", "党务政务", "经济管理", "纪检监察",
               "国土资源", "科技与信息产业"}


@pytest.fixture(scope="module")
def pack() -> KnowledgePack:
    return load_pack()


# -- the shipped pack ----------------------------------------------------------------------------
def test_taxonomy_has_the_15_first_level_classes(pack: KnowledgePack) -> None:
    assert set(pack.taxonomy.first_level) == FIRST_LEVEL
    assert len(pack.taxonomy.first_level) == 15


def test_taxonomy_keeps_every_board_category(pack: KnowledgePack) -> None:
    lines = (DEFAULT_PACK / "taxonomy.csv").read_text("utf-8").splitlines()[1:]
    for line in lines:
        level1, level2, level3 = line.split(",")
        assert pack.taxonomy.has((level1, level2, level3)), line


def test_taxonomy_extensions_a_city_needs(pack: KnowledgePack) -> None:
    for path in [("城乡建设", "物业管理"), ("政法", "邻里纠纷"), ("民政", "特殊群体帮扶"),
                 ("城乡建设", "水电气供应"), ("城乡建设", "城市建设和市政管理", "路灯")]:
        node = pack.taxonomy.nodes[path]
        assert node.extension and node.keywords, path


def test_demo_city_streets_and_towns(pack: KnowledgePack) -> None:
    names = {s.name for s in pack.areas.streets}
    assert names == {"观音桥街道", "华新街街道", "五里店街道", "江北城街道", "石马河街道",
                     "大石坝街道", "寸滩街道", "铁山坪街道", "郭家沱街道", "鱼嘴镇", "复盛镇",
                     "五宝镇"}
    assert sum(s.kind == "镇" for s in pack.areas.streets) == 3


def test_every_street_has_an_office_and_a_mediation_studio(pack: KnowledgePack) -> None:
    for street in pack.areas.streets:
        kinds = {k for d in pack.departments if d.area == street.code for k in d.kinds}
        assert {"street_office", "mediation"} <= kinds, street.name


def test_every_community_has_its_residents_committee(pack: KnowledgePack) -> None:
    for community in pack.areas.communities:
        (dept,) = [d for d in pack.departments if d.area == community.code]
        assert dept.level == "社区" and "community" in dept.kinds


def test_department_catalogue(pack: KnowledgePack) -> None:
    names = {d.name for d in pack.departments}
    for name in ["区城市管理局", "区住房城乡建委", "区生态环境局", "公安江北分局", "区交通局",
                 "区人力社保局", "区医保局", "区卫生健康委", "区市场监管局", "区教委",
                 "区文化旅游委", "区民政局", "区司法局", "区志愿服务联盟", "区老马调解中心"]:
        assert name in names
    kinds = {k for d in pack.departments for k in d.kinds}
    assert {"dispatch", "utility", "volunteer", "mediation", "street_office", "community"} <= kinds
    assert {d.level for d in pack.departments} == {"区", "街镇", "社区"}
    assert len(pack.departments_of_kind("utility")) >= 4  # water, power, gas, telecoms


def test_department_by_alias(pack: KnowledgePack) -> None:
    assert pack.department_by_name("城管").code == "D-CGJ"
    assert pack.department_by_name("区城市管理局").code == "D-CGJ"
    assert pack.department_by_name("不存在的单位") is None


def test_policy_defaults(pack: KnowledgePack) -> None:
    policy = pack.policy
    assert policy.urgency_deadlines["特急"].response_hours == 2
    assert policy.urgency_deadlines["特急"].alert_duty_officer
    assert policy.urgency_deadlines["紧急"].response_hours == 24
    assert policy.urgency_deadlines["一般"].response_working_days == 1
    assert policy.completion_working_days == {"简单": 5, "一般": 7, "复杂": 15}
    assert policy.request_type_completion == {"咨询": 3}
    assert (policy.yellow, policy.red) == (0.8, 1.0)
    assert policy.extension_max_working_days == 10
    assert policy.return_working_days == 1
    assert 0 < policy.low_confidence_threshold < 1
    assert policy.timezone == "Asia/Shanghai"


def test_every_routing_reference_resolves(pack: KnowledgePack) -> None:
    from knowledge.routing import Router

    router = Router(pack)
    street = pack.areas.streets[0]
    community = next(c for c in pack.areas.communities if c.street == street.code)
    from knowledge.gazetteer import Gazetteer

    area = Gazetteer(pack.areas).resolve(community.code)
    for rule in pack.routing.rules:
        for ref in (rule.lead, *rule.co):
            assert router.resolve(ref, area) is not None, (rule.id, ref)


# -- broken files --------------------------------------------------------------------------------
@pytest.fixture
def pack_dir(tmp_path: Path) -> Path:
    target = tmp_path / "pack"
    shutil.copytree(DEFAULT_PACK, target)
    return target


def edit(pack_dir: Path, name: str, old: str, new: str) -> None:
    path = pack_dir / name
    text = path.read_text("utf-8")
    assert old in text, f"test setup: {old!r} not in {name}"
    path.write_text(text.replace(old, new, 1), "utf-8")


def error_of(pack_dir: Path) -> KnowledgeError:
    with pytest.raises(KnowledgeError) as info:
        load_pack(pack_dir)
    return info.value


def index_of(pack_dir: Path, name: str, key: str, field: str, value: str) -> int:
    items = yaml.safe_load((pack_dir / name).read_text("utf-8"))[key]
    return next(i for i, item in enumerate(items) if item.get(field) == value)


def test_error_names_file_entry_and_reason(pack_dir: Path) -> None:
    edit(pack_dir, "departments.yaml", "{code: D-CGJ, name: 区城市管理局, level: 区,",
         "{code: D-CGJ, name: 区城市管理局, level: city,")
    err = error_of(pack_dir)
    i = index_of(pack_dir, "departments.yaml", "departments", "code", "D-CGJ")
    assert err.file.endswith("departments.yaml")
    assert err.entry == f"departments[{i}].level"
    assert err.reason == "'city' is not one of 区/街镇/社区"
    assert str(err) == f"{err.file}: departments[{i}].level: 'city' is not one of 区/街镇/社区"


def test_shipped_pack_errors_show_the_repository_path(tmp_path: Path) -> None:
    err = KnowledgeError("knowledge/data/departments.yaml", "departments[3].level", "x")
    assert str(err).startswith("knowledge/data/departments.yaml: departments[3].level")
    from knowledge.schema import display_path

    assert display_path(DEFAULT_PACK / "policy.yaml") == "knowledge/data/policy.yaml"


BROKEN = [
    # (file, old, new, expected entry (regex-free substring), expected reason substring)
    ("departments.yaml", "parent: D-GAFJ", "parent: D-NOPE", ".parent", "unknown department code 'D-NOPE'"),
    ("departments.yaml", "{code: D-ZJW,", "{code: D-CGJ,", ".code", "'D-CGJ' is already used"),
    ("departments.yaml", "kinds: [bureau], aliases: [城管", "kinds: [agency], aliases: [城管", ".kinds[0]", "'agency' is not one of"),
    ("departments.yaml", "{code: S-GYQ, name: 观音桥街道办事处, level: 街镇,", "{code: S-GYQ, name: 观音桥街道办事处, level: 区,", ".kinds", "street_office must have level 街镇"),
    ("departments.yaml", "area: GYQ, aliases: [观音桥街道, 观音桥街办]", "area: XXX, aliases: [观音桥街道, 观音桥街办]", ".area", "unknown area code 'XXX'"),
    ("departments.yaml", "kinds: [dispatch]", "kinds: [bureau]", "departments", "kind 'dispatch'"),
    ("departments.yaml", "aliases: [规划自然资源局,", "aliases: [城管,", ".aliases[0]", "alias '城管' is already used"),
    ("departments.yaml", "{code: D-CGJ, name: 区城市管理局,", "{code: d_cgj, name: 区城市管理局,", ".code", "upper-case"),
    ("departments.yaml", "{code: D-CGJ, name: 区城市管理局, level: 区,", "{code: D-CGJ, name: 区城市管理局, level: 区, colour: red,", ".colour", "unknown key"),
    ("routing.yaml", "    lead: D-CGJ\n  - id: manhole", "    lead: D-NOPE\n  - id: manhole", "rules[0].lead", "unknown department code 'D-NOPE'"),
    ("routing.yaml", 'lead: "@street_office"', 'lead: "@ministry"', ".lead", "'ministry' is not one of"),
    ("routing.yaml", "'(工地|项目|包工头|施工方|工程)", "'((工地", ".patterns[0]", "not a valid regular expression"),
    ("routing.yaml", "{category: 环境保护, lead: D-STHJ}", "{category: 环境保护/天气, lead: D-STHJ}", ".category", "not in the taxonomy"),
    ("routing.yaml", "  - id: manhole\n    topic: 井盖\n    keywords: [井盖, 窨井, 下水井, 雨水篦子]\n", "  - id: manhole\n    topic: 井盖\n", "rules[1].keywords", "needs keywords or patterns"),
    ("routing.yaml", "  - id: manhole\n    topic: 井盖\n    keywords:", "  - id: manhole\n    topic: 井盖\n    keyword:", "rules[1].keyword", "unknown key"),
    ("routing.yaml", "  - id: manhole", "  - id: street_light", "rules[1].id", "used twice"),
    ("urgency.yaml", '    call: ["119"]\n    category: 城乡建设', "    category: 城乡建设", "特急[0].call", "must name the emergency line"),
    ("urgency.yaml", "category: 城乡建设/水电气供应/燃气", "category: 城乡建设/燃气", "特急[0].category", "not in the taxonomy"),
    ("urgency.yaml", 'call: ["119"]', 'call: ["999"]', ".call[0]", "'999' is not in policy.yaml emergency_lines"),
    ("urgency.yaml", "suppress: []", "suppress: [maybe]", ".suppress[0]", "'maybe' is not one of"),
    ("urgency.yaml", "      advice: 谢谢您愿意告诉我们", "      adivce: 谢谢您愿意告诉我们", ".speaker.adivce", "unknown key"),
    ("urgency.yaml", "    speaker:\n      patterns:\n        - '^((你们?|您)好", "    speaker:\n      patterns:\n        - '^(((你们?|您)好", ".speaker.patterns[0]", "not a valid regular expression"),
    ("urgency.yaml", '    speaker:\n      patterns:\n        - \'^((你们?|您)好|喂|在吗|在不在|有人吗|[,，.。!！?？~])*(我|本人|老子|俺)(真的|实在|已经|现在|今天|都)?(是)?(想|要|不想|打算|准备|活不|去|也)\'\n        # later in the message, when 我 says it of themselves: "闻到煤气味，我不想活了", also\n        # with only a space before it (spaces are gone once normalised: "楼下吵得很 我真的不想活\n        # 了"); not when someone else\'s words are told ("他说我不想活了")\n        - \'(?<![他她你说讲])(我|本人|俺)(真的|实在|已经|现在|今天|都|也)?(想死|想去死|不想活|活不下去|不活了|想自杀|要自杀|想轻生|想不开|想结束|(想|要)跳(楼|河|江|桥|下去))\'\n', "    speaker:\n      patterns: []\n", ".speaker.patterns", "needs at least one pattern"),
    ("urgency.yaml", "    bounds: [flood_people]", "    bounds: [flooding]", ".bounds[0]", "'flooding' is not the id of a 特急 rule"),
    ("urgency.yaml", "  - id: flood_people\n", "  - id: flood_people\n    bounds: [fire]\n", "特急[5].bounds", "only a 紧急 rule bounds"),
    ("urgency.yaml", "  window: 8", "  window: lots", "suppressors.window", "must be a whole number"),
    ("areas.yaml", "{code: GYQ-LYC, name: 鲤鱼池社区, street: GYQ,", "{code: GYQ-LYC, name: 鲤鱼池社区, street: NOPE,", "communities[1].street", "unknown street code 'NOPE'"),
    ("areas.yaml", "{code: HXJ-QB, name: 桥北社区,", "{code: HXJ-QB, name: 鲤鱼池社区,", "communities[3].name", "'鲤鱼池社区' is already used"),
    ("areas.yaml", "lat: 29.5750, lon: 106.5310", "lat: 129.5750, lon: 106.5310", "streets[0].lat", "at most 90"),
    ("areas.yaml", "kind: 镇, aliases: [鱼嘴]", "kind: 村, aliases: [鱼嘴]", "streets[9].kind", "'村' is not one of 街道/镇/乡"),
    ("areas.yaml", "{name: 嘉陵公园, aliases: [], street: GYQ, community: GYQ-JLYC,", "{name: 嘉陵公园, aliases: [], street: GYQ, community: WLD-TP,", "landmarks[7].community", "not a community of street 'GYQ'"),
    ("taxonomy.yaml", "  - path: 城乡建设/物业管理\n", "  - path: 物业/物业管理\n", ".path", "'物业' is not one of the first-level classes"),
    ("taxonomy.yaml", "  - path: 城乡建设/物业管理\n", "  - path: 城乡建设/物管/物业管理\n", ".path", "parent 城乡建设/物管 does not exist"),
    ("taxonomy.csv", "level1,level2,level3", "l1,l2,l3", "line 1", "header must be"),
    ("policy.yaml", "  紧急: {response_hours: 24}", "  紧急: {response_hours: 24, response_working_days: 1}", "deadlines.紧急", "exactly one of"),
    ("policy.yaml", "请马上拨打{lines}。{guidance}", "请马上拨打{line}。{guidance}", "advice.特急_另有险情", "unknown placeholder {line}"),
    ("policy.yaml", "timezone: Asia/Shanghai", "timezone: Asia/Chongqin", "timezone", "not a known time zone"),
    ("policy.yaml", "  extra_holidays: []\n  extra_workdays: []", "  extra_holidays: [2027-10-08]\n  extra_workdays: ['2027-10-08']", "calendar.extra_workdays", "both a holiday and a workday"),
    ("policy.yaml", "  extra_holidays: []", "  extra_holidays: ['2027-13-01']", "calendar.extra_holidays[0]", "not a date"),
    ("policy.yaml", "在{hours}小时内与您联系。\"", "在{hourz}小时内与您联系。\"", "advice.特急", "unknown placeholder {hourz}"),
    ("policy.yaml", "lights: {yellow: 0.8, red: 1.0}", "lights: {yellow: 1.0, red: 0.9}", "lights.yellow", "must be below red"),
    ("policy.yaml", "completion_working_days: {简单: 5, 一般: 7, 复杂: 15}", "completion_working_days: {简单: 5, 一般: 7}", "completion_working_days.复杂", "is required"),
    ("complexity.yaml", "    - 经济管理/企业破产", "    - 经济管理/企业倒闭", "categories.复杂[6]", "not in the taxonomy"),
    ("request_types.yaml", "order: [举报, 求助, 投诉, 建议, 咨询]", "order: [举报, 求助, 投诉, 建议, 问询]", "order[4]", "'问询' is not one of"),
    ("collective.yaml", "  group: 10\n  several: 3", "  group: 3\n  several: 10", "counts.several", "must not be larger than group"),
    ("areas.yaml", "places: [九宫庙,", "places: [解放碑,", "other_districts[4].places[0]", "'解放碑' is already used"),
    ("areas.yaml", "  - {name: 长寿区}", "  - {name: 长寿区, aliases: [江北区]}", "other_districts[14].name", "names this district"),
]


@pytest.mark.parametrize(("name", "old", "new", "entry", "reason"), BROKEN,
                         ids=[f"{b[0]}:{b[3]}" for b in BROKEN])
def test_broken_file_is_reported(pack_dir: Path, name: str, old: str, new: str, entry: str,
                                 reason: str) -> None:
    edit(pack_dir, name, old, new)
    err = error_of(pack_dir)
    assert err.file.endswith(name), str(err)
    assert entry in err.entry, str(err)
    assert reason in err.reason, str(err)


def test_parent_loop_is_reported(pack_dir: Path) -> None:
    edit(pack_dir, "departments.yaml", "{code: D-MZJ, name: 区民政局, level: 区, kinds: [bureau],",
         "{code: D-MZJ, name: 区民政局, level: 区, kinds: [bureau], parent: D-ZYLM,")
    err = error_of(pack_dir)
    assert "parent chain loops back" in err.reason


def test_yaml_syntax_error_gives_the_line(pack_dir: Path) -> None:
    edit(pack_dir, "routing.yaml", "  - id: manhole", "  - id: [manhole")
    err = error_of(pack_dir)
    assert err.file.endswith("routing.yaml")
    assert err.entry.startswith("line ")
    assert "not valid YAML" in err.reason


def test_a_key_given_twice_is_reported(pack_dir: Path) -> None:
    edit(pack_dir, "routing.yaml", "    lead: D-CGJ\n  - id: manhole",
         "    lead: D-CGJ\n    lead: D-ZJW\n  - id: manhole")
    err = error_of(pack_dir)
    assert "'lead' appears twice" in err.reason


def test_missing_file_is_reported(pack_dir: Path) -> None:
    (pack_dir / "urgency.yaml").unlink()
    err = error_of(pack_dir)
    assert err.file.endswith("urgency.yaml")
    assert err.reason == "file is missing"


def test_missing_directory_is_reported(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="knowledge pack directory is missing"):
        load_pack(tmp_path / "nowhere")


def test_the_advice_after_a_residents_own_danger_is_optional(tmp_path: Path) -> None:
    """A city's pack without 特急_另有险情 loads; its residents in danger hear their own words."""
    pack_dir = tmp_path / "pack"
    shutil.copytree(DEFAULT_PACK, pack_dir)
    policy = pack_dir / "policy.yaml"
    text = policy.read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if x.startswith("  特急_另有险情:"))
    policy.write_text(text.replace(line + "\n", ""), encoding="utf-8")
    assert "特急_另有险情" not in load_pack(pack_dir).policy.advice
