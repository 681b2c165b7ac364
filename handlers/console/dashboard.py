"""统计分析: the console dashboard (trends, department ranking, category mix, hot spots,
特急 and 紧急 slips), exports (CSV, XLSX), the definitions, and hot issues (clusters) with their bulk close.

Handlers see their own department's figures and clusters only; everyone else sees all.
Mounted by handlers/console/app.py with `dashboard.setup(console)`.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, replace
from importlib import resources
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp_jinja2
from aiohttp import web

from bot.charts import bar_chart, column_chart, donut_chart, for_phones_too, line_chart
from bot.slips.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    TransitionNotAllowed,
    VersionConflict,
)
from bot.staff import StaffMember
from bot.stats.export import Sheet, to_csv, to_xlsx
from bot.stats.filters import FilterError, StatsFilter, parse_filter, parse_period
from bot.stats.measures import MEASURES, PERIOD_RULE, StatsRow, percent
from bot.stats.services import StatsServices
from bot.stats.sql import Period
from bot.storage.types import INT8_MAX, row_id
from handlers.console import keys
from handlers.console.render import error_page, render
from handlers.public.format import rate_series, setup_filters
from handlers.public.keys import STATS
from knowledge.records import URGENCIES

log = logging.getLogger(__name__)

routes = web.RouteTableDef()

PERIOD_LABELS = {"day": "按日", "week": "按周", "month": "按月"}
# What the department ranking can be ordered by (attribute, label).
RANKS = {
    "on_time_rate": "按时办结率",
    "satisfaction_rate": "满意率",
    "response_rate": "响应率",
    "solve_rate": "解决率",
    "received": "受理量",
    "overdue_now": "当前超期",
}
SHEETS = {"department": ("单位", "单位"), "street": ("街镇", "街镇"),
          "category": ("类别", "类别"), "period": ("趋势", "统计期")}
BULK_LIMIT = 200  # slips closed in one bulk action, at most
DEFAULT_DAYS = 90  # the dashboard opens on the last 90 days, week by week
CLUSTER_DAYS = 365  # hot issues: the last year
# an urgency in an ASCII file name (the Chinese one goes in filename*)
URGENCY_CODES = {"特急": "extra-urgent", "紧急": "urgent", "一般": "normal"}


@dataclass(frozen=True)
class Asked:
    filter: StatsFilter
    period: Period
    rank: str
    locked_department: str | None  # a handler's own department


def _member(request: web.Request) -> StaffMember:
    member = request[keys.MEMBER]
    if member is None:
        raise web.HTTPForbidden()
    return member


def _services(request: web.Request) -> StatsServices:
    services = request.config_dict.get(STATS)
    if services is None:  # the statistics services are wired by setup_public / setup_open311
        raise web.HTTPServiceUnavailable(text="statistics are not set up in this process")
    return services


def _locked(member: StaffMember) -> str | None:
    """A handler's department (they see nothing else); None for everyone else."""
    if member.role == "handler":
        if not member.department:
            raise web.HTTPForbidden()
        return member.department
    return None


def _asked(request: web.Request, services: StatsServices, member: StaffMember) -> Asked:
    f = parse_filter(request.query, services.tz, default_days=DEFAULT_DAYS, now=services.now())
    locked = _locked(member)
    rank = request.query.get("rank", "on_time_rate")
    return Asked(
        filter=f.scoped(locked),
        period=parse_period(request.query.get("period"), default="week"),
        rank=rank if rank in RANKS else "on_time_rate",
        locked_department=locked,
    )


def _ranked(rows: list[StatsRow], rank: str) -> list[StatsRow]:
    def key(row: StatsRow) -> tuple[int, float, str]:
        value = row.value(rank)
        return (value is None, -(value or 0), row.label)

    return sorted(rows, key=key)


