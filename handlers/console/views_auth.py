"""Login, logout and the signed-in person's own account."""

from __future__ import annotations

import logging

from aiohttp import web

from bot.staff import LoginRefused, StaffInputError
from handlers.console import keys
from handlers.console.auth import clear_session_cookie, client_ip, set_session_cookie
from handlers.console.render import render

log = logging.getLogger(__name__)

routes = web.RouteTableDef()

WRONG = "用户名或密码不正确。"


def _safe_next(value: object) -> str:
    """Only our own console pages: never another site, never a scheme-relative URL."""
    if (
        isinstance(value, str)
        and value.startswith("/console/")
        and "//" not in value
        and "\\" not in value
        and not any(ord(c) < 32 for c in value)
    ):
        return value
    return "/console/workbench"


@routes.get("/login")
async def login_form(request: web.Request) -> web.StreamResponse:
    if request[keys.MEMBER] is not None:
        raise web.HTTPSeeOther(_safe_next(request.query.get("next")))
    session = request[keys.SESSION]
    fresh = session is None
    if fresh:
        session = await request.config_dict[keys.SESSIONS].start()
        request[keys.SESSION] = session
    response = render(request, "login.html", {"next": request.query.get("next", "")})
    if fresh:
        set_session_cookie(request, response, session.id)
    return response


@routes.post("/login")
async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    username = str(form.get("username", "")).strip().lower()[:64]
    password = str(form.get("password", ""))
    next_url = str(form.get("next", ""))
    throttle = request.config_dict[keys.THROTTLE]
    ip = client_ip(request)

    def again(message: str, status: int) -> web.Response:
        return render(
            request,
            "login.html",
            {"message": message, "username": username, "next": next_url},
            status=status,
        )

    if not username or not password:
        return again("请填写用户名和密码。", 400)
    try:
        await throttle.check(username, ip)
    except LoginRefused as exc:
        log.warning("console: login refused while locked: user=%s ip=%s", username, ip)
        return again(exc.message, 429)
    member = await request.config_dict[keys.STAFF].authenticate(username, password)
    if member is None:
        locked = await throttle.failed(username, ip)
        log.info("console: failed login: user=%s ip=%s locked=%s", username, ip, locked)
        if locked:
            return again(throttle.lockout_message, 429)
        return again(WRONG, 401)
    session = await request.config_dict[keys.SESSIONS].rotate(
        request[keys.SESSION], member.id, member.session_epoch
    )
    log.info("console: login: user=%s ip=%s", member.username, ip)
    response = web.HTTPSeeOther(_safe_next(next_url))
    set_session_cookie(request, response, session.id)
    raise response


@routes.post("/logout")
async def logout(request: web.Request) -> web.StreamResponse:
    session = request[keys.SESSION]
    if session is not None:
        await request.config_dict[keys.SESSIONS].end(session.id)
    response = web.HTTPSeeOther("/console/login")
    clear_session_cookie(request, response)
    raise response


@routes.get("/account")
async def account(request: web.Request) -> web.Response:
    return render(request, "account.html", {"nav": "account", "title": "我的账号"})


@routes.post("/account/password")
async def change_password(request: web.Request) -> web.StreamResponse:
    member = request[keys.MEMBER]
    assert member is not None
    form = await request.post()
    current = str(form.get("current", ""))
    new = str(form.get("new", ""))
    repeat = str(form.get("repeat", ""))
    staff = request.config_dict[keys.STAFF]
    errors: dict[str, str] = {}
    throttle = request.config_dict[keys.THROTTLE]
    try:
        await throttle.check(member.username, client_ip(request))
        if not await staff.check_password(member.id, current):
            await throttle.failed(member.username, client_ip(request))
            errors["current"] = "当前密码不正确"
        elif new != repeat:
            errors["repeat"] = "两次输入的新密码不一样"
        else:
            await staff.set_password(member.id, new)
    except LoginRefused as exc:
        errors["current"] = exc.message
    except StaffInputError as exc:
        errors["new" if exc.field == "password" else exc.field] = exc.message
    if errors:
        return render(
            request,
            "account.html",
            {"nav": "account", "title": "我的账号", "errors": errors},
            status=400,
        )
    # every session of the account ended with the new password; start this one again
    fresh = await staff.get(member.id)
    assert fresh is not None
    session = await request.config_dict[keys.SESSIONS].rotate(
        request[keys.SESSION], fresh.id, fresh.session_epoch
    )
    request[keys.SESSION] = session
    response = render(
        request,
        "account.html",
        {"nav": "account", "title": "我的账号", "done": "密码已修改，其他设备上的登录已退出。"},
    )
    set_session_cookie(request, response, session.id)
    return response
