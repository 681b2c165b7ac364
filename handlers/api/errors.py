"""Errors as JSON: {"error": {"code", "message", "field"}} with the matching status code."""

from __future__ import annotations

import json
import logging

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.slips.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    TransitionNotAllowed,
    VersionConflict,
)

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


def error_response(
    status: int, code: str, message: str, field: str | None = None, **headers: str
) -> web.Response:
    body = {"error": {"code": code, "message": message, "field": field}}
    return web.Response(
        status=status,
        text=json.dumps(body, ensure_ascii=False),
        content_type="application/json",
        headers=headers,
    )


HTTP_CODES = {
    400: ("bad_request", "请求有误"),
    401: ("unauthorized", "需要登录或有效的令牌"),
    403: ("forbidden", "没有权限"),
    404: ("not_found", "找不到"),
    405: ("method_not_allowed", "不支持这个请求方法"),
    413: ("too_large", "请求体太大"),
}


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        headers = {}
        if exc.status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="minyi"'
        return error_response(exc.status, exc.code, exc.message, exc.field, **headers)
    except InvalidInput as exc:
        return error_response(400, "invalid_input", exc.message, exc.field)
    except NotFound:
        return error_response(404, "not_found", "没有这张交办单")
    except Forbidden:
        return error_response(403, "forbidden", "您没有权限查看或操作这张交办单")
    except VersionConflict as exc:
        return error_response(
            409, "version_conflict", f"交办单已被修改（当前版本 {exc.actual}），请重新读取后再操作"
        )
    except TransitionNotAllowed as exc:
        return error_response(
            409, "transition_not_allowed", exc.reason or "交办单当前状态不能进行这个操作"
        )
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code, message = HTTP_CODES.get(exc.status, ("error", exc.reason))
        kept = {k: v for k, v in exc.headers.items() if k == "Allow"}  # 405 must list them
        return error_response(exc.status, code, message, **kept)
    except Exception:
        log.exception("api: unexpected error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "服务器出错了，请稍后再试")
