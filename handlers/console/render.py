"""Rendering: the Jinja environment (autoescape on), its helpers, and error pages."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp_jinja2
import jinja2
from aiohttp import web

from handlers.console import keys

LOCAL = ZoneInfo("Asia/Shanghai")


def localtime(value: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if value.tzinfo is None:
        return value.strftime(fmt)
    return value.astimezone(LOCAL).strftime(fmt)


# a response limit this close is shown with the time left (a 特急 slip's two hours always)
RESPONSE_SOON = timedelta(hours=2)


@dataclass(frozen=True)
class ResponseDue:
    state: str  # "overdue" | "soon" | "later"
    at: str  # the local time, with the date unless it is today
    left: str  # the time left in words ("1小时5分钟"); "" when overdue


def _duration(delta: timedelta) -> str:
    minutes = max(1, int(delta.total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours}小时{minutes}分钟"
    return f"{hours}小时" if hours else f"{minutes}分钟"


def response_due(due: datetime | None, now: datetime | None = None) -> ResponseDue | None:
    """How an unsigned slip's response limit stands, for the lists (None: no limit running)."""
    if due is None:
        return None
    now = now or datetime.now(UTC)
    local_due = due.astimezone(LOCAL)
    same_day = local_due.date() == now.astimezone(LOCAL).date()
    at = local_due.strftime("%H:%M" if same_day else "%m-%d %H:%M")
    if due <= now:
        return ResponseDue("overdue", at, "")
    left = due - now
    return ResponseDue("soon" if left <= RESPONSE_SOON else "later", at, _duration(left))


def _static_version() -> str:
    css = resources.files("handlers.console").joinpath("static/console.css").read_bytes()
    return hashlib.sha256(css).hexdigest()[:10]


def _base_context(request: web.Request) -> dict[str, Any]:
    session = request.get(keys.SESSION)
    catalogue = request.config_dict[keys.CATALOGUE]
    return {
        "member": request.get(keys.MEMBER),
        "csrf_token": session.csrf if session is not None else "",
        "department_name": catalogue.department_name,
        "catalogue": catalogue,
        "errors": {},
        "message": None,
    }


def setup_templates(app: web.Application) -> None:
    version = _static_version()
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.PackageLoader("handlers.console", "templates"),
        autoescape=True,  # complaint text is untrusted: it is always text, never HTML
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["localtime"] = localtime
    env.globals["response_due"] = response_due
    env.globals["static"] = lambda name: f"/console/static/{name}?v={version}"


def render(
    request: web.Request, template: str, context: dict[str, Any], *, status: int = 200
) -> web.Response:
    """Render with the page basics (who is signed in, the CSRF token, the catalogue) computed
    now, after any login or logout in this request."""
    full = {**_base_context(request), **context}
    return aiohttp_jinja2.render_template(template, request, full, status=status)


def error_page(request: web.Request, status: int, heading: str, message: str) -> web.Response:
    return render(request, "error.html", {"heading": heading, "message": message}, status=status)
