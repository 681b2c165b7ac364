"""Reading list filters and paging from a query string (the console's form and the API)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from bot.slips.views import SlipFilter
from bot.storage.types import storable

FILTER_FIELDS = (
    "status",
    "department",
    "urgency",
    "area",
    "category",
    "date_from",
    "date_to",
    "q",
    "light",
)
LIGHTS = ("green", "yellow", "red")
MAX_PAGE = 10_000  # deeper pages: narrow the filters instead


@dataclass
class ListQuery:
    filters: SlipFilter
    page: int = 1
    per_page: int = 20
    errors: dict[str, str] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)  # what was asked, to refill the form


def _date(values: dict[str, str], name: str, errors: dict[str, str]) -> date | None:
    raw = values.get(name, "")
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = "日期格式应为 2026-01-31"
        return None


def _int(raw: str | None, default: int, lo: int, hi: int) -> int | None:
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if lo <= value <= hi else None


def parse_list_query(
    query: Mapping[str, str],
    *,
    statuses: Mapping[str, str],
    default_per_page: int,
    max_page: int = MAX_PAGE,
) -> ListQuery:
    """Filters, page and page size; bad values are reported per field and left out."""
    values = {k: query.get(k, "").strip()[:100] for k in FILTER_FIELDS}
    values = {k: v for k, v in values.items() if v}
    errors: dict[str, str] = {}
    for name in [k for k, v in values.items() if not storable(v)]:
        errors[name] = "含有无法识别的字符，请重新输入"  # NUL: PostgreSQL cannot compare it
        del values[name]
    status = values.get("status")
    if status and status not in statuses and status not in ("open", "closed"):
        errors["status"] = "没有这个状态"
        status = None
    light = values.get("light")
    if light and light not in LIGHTS:
        errors["light"] = "应为 green、yellow 或 red"
        light = None
    date_from = _date(values, "date_from", errors)
    date_to = _date(values, "date_to", errors)
    if date_from and date_to and date_from > date_to:
        errors["date_to"] = "结束日期不能早于开始日期"
        date_to = None
    page = _int(query.get("page"), 1, 1, max_page)
    if page is None:
        errors["page"] = "页码应为正整数"
        page = 1
    per_page = _int(query.get("per_page"), default_per_page, 1, 100)
    if per_page is None:
        errors["per_page"] = "每页条数应为 1–100"
        per_page = default_per_page
    filters = SlipFilter(
        status=status,
        department=values.get("department"),
        urgency=values.get("urgency"),
        area=values.get("area"),
        category=values.get("category"),
        date_from=date_from,
        date_to=date_to,
        q=values.get("q"),
        light=light,
    )
    return ListQuery(filters, page, per_page, errors, values)
