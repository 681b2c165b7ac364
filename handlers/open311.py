"""Open311 GeoReport v2, read only: /open311/v2/discovery, services, requests, requests/{id},
in .json and .xml (http://wiki.open311.org/GeoReport_v2).

Mapping (knowledge/workflow.yaml gives each state its open/closed):
- services = the first-level complaint categories (service_code: a fixed pinyin code, the
  category's name is accepted too; keywords: its second-level classes);
- service_request_id = the slip number; status open/closed; status_notes = the scrubbed
  result once closed, else the resident's status label; agency_responsible = the lead
  department; requested/updated/expected_datetime = accepted, last change, completion limit
  (W3C, local time zone); address = district + street only; lat/long rounded to 0.01°.
- Left out: description (the resident's own words are never published), media_url,
  address_id, zipcode, and every personal detail; requests hidden from the public pages
  (reports, 纪检监察 / 政法, withdrawn, merged) are hidden here too.
- GET requests: service_request_id (comma list, overrides the rest), service_code (comma
  list), status (open, closed or both), start_date / end_date (default: the last 90 days),
  and the paging extension page / page_size (default 200, at most 1000).
- Errors are Open311 error lists: [{"code": 400, "description": "…"}].
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.stats.public import PublicQuery, PublicSlip
from bot.stats.services import StatsServices
from bot.storage.types import storable
from handlers import keys as app_keys
from handlers.public import ensure_stats
from handlers.public.keys import STATS

if TYPE_CHECKING:
    from knowledge.pack import KnowledgePack

SPEC = "http://wiki.open311.org/GeoReport_v2"
DEFAULT_DAYS = 90
DEFAULT_PAGE_SIZE = 200
MAX_PAGE_SIZE = 1000

# The fixed first-level classes (DESIGN.md §3.1) and their service codes.
SERVICE_CODES = {
    "城乡建设": "cxjs",
    "环境保护": "hjbh",
    "交通运输": "jtys",
    "教育文体": "jywt",
    "劳动和社会保障": "ldshbz",
    "商贸旅游": "smly",
    "卫生计生": "wsjs",
    "农村农业": "ncny",
    "政法": "zf",
    "民政": "mz",
    "党务政务": "dwzw",
    "经济管理": "jjgl",
    "纪检监察": "jjjc",
    "国土资源": "gtzy",
    "科技与信息产业": "kjxx",
}
CATEGORY_OF = {code: name for name, code in SERVICE_CODES.items()}

# Record fields in the order the spec lists them (XML keeps this order).
REQUEST_FIELDS = (
    "service_request_id", "status", "status_notes", "service_name", "service_code",
    "agency_responsible", "requested_datetime", "updated_datetime", "expected_datetime",
    "address", "lat", "long",
)


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status, self.description = status, description


# -- documents ---------------------------------------------------------------------------------
def w3c(value: datetime | None, tz: ZoneInfo) -> str | None:
    return None if value is None else value.astimezone(tz).isoformat(timespec="seconds")


def service_code(category: str) -> str:
    return SERVICE_CODES.get(category, category)


def services_document(services: StatsServices, taxonomy_children: Mapping[str, Sequence[str]]
                      ) -> list[dict[str, Any]]:
    return [
        {
            "service_code": service_code(name),
            "service_name": name,
            "description": f"{name}类诉求（{services.labels.district}）",
            "metadata": False,
            "type": "realtime",
            "keywords": ",".join(taxonomy_children.get(name, ())),
            "group": "",
        }
        for name in services.labels.categories
    ]


def request_document(slip: PublicSlip, services: StatsServices) -> dict[str, Any]:
    category = slip.category[0] if slip.category else ""
    district = services.labels.district
    notes = slip.result if (not slip.is_open and slip.result) else slip.status
    return {
        "service_request_id": slip.number,
        "status": "open" if slip.is_open else "closed",
        "status_notes": notes,
        "service_name": category,
        "service_code": service_code(category),
        "agency_responsible": slip.department or "",
        "requested_datetime": w3c(slip.accepted_at, services.tz),
        "updated_datetime": w3c(slip.updated_at, services.tz),
        "expected_datetime": w3c(slip.due_at, services.tz),
        "address": f"{district}{slip.street}" if slip.street else district,
        "lat": slip.lat,
        "long": slip.lon,
    }


def to_xml(root: str, item: str, records: Sequence[Mapping[str, Any]]) -> str:
    top = ET.Element(root)
    for record in records:
        node = ET.SubElement(top, item)
        for key, value in record.items():
            child = ET.SubElement(node, key)
            if isinstance(value, bool):
                child.text = "true" if value else "false"
            elif value is not None:
                child.text = str(value)
    return '<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="unicode")


def respond(fmt: str, root: str, item: str, records: list[dict[str, Any]],
            status: int = 200) -> web.Response:
    if fmt == "xml":
        return web.Response(text=to_xml(root, item, records), status=status,
                            content_type="text/xml", charset="utf-8")
    return web.json_response(records, status=status, dumps=_json)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def error(fmt: str, status: int, description: str) -> web.Response:
    return respond(fmt, "errors", "error", [{"code": status, "description": description}],
                   status=status)


# -- parameters --------------------------------------------------------------------------------
def parse_instant(value: str, tz: ZoneInfo, *, end: bool) -> datetime:
    """A W3C date or datetime; without a zone it is local time; a bare date is the start of
    the day (start_date) or its end (end_date)."""
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime.combine(day, time.min, tz)
            return moment + timedelta(days=1, microseconds=-1) if end else moment
        moment = datetime.fromisoformat(text)
    except ValueError:
        name = "end_date" if end else "start_date"
        raise Open311Error(400, f"{name} must be a W3C datetime such as "
                           "2026-03-01T00:00:00+08:00") from None
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment


def _int(query: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise Open311Error(400, f"{name} must be a whole number") from None
    if not lo <= value <= hi:
        raise Open311Error(400, f"{name} must be between {lo} and {hi}")
    return value


def _list(query: Mapping[str, str], name: str) -> list[str]:
    return [v.strip() for v in query.get(name, "").split(",") if v.strip()]


def requests_query(query: Mapping[str, str], services: StatsServices
                   ) -> tuple[PublicQuery, int, int]:
    page = _int(query, "page", 1, 1, 100000)
    page_size = _int(query, "page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    ids = _list(query, "service_request_id")
    if ids:
        if len(ids) > MAX_PAGE_SIZE:
            raise Open311Error(400, f"at most {MAX_PAGE_SIZE} service_request_id values")
        if not all(storable(i) and len(i) <= 64 for i in ids):  # NUL: PostgreSQL refuses it
            raise Open311Error(400, "service_request_id values are request numbers")
        return PublicQuery(numbers=tuple(ids)), 1, len(ids)
    categories = []
    for code in _list(query, "service_code"):
        name = CATEGORY_OF.get(code, code)
        if name not in services.labels.categories:
            raise Open311Error(400, f"unknown service_code {code!r}; see services.json")
        categories.append(name)
    statuses = {s.lower() for s in _list(query, "status")}
    if not statuses <= {"open", "closed"}:
        raise Open311Error(400, "status must be open, closed or both (comma separated)")
    status = statuses.pop() if len(statuses) == 1 else None
    # without end_date: up to now (no bound); without start_date: 90 days before the end,
    # to the minute (so that the cache can serve repeated default queries)
    until = parse_instant(query["end_date"], services.tz, end=True) \
        if query.get("end_date") else None
    if query.get("start_date"):
        since = parse_instant(query["start_date"], services.tz, end=False)
    else:
        since = (until or services.now()).replace(second=0, microsecond=0) \
            - timedelta(days=DEFAULT_DAYS)
    if until is not None and since > until:
        raise Open311Error(400, "start_date must not be after end_date")
    return (PublicQuery(categories=tuple(categories), status=status, since=since, until=until),
            page, page_size)


# -- views -------------------------------------------------------------------------------------
def _services(request: web.Request) -> StatsServices:
    return request.config_dict[STATS]


async def discovery(request: web.Request) -> web.Response:
    fmt = request.match_info["fmt"]
    base = f"{request.scheme}://{request.host}/open311/v2/"
    doc = {
        "changeset": "2026-11-25T00:00:00+08:00",
        "contact": "民意交办中心",
        "key_service": "read only: no key needed",
        "endpoints": [{
            "specification": SPEC,
            "url": base,
            "changeset": "2026-11-25T00:00:00+08:00",
            "type": "production",
            "formats": ["application/json", "text/xml"],
        }],
    }
    if fmt == "xml":
        top = ET.Element("discovery")
        for key in ("changeset", "contact", "key_service"):
            ET.SubElement(top, key).text = doc[key]
        endpoints = ET.SubElement(top, "endpoints")
        node = ET.SubElement(endpoints, "endpoint")
        for key in ("specification", "url", "changeset", "type"):
            ET.SubElement(node, key).text = doc["endpoints"][0][key]
        formats = ET.SubElement(node, "formats")
        for f in doc["endpoints"][0]["formats"]:
            ET.SubElement(formats, "format").text = f
        return web.Response(text='<?xml version="1.0" encoding="utf-8"?>'
                            + ET.tostring(top, encoding="unicode"),
                            content_type="text/xml", charset="utf-8")
    return web.json_response(doc, dumps=_json)


async def services_list(request: web.Request) -> web.Response:
    services = _services(request)
    children = request.app[_CHILDREN]
    return respond(request.match_info["fmt"], "services", "service",
                   services_document(services, children))


async def service_definition(request: web.Request) -> web.Response:
    # metadata is false for every service: there is no definition to give
    return error(request.match_info["fmt"], 404,
                 "no service definition: every service has metadata false")


async def requests_list(request: web.Request) -> web.Response:
    fmt = request.match_info["fmt"]
    services = _services(request)
    try:
        query, page, page_size = requests_query(request.query, services)
    except Open311Error as exc:
        return error(fmt, exc.status, exc.description)
    result = await services.public_cache.get(
        ("open311", query, page, page_size),
        lambda: services.public.page(query, page=page, per_page=page_size),
    )
    records = [request_document(s, services) for s in result.items]
    response = respond(fmt, "service_requests", "request", records)
    if result.has_next:
        response.headers["Link"] = _next_link(request, page + 1)
    return response


async def request_one(request: web.Request) -> web.Response:
    fmt = request.match_info["fmt"]
    services = _services(request)
    number = request.match_info["id"].upper()
    record = await services.public_cache.get(("slip", number),
                                             lambda: services.public.get(number))
    if record is None:
        return error(fmt, 404, f"no public service request {number}")
    return respond(fmt, "service_requests", "request", [request_document(record, services)])


async def post_refused(request: web.Request) -> web.Response:
    return error(request.match_info.get("fmt", "json"), 403,
                 "this endpoint is read only: residents submit through the WeChat account")


async def unknown(request: web.Request) -> web.Response:
    fmt = "xml" if request.path.endswith(".xml") else "json"
    return error(fmt, 404, "unknown resource or format (json and xml are served)")


def _next_link(request: web.Request, page: int) -> str:
    url = request.url.update_query({"page": str(page)})
    return f'<{url.path_qs}>; rel="next"'


_CHILDREN: web.AppKey[dict[str, tuple[str, ...]]] = web.AppKey("open311_service_keywords")
FMT = "{fmt:json|xml}"


def create_open311_app(pack: KnowledgePack) -> web.Application:
    app = web.Application()
    children: dict[str, list[str]] = {}
    for path in pack.taxonomy.nodes:
        if len(path) == 2:
            children.setdefault(path[0], []).append(path[1])
    app[_CHILDREN] = {k: tuple(v) for k, v in children.items()}
    app.router.add_get(f"/discovery.{FMT}", discovery)
    app.router.add_get(f"/services.{FMT}", services_list)
    app.router.add_get(f"/services/{{code}}.{FMT}", service_definition)
    app.router.add_get(f"/requests.{FMT}", requests_list)
    app.router.add_post(f"/requests.{FMT}", post_refused)
    app.router.add_get(f"/requests/{{id:[A-Za-z0-9_-]+}}.{FMT}", request_one)
    app.router.add_route("*", "/{rest:.*}", unknown)
    return app


def setup_open311(app: web.Application) -> None:
    """Mount the read-only Open311 GeoReport v2 endpoints at /open311/v2/."""
    ensure_stats(app)
    app.add_subapp("/open311/v2", create_open311_app(app_keys.pack_of(app)))
