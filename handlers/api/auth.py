"""API authentication: `Authorization: Bearer <token>` for integrations, or the console
session for same-origin use (state changes then need the X-CSRF-Token header)."""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.staff import StaffMember
from bot.staff.roles import TokenScope
from handlers.api.errors import ApiError
from handlers.console import keys
from handlers.console.auth import CSRF_HEADER, csrf_ok, identify, same_origin

PUBLIC = ("/api/v1/openapi.json",)
SAFE = ("GET", "HEAD", "OPTIONS")


@web.middleware
async def api_auth(request: web.Request, handler: Handler) -> web.StreamResponse:
    request[keys.MEMBER] = None
    request[keys.SESSION] = None
    request[keys.TOKEN_SCOPE] = None
    if request.path in PUBLIC:
        return await handler(request)
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "invalid_token", "Authorization 头应为 Bearer 令牌")
        found = await request.config_dict[keys.STAFF].verify_token(token.strip())
        if found is None:
            raise ApiError(401, "invalid_token", "令牌无效、已作废，或其账号已停用")
        member, info = found
        if request.method not in SAFE and info.scope != TokenScope.WRITE:
            raise ApiError(403, "insufficient_scope", "这个令牌只能读取，不能办理")
        request[keys.MEMBER] = member
        request[keys.TOKEN_SCOPE] = info.scope
        return await handler(request)
    session, member = await identify(request)
    if member is None:
        raise ApiError(401, "unauthorized", "请先登录，或在 Authorization 头中提供令牌")
    if request.method not in SAFE and (
        not same_origin(request) or not csrf_ok(session, request.headers.get(CSRF_HEADER))
    ):
        raise ApiError(403, "csrf", "使用登录会话调用时，需要同源请求和 X-CSRF-Token 头")
    request[keys.SESSION] = session
    request[keys.MEMBER] = member
    return await handler(request)


def member_of(request: web.Request) -> StaffMember:
    member = request[keys.MEMBER]
    if member is None:  # the middleware lets no such request through
        raise ApiError(401, "unauthorized", "请先登录")
    return member
