"""Console middlewares: who is signed in, CSRF on every POST, friendly error pages."""

from __future__ import annotations

import logging
from urllib.parse import quote

from aiohttp import web
from aiohttp.typedefs import Handler

from handlers.console import keys
from handlers.console.auth import CSRF_FIELD, csrf_ok, identify, same_origin
from handlers.console.render import error_page

log = logging.getLogger(__name__)

PUBLIC = ("/console/login", "/console/static/")


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPNotFound:
        return error_page(request, 404, "找不到这个页面", "地址可能有误，或者这张交办单不存在。")
    except web.HTTPForbidden:
        return error_page(request, 403, "没有权限", "您没有查看这个页面的权限。")
    except web.HTTPMethodNotAllowed:
        return error_page(request, 405, "不支持的操作", "请从页面上的按钮进行操作。")
    except web.HTTPRequestEntityTooLarge:
        return error_page(
            request, 413, "内容太长了", "这次填写的内容太长，没有保存。请返回上一页，删减后再提交。"
        )
    except web.HTTPException:
        raise
    except Exception:
        log.exception("console: unexpected error on %s %s", request.method, request.path)
        return error_page(
            request, 500, "系统出错了", "这次操作没有完成。请稍后再试，或把出错的时间告诉管理员。"
        )


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    session, member = await identify(request)
    request[keys.SESSION] = session
    request[keys.MEMBER] = member
    public = request.path.startswith(PUBLIC)
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        # every state change carries the session's CSRF token and comes from our own pages
        form = await request.post()
        token = form.get(CSRF_FIELD)
        if not same_origin(request) or not csrf_ok(
            session, token if isinstance(token, str) else None
        ):
            log.warning("console: refused a POST without a valid CSRF token: %s", request.path)
            return error_page(
                request,
                403,
                "页面已过期",
                "为了安全，这个表单已经失效。请返回上一页，刷新后再提交一次。",
            )
    if member is None and not public:
        target = "/console/login"
        if request.method == "GET" and request.path not in ("/console/", "/console/login"):
            target += "?next=" + quote(request.path_qs, safe="")
        raise web.HTTPSeeOther(target)
    return await handler(request)
