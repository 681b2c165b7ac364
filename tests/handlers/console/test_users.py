"""User management: only administrators; field errors next to the field; passwords shown once."""

from __future__ import annotations

import re

from aiohttp.test_utils import TestClient

from handlers.console import keys
from tests.handlers.staff_app import Browser, NewBrowser, add_member


async def _admin(client: TestClient) -> Browser:
    await add_member(client, "root", "admin", display_name="管理员甲")
    me = Browser.of(client)
    await me.login("root")
    await me.get("/console/users")
    return me


async def test_only_admins_manage_users(client: TestClient, browsers: NewBrowser) -> None:
    await add_member(client, "root", "admin")
    for role, department in (("dispatcher", None), ("handler", "D-CGJ"), ("supervisor", None)):
        await add_member(client, role, role, department)
        me = browsers(client)
        await me.login(role)
        response, _ = await me.get("/console/users")
        assert response.status == 403
        await me.get("/console/account")
        response, _ = await me.post(
            "/console/users", {"username": "sneaky", "role": "admin", "display_name": "x"}
        )
        assert response.status == 403
    assert await client.server.app[keys.STAFF].by_username("sneaky") is None


async def test_admin_creates_a_handler_and_sees_the_password_once(
    client: TestClient, browsers: NewBrowser
) -> None:
    me = await _admin(client)
    response, page = await me.post(
        "/console/users",
        {"username": "Zhao", "display_name": "赵承办", "role": "handler", "department": "D-CGJ"},
    )
    assert response.status == 200 and "已创建账号 zhao" in page
    password = re.search(r'id="new-password">([^<]+)<', page).group(1)
    assert len(password) >= 12
    zhao = browsers(client)
    assert (await zhao.login("zhao", password))[0].status == 303
    _, page = await zhao.get("/console/account")
    assert "赵承办" in page and "区城市管理局" in page
    _, page = await me.get("/console/users")
    assert password not in page


async def test_bad_fields_are_explained_next_to_the_field(client: TestClient) -> None:
    me = await _admin(client)
    for data, field, words in (
        ({"username": "x", "role": "dispatcher"}, "username", "用户名为"),
        ({"username": "zhao", "role": "handler"}, "department", "承办人必须属于一个部门"),
        (
            {"username": "zhao", "role": "handler", "department": "NOPE"},
            "department",
            "没有这个部门",
        ),
        ({"username": "zhao", "role": "king"}, "role", "请选择角色"),
        ({"username": "zhao", "role": "dispatcher", "password": "short"}, "password", "至少"),
        ({"username": "root", "role": "dispatcher"}, "username", "已经有人用了"),
    ):
        response, page = await me.post("/console/users", data)
        assert response.status == 400
        error = re.search(rf'data-field="{field}">([^<]+)<', page)
        assert error and words in error.group(1), (data, field)
    assert [m.username for m in await client.server.app[keys.STAFF].list_users()] == ["root"]


async def test_admin_changes_a_role_and_cannot_lock_themselves_out(client: TestClient) -> None:
    me = await _admin(client)
    staff = client.server.app[keys.STAFF]
    li = await add_member(client, "li", "dispatcher")
    response, _ = await me.post(
        f"/console/users/{li.id}",
        {"display_name": "李督办", "role": "supervisor", "department": "", "active": "on"},
    )
    assert response.status == 200
    assert (await staff.get(li.id)).role == "supervisor"
    root = await staff.by_username("root")
    response, page = await me.post(
        f"/console/users/{root.id}", {"display_name": "x", "role": "admin", "department": ""}
    )
    assert response.status == 400 and "不能停用自己的账号" in page
    assert (await staff.get(root.id)).active


async def test_reset_password_and_api_tokens(client: TestClient, browsers: NewBrowser) -> None:
    me = await _admin(client)
    li = await add_member(client, "li", "dispatcher")
    response, page = await me.post(f"/console/users/{li.id}/password")
    password = re.search(r'id="new-password">([^<]+)<', page).group(1)
    assert (await browsers(client).login("li", password))[0].status == 303

    response, page = await me.post(
        "/console/tokens", {"owner": "li", "name": "热线对接", "scope": "read"}
    )
    token = re.search(r'id="new-token">([^<]+)<', page).group(1)
    assert token.startswith("mny_")
    staff = client.server.app[keys.STAFF]
    assert (await staff.verify_token(token))[0].username == "li"
    response, page = await me.post("/console/tokens", {"owner": "nobody", "name": "x"})
    assert response.status == 400 and "没有这个用户" in page
    info = (await staff.list_tokens())[0]
    await me.post(f"/console/tokens/{info.id}/revoke")
    assert await staff.verify_token(token) is None
