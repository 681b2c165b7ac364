"""Bulk slips for the console benchmark: a million rows in PostgreSQL in a few minutes.

Rows are generated inside PostgreSQL (generate_series + arrays of project-written phrases), so
nothing crosses the wire per row. Distributions follow a district complaint desk: a few topics
(street lights, noise, wages, property management…) make most of the volume, 一般 dominates
urgency, most slips older than a few weeks are closed, open ones carry deadlines and lights.
The secondary indexes are dropped for the load and built again afterwards (far faster than
maintaining them row by row).
"""

from __future__ import annotations

import json
import random
import time

import asyncpg

# (weight, category_top, lead department code, department name, complexity, phrases)
TOPICS: list[tuple[int, str, str, str, str, tuple[str, str, str, str]]] = [
    (
        9,
        "城乡建设",
        "D-CGJ",
        "区城市管理局",
        "简单",
        ("路灯坏了晚上一片漆黑", "井盖松动车一过就响", "垃圾桶满了没人清运", "人行道地砖翘起来了"),
    ),
    (
        7,
        "城乡建设",
        "D-CGJ",
        "区城市管理局",
        "一般",
        (
            "有人占道摆摊堵住了路",
            "小广告贴得到处都是",
            "建筑垃圾乱倒在路边",
            "绿化带的树枝挡住了视线",
        ),
    ),
    (
        6,
        "城乡建设",
        "D-ZJW",
        "区住房城乡建委",
        "一般",
        ("物业不作为电梯经常坏", "楼上漏水物业不管", "小区维修基金用不了", "开发商迟迟不交房"),
    ),
    (
        3,
        "城乡建设",
        "D-ZJW",
        "区住房城乡建委",
        "复杂",
        (
            "房屋产权证办了几年办不下来",
            "老旧小区改造方案没人征求意见",
            "拆迁安置房一直没分",
            "历史遗留的房产证问题",
        ),
    ),
    (
        8,
        "环境保护",
        "D-STHJ",
        "区生态环境局",
        "一般",
        ("晚上施工噪音太大睡不着", "餐馆油烟直排进窗户", "河沟发臭有污水排进去", "工地扬尘很大"),
    ),
    (
        6,
        "交通运输",
        "D-JXJ",
        "区交巡警支队",
        "简单",
        ("路口红绿灯时间太短", "小区门口乱停车堵路", "货车晚上超速很危险", "斑马线被磨平看不清"),
    ),
    (
        4,
        "交通运输",
        "D-JTJ",
        "区交通局",
        "一般",
        (
            "公交车间隔太长等不到车",
            "出租车拒载还绕路",
            "公交站台的顶棚坏了",
            "道路施工围挡占了半边路",
        ),
    ),
    (
        7,
        "劳动和社会保障",
        "D-RSJ",
        "区人力社保局",
        "一般",
        ("老板拖欠工资好几个月", "公司不给买社保", "工地包工头跑了工钱没发", "辞职后押金不退"),
    ),
    (
        3,
        "劳动和社会保障",
        "D-YBJ",
        "区医保局",
        "简单",
        ("医保报销比例不清楚", "异地就医备案办不了", "医保卡里的钱扣错了", "慢性病门诊认定太慢"),
    ),
    (
        4,
        "卫生计生",
        "D-WJW",
        "区卫生健康委",
        "一般",
        ("社区医院排队太久", "诊所收费不透明", "打疫苗预约不上", "医生态度很差"),
    ),
    (
        5,
        "商贸旅游",
        "D-SCJG",
        "区市场监管局",
        "简单",
        ("超市卖过期食品", "商家缺斤少两", "预付卡店铺关门跑路", "网购商品质量有问题"),
    ),
    (
        4,
        "教育文体",
        "D-JW",
        "区教委",
        "一般",
        ("学校周边交通安全隐患", "课外培训机构乱收费", "孩子入学手续办不下来", "学校食堂卫生差"),
    ),
    (
        3,
        "民政",
        "D-MZJ",
        "区民政局",
        "一般",
        (
            "低保申请一直没有回音",
            "老人养老补贴没到账",
            "社区养老服务站没开门",
            "残疾人补贴怎么申请",
        ),
    ),
    (
        3,
        "政法",
        "D-GAFJ",
        "公安江北分局",
        "一般",
        ("楼下有人聚众赌博", "电动车被偷了", "邻居经常吵闹打架", "有人冒充客服诈骗"),
    ),
    (
        2,
        "政法",
        "D-LMTJ",
        "区老马调解中心",
        "一般",
        (
            "和邻居因为漏水起了纠纷",
            "和房东因为押金闹矛盾",
            "家里老人赡养问题谈不拢",
            "装修噪音和楼下吵起来",
        ),
    ),
    (
        2,
        "国土资源",
        "D-GHZY",
        "区规划自然资源局",
        "复杂",
        ("违章搭建没人管", "楼顶加建了一层", "规划变更没有公示", "征地补偿标准有异议"),
    ),
    (
        2,
        "农村农业",
        "D-NYW",
        "区农业农村委",
        "一般",
        ("农田灌溉渠堵了", "村里的路坑坑洼洼", "土地流转费用没兑现", "养殖场臭味很大"),
    ),
    (
        2,
        "党务政务",
        "D-ZWFW",
        "区政务服务中心",
        "简单",
        ("办事窗口排队太长", "网上办事系统登录不了", "办证要跑好几趟", "窗口工作人员态度不好"),
    ),
    (
        1,
        "经济管理",
        "D-FGW",
        "区发展改革委",
        "一般",
        ("停车收费标准太高", "燃气价格调整没通知", "物业费涨价不合理", "水费计算有问题"),
    ),
    (
        1,
        "纪检监察",
        "D-JWJW",
        "区纪委监委",
        "复杂",
        ("举报工作人员吃拿卡要", "反映村干部优亲厚友", "举报公车私用", "反映评低保不公平"),
    ),
    (
        1,
        "科技与信息产业",
        "D-JXW",
        "区经济信息委",
        "简单",
        ("小区手机信号很差", "宽带装不上", "基站辐射让人担心", "光纤入户迟迟不施工"),
    ),
]

