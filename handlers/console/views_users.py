"""User management (administrators): accounts, roles, departments, passwords, API tokens."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from bot.staff import ROLE_LABELS, StaffInputError, StaffMember
from bot.staff.passwords import generate_password
from bot.staff.roles import SCOPE_LABELS
from handlers.console import keys
from handlers.console.render import render

log = logging.getLogger(__name__)

routes = web.RouteTableDef()


def _admin(request: web.Request) -> StaffMember:
    member = request[keys.MEMBER]
    if member is None or not member.is_admin:
        raise web.HTTPForbidden()
    return member


async def _page(request: web.Request, status: int = 200, **context: Any) -> web.Response:
    staff = request.config_dict[keys.STAFF]
    return render(
        request,
        "users.html",
        {
            "nav": "users",
            "title": "用户管理",
            "users": await staff.list_users(),
            "tokens": await staff.list_tokens(),
            "roles": ROLE_LABELS,
            "scopes": SCOPE_LABELS,
            **context,
        },
        status=status,
    )


def _user_id(request: web.Request) -> int:
    try:
        return int(request.match_info["user_id"])
    except ValueError:
        raise web.HTTPNotFound() from None


@routes.get("/users")
async def users(request: web.Request) -> web.Response:
    _admin(request)
    return await _page(request)


@routes.post("/users")
async def create_user(request: web.Request) -> web.Response:
    admin = _admin(request)
    form = await request.post()
    values = {
        k: str(form.get(k, "")).strip()
        for k in ("username", "display_name", "role", "department", "password")
    }
    password = values["password"] or generate_password()
    try:
        member = await request.config_dict[keys.STAFF].create_user(
            values["username"],
            password=password,
            role=values["role"],
            display_name=values["display_name"] or None,
            department=values["department"] or None,
        )
    except StaffInputError as exc:
        return await _page(request, 400, errors={exc.field: exc.message}, new=values)
    log.info("console: %s created account %s (%s)", admin.username, member.username, member.role)
    shown = None if values["password"] else password
    return await _page(
        request, created=member, password=shown, done=f"已创建账号 {member.username}。"
    )


@routes.post("/users/{user_id}")
async def update_user(request: web.Request) -> web.Response:
    admin = _admin(request)
    user_id = _user_id(request)
    form = await request.post()
    role = str(form.get("role", ""))
    active = form.get("active") == "on"
    try:
        if user_id == admin.id and (role != admin.role or not active):
            raise StaffInputError("role", "不能停用自己的账号或取消自己的管理员角色")
        member = await request.config_dict[keys.STAFF].update_user(
            user_id,
            display_name=str(form.get("display_name", "")),
            role=role,
            department=str(form.get("department", "")).strip() or None,
            active=active,
        )
    except StaffInputError as exc:
        return await _page(request, 400, errors={exc.field: exc.message}, editing=user_id)
    log.info("console: %s updated account %s", admin.username, member.username)
    return await _page(request, done=f"已保存 {member.username} 的资料。")


@routes.post("/users/{user_id}/password")
async def reset_password(request: web.Request) -> web.Response:
    admin = _admin(request)
    user_id = _user_id(request)
    staff = request.config_dict[keys.STAFF]
    member = await staff.get(user_id)
    if member is None:
        raise web.HTTPNotFound()
    password = generate_password()
    await staff.set_password(user_id, password)
    log.info("console: %s reset the password of %s", admin.username, member.username)
    return await _page(
        request,
        password=password,
        created=member,
        done=f"已为 {member.username} 设置新密码，该账号在其他设备上的登录已退出。",
    )


@routes.post("/tokens")
async def create_token(request: web.Request) -> web.Response:
    admin = _admin(request)
    form = await request.post()
    staff = request.config_dict[keys.STAFF]
    try:
        owner = await staff.by_username(str(form.get("owner", "")))
        if owner is None:
            raise StaffInputError("owner", "没有这个用户")
        info, token = await staff.create_token(
            owner.id, name=str(form.get("name", "")), scope=str(form.get("scope", ""))
        )
    except StaffInputError as exc:
        return await _page(request, 400, token_errors={exc.field: exc.message})
    log.info(
        "console: %s created API token %s for %s", admin.username, info.prefix, owner.username
    )
    return await _page(request, token=token, done=f"已创建令牌“{info.name}”。")


@routes.post("/tokens/{token_id}/revoke")
async def revoke_token(request: web.Request) -> web.Response:
    admin = _admin(request)
    try:
        token_id = int(request.match_info["token_id"])
        await request.config_dict[keys.STAFF].revoke_token(token_id)
    except (ValueError, StaffInputError):
        raise web.HTTPNotFound() from None
    log.info("console: %s revoked API token %s", admin.username, token_id)
    return await _page(request, done="令牌已作废。")
