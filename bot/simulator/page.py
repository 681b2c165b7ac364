"""The chat page: a phone-sized WeChat look-alike where a person types as a resident."""

from __future__ import annotations

from importlib import resources

from aiohttp import web

# Everything is inline and same-origin; the page must work with no network beyond the app.
CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'self'"
)


def add_page_routes(app: web.Application) -> None:
    html = resources.files("bot.simulator").joinpath("templates/chat.html").read_text("utf-8")

    async def page(request: web.Request) -> web.Response:
        return web.Response(
            text=html,
            content_type="text/html",
            charset="utf-8",
            headers={
                "Cache-Control": "no-store",
                "Content-Security-Policy": CSP,
                "X-Content-Type-Options": "nosniff",
            },
        )

    app.router.add_get("/", page)