PLACES = (
    "观音桥步行街附近",
    "北城天街后面",
    "建新北路",
    "华新街菜市场旁边",
    "五里店立交下面",
    "江北城大剧院旁",
    "石马河公交站",
    "大石坝八村",
    "寸滩港口路",
    "铁山坪森林公园门口",
    "郭家沱老街",
    "鱼嘴镇中心小学外",
    "复盛镇场镇上",
    "五宝镇卫生院对面",
    "嘉陵一村社区",
    "鲤鱼池小区",
    "洋河花园",
    "桥北社区",
    "我家小区",
    "单位门口",
)
# The street each place lies in (index into STREETS); -1: anywhere (a random street).
PLACE_STREETS = (0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0, 0, 0, 1, -1, -1)
STREETS = (
    ("GYQ", "观音桥街道", 18),
    ("HXJ", "华新街街道", 12),
    ("WLD", "五里店街道", 11),
    ("JBC", "江北城街道", 8),
    ("SMH", "石马河街道", 10),
    ("DSB", "大石坝街道", 10),
    ("CT", "寸滩街道", 8),
    ("TSP", "铁山坪街道", 4),
    ("GJT", "郭家沱街道", 6),
    ("YZ", "鱼嘴镇", 6),
    ("FS", "复盛镇", 4),
    ("WB", "五宝镇", 3),
)
DURATIONS = (
    "",
    "，已经三天了",
    "，好几个月了",
    "，昨晚开始的",
    "，反映过几次都没解决",
    "，天天这样",
)
ASKS = (
    "，希望尽快处理。",
    "，请相关部门管一管。",
    "，麻烦派人来看看。",
    "。",
    "，谢谢！",
    "，太影响生活了。",
)
URGENCY = (("一般", 90), ("紧急", 8), ("特急", 2))
REQUEST_TYPES = (("投诉", 45), ("求助", 25), ("咨询", 15), ("举报", 8), ("建议", 7))
# Status by age: new slips wait to be signed, a week in most are being worked on or closed,
# past the 9-day limit a few are overdue, and old ones are closed (a handful never were).
FRESH = (("accepted", 3), ("dispatched", 40), ("signed", 35), ("in_progress", 22))  # < 1 day
WORKING = (  # 1-9 days
    ("dispatched", 5),
    ("signed", 15),
    ("in_progress", 45),
    ("resolved", 15),
    ("awaiting_survey", 20),
)
LATE = (  # 9-25 days
    ("in_progress", 4),
    ("awaiting_survey", 25),
    ("rated", 40),
    ("archived", 25),
    ("withdrawn", 3),
    ("merged", 3),
)
OLD = (  # older
    ("archived", 700),
    ("rated", 220),
    ("withdrawn", 40),
    ("merged", 30),
    ("signed", 1),
    ("in_progress", 1),
)


