"""Response headers for every console and API response (set when the response is prepared,
so error pages and static files get them too)."""

from __future__ import annotations

from aiohttp import web

from handlers import keys as app_keys

# No inline script or style anywhere: what an attacker injects cannot run.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self'; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if not request.path.startswith("/console/static/"):
        headers["Cache-Control"] = "no-store"
    if request.config_dict[app_keys.SETTINGS].console.cookie_secure:
        headers["Strict-Transport-Security"] = "max-age=31536000"


def setup_security_headers(app: web.Application) -> None:
    app.on_response_prepare.append(add_security_headers)