async def _figures(services: StatsServices, asked: Asked) -> dict[str, Any]:
    f, stats = asked.filter, services.stats
    tables = await stats.tables(("total", "period", "department", "street", "category"), f,
                                period=asked.period)
    total = tables["total"][0] if tables["total"] else StatsRow(key=None, label="合计")
    return {
        "total": replace(total, key=None, label="合计"),
        "trend": tables["period"],
        "departments": tables["department"],
        "streets": tables["street"],
        "categories": tables["category"],
        "hot_spots": await stats.hot_spots(f),
        "survey_words": await stats.survey_words(f),
        "emergencies": await stats.emergencies(f),
    }


async def _cached_figures(services: StatsServices, asked: Asked) -> dict[str, Any]:
    key = ("dashboard", asked.filter, asked.period)
    return await services.dashboard_cache.get(key, lambda: _figures(services, asked))


def _period_label(key: str | None, period: Period) -> str:
    if not key:
        return ""
    if period == "month":
        return f"{key[:4]}-{key[5:7]}"
    return key[5:]  # MM-DD (day, or the Monday of the week)


def _charts(figures: dict[str, Any], asked: Asked) -> dict[str, Any]:
    trend: list[StatsRow] = figures["trend"]
    # a week or month the range cuts is starred, and the chart says what the star means
    labels = [_period_label(r.key, asked.period) + ("*" if r.covers else "") for r in trend]
    rank = asked.rank
    ranked = _ranked(figures["departments"], rank)
    is_rate = rank.endswith("_rate")
    return {
        # each drawn twice, for a wide screen and for a phone (bot.charts.for_phones_too)
        "received_chart": for_phones_too(column_chart, labels, [r.received for r in trend],
                                         title="受理量趋势"),
        "rates_chart": for_phones_too(
            line_chart,
            labels,
            rate_series(trend, ("response_rate", "on_time_rate", "satisfaction_rate",
                                "solve_rate")),
            title="三率趋势", fmt=lambda v: percent(v, 0), max_value=1.0,
        ),
        "ranking_chart": for_phones_too(
            bar_chart,
            [(r.label, r.value(rank)) for r in ranked[:20]],
            title=f"单位排名：{RANKS[rank]}",
            fmt=percent if is_rate else (lambda v: f"{v:,.0f}"),
            max_value=1.0 if is_rate else None,
        ),
        "category_chart": for_phones_too(
            donut_chart,
            [(r.label, r.received) for r in figures["categories"]], title="诉求类别构成",
            fmt=lambda v: f"{v:,.0f}",
        ),
        "ranked": ranked,
        "partial_note": (f"带 * 的一期不满一{'周' if asked.period == 'week' else '月'}"
                         "（所选范围只含其中几天，或这一期还没过完），受理量不能和整期比。"
                         if any(r.covers for r in trend) else ""),
    }


def _emergency_links(asked: Asked, urgency: str) -> dict[str, str]:
    """The slip lists behind an emergency's counts, with the dashboard's department, street
    (the list's 地点) and category: "open", the ones being handled now whenever accepted;
    "received", those accepted in the period."""
    f = asked.filter
    base = {"urgency": urgency}
    for name, value in (("department", f.department), ("area", f.street),
                        ("category", f.category)):
        if value:
            base[name] = value
    period = {"date_from": f.date_from.isoformat() if f.date_from else "",
              "date_to": f.date_to.isoformat() if f.date_to else ""}
    return {
        "open": "/console/slips?" + urlencode({**base, "status": "open"}),
        "received": "/console/slips?" + urlencode(
            {**base, **{k: v for k, v in period.items() if v}}),
    }


def _query(asked: Asked, **extra: str) -> str:
    values = {**asked.filter.to_query(), "period": asked.period, "rank": asked.rank, **extra}
    if asked.locked_department:
        values.pop("department", None)
    return urlencode(values)


def _read_filter(request: web.Request) -> tuple[StatsServices, Asked] | web.Response:
    """The dashboard services and what the query asks for, or the page saying what's wrong."""
    services = _services(request)
    try:
        return services, _asked(request, services, _member(request))
    except FilterError as exc:
        return error_page(request, 400, "筛选条件有误", exc.message)