def _weighted(pairs, *, width: int = 200) -> list:
    """A list in which each value appears in proportion to its weight (index it uniformly)."""
    total = sum(w for *_, w in pairs)
    out = []
    for *value, weight in pairs:
        out += [value[0] if len(value) == 1 else tuple(value)] * max(
            1, round(width * weight / total)
        )
    return out


def _pick(pairs, random_column: str) -> str:
    """SQL choosing one value of `pairs` (value, weight) by a uniform random column."""
    values = _weighted(pairs, width=1000)
    return f"({_sql_array(values)})[1 + floor({random_column} * {len(values)})::int]"


def _sql_array(values, kind: str = "text") -> str:
    items = ", ".join("'" + str(v).replace("'", "''") + "'" for v in values)
    return f"ARRAY[{items}]::{kind}[]"


def _insert_sql(count: int, days: int, seed: float) -> str:
    topics = _weighted([(i, t[0]) for i, t in enumerate(TOPICS)])
    streets = _weighted([(i, s[2]) for i, s in enumerate(STREETS)])
    phrases = [p for t in TOPICS for p in t[5]]
    return f"""
WITH params AS (SELECT setseed({seed})),
picks AS (
  SELECT g,
    ({_sql_array(topics, "int")})[1 + floor(random() * {len(topics)})::int] AS t,
    ({_sql_array(streets, "int")})[1 + floor(random() * {len(streets)})::int] AS s,
    1 + floor(random() * 4)::int AS p,
    1 + floor(random() * {len(PLACES)})::int AS pl,
    1 + floor(random() * {len(DURATIONS)})::int AS du,
    1 + floor(random() * {len(ASKS)})::int AS ak,
    random() AS r_urg, random() AS r_type, random() AS r_state, random() AS r_conf,
    now() - (power(random(), 1.6) * interval '{days} days') AS created
  FROM params, generate_series(1, {count}) AS g
),
located AS (
  SELECT p.*, CASE WHEN ({_sql_array(PLACE_STREETS, "int")})[pl] >= 0
                   THEN ({_sql_array(PLACE_STREETS, "int")})[pl] ELSE s END AS st
  FROM picks p
),
rows AS (
  SELECT p.*,
    ({_sql_array([t[1] for t in TOPICS])})[t + 1] AS category_top,
    ({_sql_array([t[2] for t in TOPICS])})[t + 1] AS dept,
    ({_sql_array([t[3] for t in TOPICS])})[t + 1] AS dept_name,
    ({_sql_array([t[4] for t in TOPICS])})[t + 1] AS complexity,
    ({_sql_array(phrases)})[t * 4 + p] AS problem,
    ({_sql_array([s[0] for s in STREETS])})[st + 1] AS street,
    ({_sql_array([s[1] for s in STREETS])})[st + 1] AS street_name,
    {_pick(URGENCY, "r_urg")} AS urgency,
    {_pick(REQUEST_TYPES, "r_type")} AS rtype,
    CASE
      WHEN created > now() - interval '1 day'
        THEN {_pick(FRESH, "r_state")}
      WHEN created > now() - interval '9 days'
        THEN {_pick(WORKING, "r_state")}
      WHEN created > now() - interval '25 days'
        THEN {_pick(LATE, "r_state")}
      ELSE {_pick(OLD, "r_state")}
    END AS status
  FROM located p
)
INSERT INTO slip (
  number, idempotency_key, openid, description, location_text, area, street, media, category,
  category_top, request_type, urgency, complexity, universality, handling_level, confidence,
  low_confidence, explanation, triage, lead_department, lead_department_name, co_departments,
  queue_reason, status, accepted_at, dispatched_at, completion_start_at, response_start_at,
  response_due_at, due_at, due_working_days, alert_yellow_at, alert_red_at, extension_days,
  supervised, supervise_count, reopen_count, event_count, chain_head, version, created_at,
  updated_at, closed_at, result, satisfaction, phone
)
SELECT
  'JB' || to_char(created AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD')
       || lpad((row_number() OVER (PARTITION BY (created AT TIME ZONE 'Asia/Shanghai')::date
                                   ORDER BY g))::text, 5, '0'),
  'bench:' || g,
  'obench' || lpad((g % 200000)::text, 8, '0'),
  ({_sql_array(PLACES)})[pl] || problem || ({_sql_array(DURATIONS)})[du]
    || ({_sql_array(ASKS)})[ak],
  ({_sql_array(PLACES)})[pl],
  jsonb_build_object('street', street_name, 'street_code', street),
  street_name, '[]'::jsonb,
  jsonb_build_array(category_top), category_top, rtype, urgency, complexity,
  CASE WHEN r_conf < 0.03 THEN '群体' WHEN r_conf < 0.15 THEN '多人' ELSE '个体' END,
  CASE WHEN complexity = '复杂' THEN '区' WHEN r_conf < 0.5 THEN '街镇' ELSE '区' END,
  0.35 + r_conf * 0.65,
  r_conf < 0.04 AND status = 'accepted',
  jsonb_build_object('category', '关键词：' || problem),
  '{{}}'::jsonb,
  -- accepted slips wait in the dispatcher's queue, with no department yet
  CASE WHEN status <> 'accepted' THEN dept END,
  CASE WHEN status <> 'accepted' THEN dept_name END, '[]'::jsonb,
  CASE WHEN status = 'accepted' THEN 'low_confidence' END,
  status, created,
  CASE WHEN status <> 'accepted' THEN created + interval '20 minutes' END,
  created, created,
  created + interval '1 day',
  created + CASE urgency WHEN '特急' THEN interval '2 hours' WHEN '紧急' THEN interval '1 day'
                         ELSE interval '9 days' END,
  CASE WHEN urgency = '一般' THEN 7 END,
  CASE WHEN status IN ('accepted','dispatched','signed','in_progress')
       THEN created + CASE urgency WHEN '特急' THEN interval '96 minutes'
                                   WHEN '紧急' THEN interval '19 hours' ELSE interval '7 days' END
  END,
  CASE WHEN status IN ('accepted','dispatched','signed','in_progress')
       THEN created + CASE urgency WHEN '特急' THEN interval '2 hours'
                                   WHEN '紧急' THEN interval '1 day' ELSE interval '9 days' END
  END,
  0, false, 0, 0, 0, '', 1, created, created,
  CASE WHEN status IN ('archived','rated','withdrawn','merged') THEN created + interval '6 days' END,
  CASE WHEN status IN ('archived','rated','resolved','awaiting_survey')
       THEN '已到现场处理，问题已解决。' END,
  CASE WHEN status IN ('archived','rated') THEN
    (ARRAY['满意','满意','满意','基本满意','不满意'])[1 + floor(r_conf * 5)::int] END,
  -- most residents leave a mobile number (the console finds slips by its last digits)
  CASE WHEN r_conf < 0.7 THEN '13' || lpad(((g::bigint * 7919) % 1000000000)::text, 9, '0') END
FROM rows
"""


