"""/public: handling results and satisfaction by department and period, anonymised slips, and
the definitions. No login; every figure and list comes through the public cache."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from bot.charts import bar_chart, for_phones_too, line_chart
from bot.stats.filters import StatsFilter
from bot.stats.measures import MEASURES, PERIOD_RULE, StatsRow, percent
from bot.stats.public import (
    PRIVATE_CATEGORIES,
    PRIVATE_REQUEST_TYPES,
    PublicQuery,
)
from bot.stats.services import PUBLIC_CHECK, StatsServices
from handlers.public.format import rate_series
from handlers.public.keys import STATS

routes = web.RouteTableDef()

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")
PER_PAGE = 20
# Charts drawn about as wide as a phone shows them, so their text stays readable there.
PHONE_CHART_WIDTH = 400


@dataclass(frozen=True)
class PeriodChoice:
    code: str
    label: str
    date_from: date
    date_to: date


def _month(year: int, month: int) -> PeriodChoice:
    start = date(year, month, 1)
    end = (date(year + (month == 12), month % 12 + 1, 1)) - timedelta(days=1)
    return PeriodChoice(f"{year:04d}-{month:02d}", f"{year}年{month}月", start, end)


def _year(year: int) -> PeriodChoice:
    return PeriodChoice(f"{year:04d}", f"{year}年", date(year, 1, 1), date(year, 12, 31))


def period_choices(today: date) -> list[PeriodChoice]:
    months, y, m = [], today.year, today.month
    for _ in range(12):
        months.append(_month(y, m))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return [*months, _year(today.year), _year(today.year - 1)]


def parse_period(value: str | None, today: date) -> PeriodChoice:
    if not value:
        return _month(today.year, today.month)
    if found := _MONTH.match(value):
        year, month = int(found.group(1)), int(found.group(2))
        if 2000 <= year <= today.year and 1 <= month <= 12:
            return _month(year, month)
    elif (found := _YEAR.match(value)) and 2000 <= int(found.group(1)) <= today.year:
        return _year(int(found.group(1)))
    raise web.HTTPBadRequest(text="统计期格式应为 2026-03 或 2026")


def _services(request: web.Request) -> StatsServices:
    return request.config_dict[STATS]


def _today(services: StatsServices) -> date:
    return services.now().astimezone(services.tz).date()


def _base(services: StatsServices, **context: Any) -> dict[str, Any]:
    return {
        "tz": services.tz,
        "district": services.labels.district,
        "refresh_seconds": int(PUBLIC_CHECK),
        **context,
    }


async def _overview(services: StatsServices, period: PeriodChoice) -> dict[str, Any]:
    f = StatsFilter(date_from=period.date_from, date_to=period.date_to)
    # the trend: the twelve months up to the end of the chosen period
    end = period.date_to
    start = date(end.year - 1, end.month, 1) + timedelta(days=31)
    start = date(start.year, start.month, 1)
    trend_filter = StatsFilter(date_from=start, date_to=end)
    tables = await services.stats.tables(("total", "department"), f)
    total = tables["total"][0] if tables["total"] else StatsRow(key=None, label="合计")
    departments = tables["department"]
    trend = await services.stats.table("period", trend_filter, period="month")
    latest = await services.public.page(
        PublicQuery(status="closed", date_from=period.date_from, date_to=period.date_to),
        per_page=8,
    )
    labels = [_month_label(r.key) for r in trend if r.key]
    trend_chart = for_phones_too(
        line_chart,
        labels,
        rate_series(trend, ("satisfaction_rate", "on_time_rate", "response_rate")),
        title="近十二个月的满意率、按时办结率和响应率",
        fmt=lambda v: percent(v, 0),
        max_value=1.0,
        width=PHONE_CHART_WIDTH,
    )
    rated = sorted((r for r in departments if r.answered), key=lambda r: -(r.satisfaction_rate or 0))
    satisfaction_chart = for_phones_too(
        bar_chart,
        [(r.label, r.satisfaction_rate) for r in rated],
        title=f"{period.label}各单位满意率",
        fmt=percent,
        max_value=1.0,
        empty="本期还没有居民评价",
        width=PHONE_CHART_WIDTH,
    )
    return {
        "total": total,
        "departments": departments,
        "trend_chart": trend_chart,
        "satisfaction_chart": satisfaction_chart,
        "latest": latest.items,
    }


def _month_label(key: str) -> str:
    """"3月"; January with its year ("2026年1月") so a trend across years reads right."""
    month = int(key[5:7])
    return f"{key[:4]}年1月" if month == 1 else f"{month}月"


@routes.get("/")
async def index(request: web.Request) -> web.Response:
    services = _services(request)
    today = _today(services)
    period = parse_period(request.query.get("period"), today)
    data = await services.public_cache.get(
        ("overview", period.code), lambda: _overview(services, period)
    )
    context = _base(services, period=period, periods=period_choices(today), **data)
    return aiohttp_jinja2.render_template("public_index.html", request, context)


def _slip_query(request: web.Request, services: StatsServices) -> tuple[PublicQuery, int]:
    q = request.query
    category = q.get("category") or None
    if category and category not in services.labels.categories:
        category = None
    street = q.get("street") or None
    if street and street not in services.labels.streets:
        street = None
    status = q.get("status") if q.get("status") in ("open", "closed") else None
    try:
        page = max(1, min(500, int(q.get("page", "1"))))
    except ValueError:
        page = 1
    return PublicQuery(categories=(category,) if category else (), street=street,
                       status=status), page


@routes.get("/slips")
async def slips(request: web.Request) -> web.Response:
    services = _services(request)
    query, page = _slip_query(request, services)
    result = await services.public_cache.get(
        ("slips", query, page), lambda: services.public.page(query, page=page, per_page=PER_PAGE)
    )
    params = {
        "category": query.categories[0] if query.categories else "",
        "street": query.street or "",
        "status": query.status or "",
    }
    context = _base(
        services,
        page=result,
        params=params,
        categories=[c for c in services.labels.categories if c not in PRIVATE_CATEGORIES],
        streets=services.labels.streets,
    )
    return aiohttp_jinja2.render_template("public_slips.html", request, context)


@routes.get(r"/slips/{number:[A-Za-z]{1,8}\d{8,}}")
async def slip(request: web.Request) -> web.Response:
    services = _services(request)
    number = request.match_info["number"].upper()
    record = await services.public_cache.get(("slip", number),
                                             lambda: services.public.get(number))
    if record is None:
        return missing(request, number)
    return aiohttp_jinja2.render_template("public_slip.html", request,
                                          _base(services, slip=record))


@routes.get("/definitions")
async def definitions(request: web.Request) -> web.Response:
    services = _services(request)
    context = _base(
        services,
        measures=MEASURES,
        period_rule=PERIOD_RULE,
        private_categories=PRIVATE_CATEGORIES,
        private_types=PRIVATE_REQUEST_TYPES,
    )
    return aiohttp_jinja2.render_template("public_definitions.html", request, context)


def missing(request: web.Request, number: str | None = None) -> web.Response:
    """The site's own not-found page: a slip that is not public (`number`), or any address."""
    context = _base(_services(request), number=number)
    return aiohttp_jinja2.render_template("public_missing.html", request, context, status=404)