@routes.get("/dashboard")
async def dashboard(request: web.Request) -> web.Response:
    services = _services(request)
    member = _member(request)
    base = {
        "nav": "dashboard",
        "title": "统计分析",
        "tz": services.tz,
        "labels": services.labels,
        "periods": PERIOD_LABELS,
        "ranks": RANKS,
        "measures": MEASURES,
        "period_rule": PERIOD_RULE,
    }
    try:
        asked = _asked(request, services, member)
    except FilterError as exc:
        # The form comes back as it was filled in, the message beside the field; no figures
        # until the filter makes sense.
        return render(request, "dashboard.html", {
            **base,
            "asked": _fallback(request, services, member),
            "errors": {exc.field: exc.message},
            "typed": _typed_dates(request),
        }, status=400)
    figures = await _cached_figures(services, asked)
    return render(request, "dashboard.html", {
        **base,
        "asked": asked,
        "f": asked.filter,
        "export_query": _query(asked),
        # hot issues are not sorted by urgency: their page has no such filter
        "clusters_query": urlencode(
            {k: v for k, v in asked.filter.to_query().items() if k != "urgency"}),
        "emergency_links": {e.urgency: _emergency_links(asked, e.urgency)
                            for e in figures["emergencies"]},
        **figures,
        **_charts(figures, asked),
    })


def _fallback(request: web.Request, services: StatsServices, member: StaffMember) -> Asked:
    """The rest of a refused filter (department, street, category, period, rank), as far as it
    can be read, to fill the form in again."""
    query = request.query
    locked = _locked(member)
    try:
        period = parse_period(query.get("period"), default="week")
    except FilterError:
        period = "week"
    rank = query.get("rank", "on_time_rate")
    shown = _without_dates(request, services, DEFAULT_DAYS)
    return Asked(filter=shown.scoped(locked), period=period,
                 rank=rank if rank in RANKS else "on_time_rate", locked_department=locked)


def _without_dates(request: web.Request, services: StatsServices, days: int) -> StatsFilter:
    """The filter's choices but the dates and an unknown urgency (which were refused), to fill
    a form in again."""
    query = {k: v for k, v in request.query.items() if k not in ("from", "to")}
    if query.get("urgency", "").strip() not in ("", *URGENCIES):
        del query["urgency"]
    return parse_filter(query, services.tz, default_days=days, now=services.now())


def _typed_dates(request: web.Request) -> dict[str, str]:
    """The dates as typed, shown again beside their message so they can be corrected."""
    return {k: request.query.get(k, "") for k in ("from", "to")}


_FIGURE_OF = {"department": "departments", "street": "streets", "category": "categories",
              "period": "trend"}


def _sheet(figures: dict[str, Any], dim: str) -> Sheet:
    name, heading = SHEETS[dim]
    return Sheet(name=name, key_heading=heading, rows=figures[_FIGURE_OF[dim]],
                 total=None if dim == "period" else figures["total"])


# What an exported table is, in its file name (民意统计_各单位_2026-11-01_2026-11-30.csv).
EXPORT_NAMES = {"department": ("各单位", "departments"), "street": ("各街镇", "streets"),
                "category": ("各类别", "categories"), "period": ("逐期", "trend")}
_UNSAFE_IN_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\s]+')


def _filename(services: StatsServices, asked: Asked, ext: str, table: str | None = None
              ) -> tuple[str, str]:
    """(the file name, an ASCII stand-in for old clients): what is in the file, its period and
    the filters it honours, e.g. 民意统计_各街镇_2026-11-01_2026-11-30_区城市管理局.csv."""
    f = asked.filter
    words, ascii_words = ["民意统计"], ["minyi-stats"]
    if table is not None:
        name, code = EXPORT_NAMES[table]
        if table == "period":
            name, code = f"{name}{PERIOD_LABELS[asked.period]}", f"{code}-{asked.period}"
        words.append(name)
        ascii_words.append(code)
    dates = [d.isoformat() for d in (f.date_from, f.date_to) if d]
    words += dates
    ascii_words += dates
    labels = services.labels
    if f.department:
        words.append(labels.department(f.department))
        ascii_words.append(f.department)
    if f.street:
        words.append(labels.street(f.street))
        ascii_words.append(labels.street_code(f.street) or "")
    if f.category:
        words.append(f.category)
    if f.urgency:
        words.append(f.urgency)
        ascii_words.append(URGENCY_CODES.get(f.urgency, ""))
    name = "_".join(_UNSAFE_IN_NAME.sub("-", w) for w in words if w)
    fallback = "_".join(re.sub(r"[^A-Za-z0-9.-]+", "-", w) for w in ascii_words if w)
    return f"{name}.{ext}", f"{fallback}.{ext}"


