"""Who is asking: the session cookie, CSRF tokens and login, shared by the console and the
same-origin use of the API."""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from aiohttp import web

from bot.staff import StaffMember, StaffSession
from handlers import keys as app_keys
from handlers.console import keys

COOKIE = "minyi_session"
SECURE_COOKIE = "__Host-minyi_session"  # __Host-: Secure, Path=/, no Domain — cannot be planted
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


def cookie_name(request: web.Request) -> str:
    return (
        SECURE_COOKIE if request.config_dict[app_keys.SETTINGS].console.cookie_secure else COOKIE
    )


def set_session_cookie(request: web.Request, response: web.StreamResponse, sid: str) -> None:
    response.set_cookie(
        cookie_name(request),
        sid,
        path="/",
        httponly=True,
        secure=request.config_dict[app_keys.SETTINGS].console.cookie_secure,
        samesite="Lax",
    )


def clear_session_cookie(request: web.Request, response: web.StreamResponse) -> None:
    response.del_cookie(cookie_name(request), path="/")


async def identify(request: web.Request) -> tuple[StaffSession | None, StaffMember | None]:
    """The session named by the cookie and its signed-in member, if both are still good: the
    account active and not signed out everywhere since (password change, role change)."""
    sessions = request.config_dict[keys.SESSIONS]
    session = await sessions.load(request.cookies.get(cookie_name(request)))
    if session is None or session.user_id is None:
        return session, None
    member = await request.config_dict[keys.STAFF].get(session.user_id)
    if member is None or not member.active or member.session_epoch != session.epoch:
        await sessions.end(session.id)
        return None, None
    return session, member


def csrf_ok(session: StaffSession | None, presented: str | None) -> bool:
    if session is None or not presented:
        return False
    return hmac.compare_digest(session.csrf.encode(), presented.encode())


def same_origin(request: web.Request) -> bool:
    """False when the browser says the request comes from another site (Origin, or Referer
    when Origin is absent). Requests without either (old clients, curl) rely on the token."""
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if not source or source == "null":
        return source is None
    return urlsplit(source).netloc.lower() == request.host.lower()


def client_ip(request: web.Request) -> str:
    """The client's address: the configured proxy header when set (its last entry, the one
    our proxy added), else the TCP peer."""
    header = request.config_dict[app_keys.SETTINGS].console.client_ip_header
    if header:
        forwarded = request.headers.get(header, "").split(",")[-1].strip()
        if forwarded:
            return forwarded[:64]
    return request.remote or "unknown"
