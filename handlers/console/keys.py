"""Typed keys for the console and the API (application and request scope)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from bot.staff import LoginThrottle, SessionStore, StaffDirectory, StaffMember, StaffSession
    from handlers.console.catalogue import Catalogue

STAFF: web.AppKey[StaffDirectory] = web.AppKey("staff_directory")
SESSIONS: web.AppKey[SessionStore] = web.AppKey("staff_sessions")
THROTTLE: web.AppKey[LoginThrottle] = web.AppKey("login_throttle")
CATALOGUE: web.AppKey[Catalogue] = web.AppKey("console_catalogue")
# The slip service (bot.slips.service.SlipService); typed loosely so the console imports
# without it.
SLIPS: web.AppKey[Any] = web.AppKey("console_slips")

# WeChat API client for residents' photos and voice notes (None: not configured).
MEDIA: web.AppKey[Any] = web.AppKey("console_media")

SESSION: web.RequestKey[StaffSession | None] = web.RequestKey("staff_session")
MEMBER: web.RequestKey[StaffMember | None] = web.RequestKey("staff_member")
# Set when the API authenticated the request with a token: its scope ("read" | "write").
TOKEN_SCOPE: web.RequestKey[str | None] = web.RequestKey("api_token_scope")