def _attachment(services: StatsServices, asked: Asked, ext: str, table: str | None = None
                ) -> str:
    """Content-Disposition with the Chinese name as RFC 6266 filename*=UTF-8''…, and a plain
    ASCII filename= for clients that do not read it."""
    name, fallback = _filename(services, asked, ext, table)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


@routes.get("/dashboard/export.csv")
async def export_csv(request: web.Request) -> web.Response:
    read = _read_filter(request)
    if isinstance(read, web.Response):
        return read
    services, asked = read
    table = request.query.get("table", "department")
    if table not in SHEETS:
        return error_page(request, 400, "导出内容有误", "table 应为 department、street、category 或 period")
    figures = await _cached_figures(services, asked)
    return web.Response(
        body=to_csv(_sheet(figures, table)),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": _attachment(services, asked, "csv", table)},
    )


@routes.get("/dashboard/export.xlsx")
async def export_xlsx(request: web.Request) -> web.Response:
    read = _read_filter(request)
    if isinstance(read, web.Response):
        return read
    services, asked = read
    figures = await _cached_figures(services, asked)
    return web.Response(
        body=to_xlsx([_sheet(figures, dim) for dim in SHEETS]),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": _attachment(services, asked, "xlsx")},
    )


@routes.get("/dashboard/definitions")
async def definitions(request: web.Request) -> web.Response:
    _member(request)
    return render(request, "dashboard_definitions.html", {
        "nav": "dashboard", "title": "指标定义", "measures": MEASURES,
        "period_rule": PERIOD_RULE,
    })


# -- hot issues ---------------------------------------------------------------------------------
@routes.get("/dashboard/clusters")
async def clusters(request: web.Request) -> web.Response:
    member = _member(request)
    services = _services(request)
    locked = _locked(member)
    open_only = request.query.get("all") != "1"
    base = {"nav": "dashboard", "title": "热点诉求", "open_only": open_only, "tz": services.tz,
            "labels": services.labels, "locked": locked}
    try:
        f = parse_filter(request.query, services.tz, default_days=CLUSTER_DAYS,
                         now=services.now())
    except FilterError as exc:
        # As on the dashboard: the form as it was filled in, the message beside the field, and
        # no list until the filter makes sense.
        return render(request, "dashboard_clusters.html", {
            **base,
            "f": _without_dates(request, services, CLUSTER_DAYS).scoped(locked),
            "errors": {exc.field: exc.message},
            "typed": _typed_dates(request),
        }, status=400)
    f = f.scoped(locked)
    found = await services.hot.clusters(f, open_only=open_only)
    return render(request, "dashboard_clusters.html", {**base, "clusters": found, "f": f})


def _cluster_id(request: web.Request) -> int:
    found = row_id(request.match_info["cluster_id"], INT8_MAX)  # past BIGINT: no cluster
    if found is None:
        raise web.HTTPNotFound()
    return found