async def slip_count(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM slip"))


async def load(
    conn: asyncpg.Connection, count: int, *, days: int = 1095, seed: float = 0.42
) -> float:
    """Empty the slip tables and insert `count` generated slips; seconds taken."""
    started = time.perf_counter()
    await conn.execute(
        "TRUNCATE slip, slip_department, slip_event, slip_cluster RESTART IDENTITY CASCADE"
    )
    indexes = await conn.fetch(
        """SELECT indexname, indexdef FROM pg_indexes
           WHERE tablename IN ('slip', 'slip_department')
             AND indexname NOT LIKE 'pk_%' AND indexname NOT LIKE 'uq_%'"""
    )
    for row in indexes:
        await conn.execute(f'DROP INDEX "{row["indexname"]}"')
    await conn.execute(_insert_sql(count, days, seed))
    print(f"  inserted {count:,} slips ({time.perf_counter() - started:.0f} s)", flush=True)
    await conn.execute(
        """INSERT INTO slip_department (slip_id, department, role)
           SELECT id, lead_department, '主办' FROM slip WHERE lead_department IS NOT NULL"""
    )
    co = random.Random(seed)
    partners = json.dumps([t[2] for t in TOPICS])
    await conn.execute(
        f"""INSERT INTO slip_department (slip_id, department, role)
            SELECT id, (('{partners}')::jsonb ->> ((id * 7 + {co.randint(0, 20)}) % {len(TOPICS)})::int), '协办'
            FROM slip WHERE id % 10 = 0
            ON CONFLICT DO NOTHING"""
    )
    print(f"  rebuilding {len(indexes)} indexes…", flush=True)
    for row in indexes:
        await conn.execute(row["indexdef"])
    # what autovacuum would do soon after: statistics, and the visibility map that lets
    # index-only scans (the capped counts) skip the table
    await conn.execute("VACUUM (ANALYZE) slip")
    await conn.execute("VACUUM (ANALYZE) slip_department")
    return time.perf_counter() - started
