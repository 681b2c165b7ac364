"""The /public sub-app: templates, static files, headers."""

from __future__ import annotations

import hashlib
from importlib import resources

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp.typedefs import Handler

from bot.stats.services import PUBLIC_CHECK
from handlers.public import views
from handlers.public.format import setup_filters

# No script at all; styles only from our own file.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


async def _headers(request: web.Request, response: web.StreamResponse) -> None:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "no-referrer"
    headers["X-Frame-Options"] = "DENY"
    if response.status == 200 and request.method == "GET":
        # the pages move to new figures together within PUBLIC_CHECK of a change: a browser
        # or proxy keeping one longer would show it beside a newer one
        headers.setdefault("Cache-Control", f"public, max-age={int(PUBLIC_CHECK)}")


@web.middleware
async def _not_found(request: web.Request, handler: Handler) -> web.StreamResponse:
    """An unknown address under /public is the site's own page, not aiohttp's bare text."""
    try:
        return await handler(request)
    except web.HTTPNotFound:
        return views.missing(request)


def _static_version() -> str:
    css = resources.files("handlers.public").joinpath("static/public.css").read_bytes()
    return hashlib.sha256(css).hexdigest()[:10]


def create_public_app() -> web.Application:
    public = web.Application(middlewares=[_not_found])
    env = aiohttp_jinja2.setup(
        public,
        loader=jinja2.PackageLoader("handlers.public", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    setup_filters(env)
    version = _static_version()
    env.globals["static"] = lambda name: f"/public/static/{name}?v={version}"
    public.on_response_prepare.append(_headers)
    public.router.add_routes(views.routes)
    static = resources.files("handlers.public").joinpath("static")
    public.router.add_static("/static/", str(static), append_version=False)
    return public