async def _cluster_page(request: web.Request, *, status: int = 200, **extra: Any
                        ) -> web.Response:
    member = _member(request)
    services = _services(request)
    found = await services.hot.cluster(_cluster_id(request))
    if found is None:
        raise web.HTTPNotFound()
    label, members = found
    locked = _locked(member)
    if locked is not None:
        if not any(m.department_code == locked for m in members):
            raise web.HTTPForbidden()
        hidden = sum(1 for m in members if m.department_code != locked)
        members = [m for m in members if m.department_code == locked]
    else:
        hidden = 0
    closable = [m for m in members if m.status in ("signed", "in_progress")]
    unsigned = [m for m in members if m.status == "dispatched"]
    return render(request, "dashboard_cluster.html", {
        "nav": "dashboard", "title": f"热点诉求：{label}", "label": label,
        "cluster_id": _cluster_id(request), "members": members, "hidden": hidden,
        "closable": closable, "unsigned": unsigned, "tz": services.tz,
        "has_service": request.config_dict.get(keys.SLIPS) is not None,
        "errors": {}, **extra,
    }, status=status)


@routes.get(r"/dashboard/clusters/{cluster_id:\d+}")
async def cluster(request: web.Request) -> web.Response:
    return await _cluster_page(request)


@routes.post(r"/dashboard/clusters/{cluster_id:\d+}/close")
async def close_cluster(request: web.Request) -> web.Response:
    """Close every open slip of the cluster this person may close, each through the slip
    service in its own transaction, with the same result text. With `sign` checked, slips
    still waiting to be signed are signed first (their own transaction too)."""
    member = _member(request)
    services = _services(request)
    slips = request.config_dict.get(keys.SLIPS)
    if slips is None:
        return error_page(request, 503, "暂时不能办结", "交办单服务没有启动，请稍后再试。")
    form = await request.post()
    result = str(form.get("result", "")).strip()
    also_sign = form.get("sign") == "1"
    if not result:
        return await _cluster_page(request, status=400, errors={"result": "请填写办理结果"},
                                   result=result)
    found = await services.hot.cluster(_cluster_id(request))
    if found is None:
        raise web.HTTPNotFound()
    _, members = found
    locked = _locked(member)
    if locked is not None and not any(m.department_code == locked for m in members):
        raise web.HTTPForbidden()
    actor = member.actor()
    outcomes: list[tuple[str, str]] = []
    todo = [m for m in members if m.is_open and (locked is None or m.department_code == locked)]
    for m in todo[:BULK_LIMIT]:
        try:
            if m.status == "dispatched":
                if not also_sign:
                    outcomes.append((m.number, "未签收，未办结（可勾选“先签收”）"))
                    continue
                await slips.act(m.id, "sign", actor, note="集中办理：签收")
            await slips.act(m.id, "close", actor, data={"result": result})
            outcomes.append((m.number, "已办结"))
        except (TransitionNotAllowed, Forbidden) as exc:
            outcomes.append((m.number, f"不能办结：{_reason(exc)}"))
        except InvalidInput as exc:
            outcomes.append((m.number, f"不能办结：{exc.message}"))
        except (VersionConflict, NotFound):
            outcomes.append((m.number, "刚被别人改过或已不存在，请刷新后再试"))
    if len(todo) > BULK_LIMIT:
        outcomes.append(("", f"一次最多办结 {BULK_LIMIT} 张，其余请再提交一次"))
    closed = sum(1 for _, text in outcomes if text == "已办结")
    log.info("dashboard: %s closed %d slips of cluster %s", member.username, closed,
             _cluster_id(request))
    services.dashboard_cache.clear()
    return await _cluster_page(request, outcomes=outcomes, closed=closed)


def _reason(exc: Exception) -> str:
    reason = getattr(exc, "reason", None) or getattr(exc, "message", None)
    if reason:
        return str(reason)
    if isinstance(exc, Forbidden):
        return "不是本单位主办的交办单"
    return "当前状态不能办结"


def setup(console: web.Application) -> None:
    """Add the dashboard to the console sub-app (routes, template filters, stylesheet)."""
    console.router.add_routes(routes)
    env = aiohttp_jinja2.get_env(console)
    setup_filters(env)
    css = resources.files("handlers.console").joinpath("static/dashboard.css").read_bytes()
    version = hashlib.sha256(css).hexdigest()[:10]
    env.globals["dashboard_css"] = f"/console/static/dashboard.css?v={version}"
