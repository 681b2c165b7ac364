"""Signing in and out: sessions, throttling, CSRF, fixation, security headers."""

from __future__ import annotations

import re

from aiohttp.test_utils import TestClient
from yarl import URL

from handlers import keys as app_keys
from handlers.console import keys
from handlers.console.auth import COOKIE, SECURE_COOKIE
from tests.handlers.staff_app import PASSWORD, Browser, NewBrowser, add_member


async def test_pages_need_a_login(client: TestClient) -> None:
    for path in ("/console/", "/console/workbench", "/console/users", "/console/account"):
        response = await client.get(path, allow_redirects=False)
        assert response.status == 303
        assert response.headers["Location"].startswith("/console/login")
    response = await client.get("/console/account", allow_redirects=False)
    location = URL(response.headers["Location"])
    assert location.path == "/console/login" and location.query["next"] == "/console/account"


async def test_login_and_logout(client: TestClient) -> None:
    await add_member(client, "wang", "admin", display_name="王管理")
    me = Browser.of(client)
    response, _ = await me.login("wang")
    assert response.status == 303
    response, page = await me.get("/console/account")
    assert response.status == 200
    assert "王管理" in page and "管理员" in page
    response, _ = await me.post("/console/logout", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/console/login"
    response, _ = await me.get("/console/account", allow_redirects=False)
    assert response.status == 303


async def test_wrong_password_is_refused_without_saying_which_part(client: TestClient) -> None:
    await add_member(client, "wang", "admin")
    me = Browser.of(client)
    wrong_password, page1 = await me.login("wang", "not-the-password")
    unknown_user, page2 = await me.login("nobody", PASSWORD)
    assert wrong_password.status == unknown_user.status == 401
    assert "用户名或密码不正确" in page1 and "用户名或密码不正确" in page2
    assert (await me.get("/console/account", allow_redirects=False))[0].status == 303


async def test_login_is_throttled_per_username(client: TestClient) -> None:
    await add_member(client, "wang", "admin")
    me = Browser.of(client)
    attempts = client.server.app[app_keys.SETTINGS].console.login_attempts_per_user
    for _ in range(attempts - 1):
        response, _ = await me.login("wang", "guess-guess")
        assert response.status == 401
    response, page = await me.login("wang", "guess-guess")
    assert response.status == 429 and "登录失败次数过多" in page
    # now even the right password is refused until the window passes
    response, page = await me.login("wang", PASSWORD)
    assert response.status == 429 and "请 15 分钟后再试" in page
    # another person is not locked out by it
    await add_member(client, "li", "dispatcher")
    response, _ = await me.login("li")
    assert response.status == 303


async def test_login_is_throttled_per_address(make_client, console_settings) -> None:
    client = await make_client(
        console_settings.with_overrides(**{"console.login_attempts_per_ip": 3})
    )
    await add_member(client, "wang", "admin")
    me = Browser.of(client)
    for name in ("a1", "a2"):
        assert (await me.login(name, "guess-guess"))[0].status == 401
    response, _ = await me.login("a3", "guess-guess")
    assert response.status == 429
    response, page = await me.login("wang")
    assert response.status == 429 and "登录失败次数过多" in page


async def test_session_id_changes_at_login_and_the_old_one_is_dead(
    client: TestClient, browsers: NewBrowser
) -> None:
    """Session fixation: an id obtained before login (or planted) is worthless after it."""
    await add_member(client, "wang", "admin")
    me = browsers(client)
    await me.get("/console/login")
    before = me.cookie(COOKIE)
    response, _ = await me.post(
        "/console/login", {"username": "wang", "password": PASSWORD}, allow_redirects=False
    )
    after = me.cookie(COOKIE)
    assert response.status == 303 and before and after and after != before
    assert (await me.get("/console/account", allow_redirects=False))[0].status == 200
    # an attacker holding the pre-login id is not signed in
    attacker = browsers(client)
    attacker.session.cookie_jar.update_cookies({COOKIE: before}, attacker.base)
    response, _ = await attacker.get("/console/account", allow_redirects=False)
    assert response.status == 303


async def test_cookie_attributes(make_client, console_settings) -> None:
    client = await make_client(console_settings.with_overrides(**{"console.cookie_secure": True}))
    response = await client.get("/console/login")
    header = response.headers["Set-Cookie"]
    assert header.startswith(SECURE_COOKIE + "=")
    lowered = header.lower()
    assert "httponly" in lowered and "; secure" in lowered and "samesite=lax" in lowered
    assert "path=/" in lowered and "domain" not in lowered
    assert response.headers["Strict-Transport-Security"]
    plain = await (await make_client()).get("/console/login")
    assert plain.headers["Set-Cookie"].startswith(COOKIE + "=")
    assert "; secure" not in plain.headers["Set-Cookie"].lower()


async def test_post_without_csrf_token_changes_nothing(client: TestClient) -> None:
    await add_member(client, "wang", "admin")
    me = Browser.of(client)
    await me.login("wang")
    await me.get("/console/account")
    me.csrf = "forged"
    response, page = await me.post("/console/logout", allow_redirects=False)
    assert response.status == 403 and "页面已过期" in page
    assert (await me.get("/console/account", allow_redirects=False))[0].status == 200


async def test_login_form_needs_its_csrf_token(client: TestClient) -> None:
    await add_member(client, "wang", "admin")
    await client.get("/console/login")  # a session exists, but the token is not presented
    response = await client.post(
        "/console/login", data={"username": "wang", "password": PASSWORD}, allow_redirects=False
    )
    assert response.status == 403


async def test_csrf_token_of_another_session_is_refused(
    client: TestClient, browsers: NewBrowser
) -> None:
    await add_member(client, "wang", "admin")
    await add_member(client, "li", "admin")
    mine, theirs = browsers(client), browsers(client)
    await mine.login("wang")
    await theirs.login("li")
    await mine.get("/console/account")
    await theirs.get("/console/account")
    mine.csrf = theirs.csrf
    response, _ = await mine.post("/console/logout", allow_redirects=False)
    assert response.status == 403


async def test_cross_site_post_is_refused_even_with_the_token(client: TestClient) -> None:
    await add_member(client, "wang", "admin")
    me = Browser.of(client)
    await me.login("wang")
    await me.get("/console/account")
    response, _ = await me.post(
        "/console/logout", headers={"Origin": "https://evil.example"}, allow_redirects=False
    )
    assert response.status == 403
    assert (await me.get("/console/account", allow_redirects=False))[0].status == 200


async def test_next_parameter_cannot_leave_the_console(
    client: TestClient, browsers: NewBrowser
) -> None:
    await add_member(client, "wang", "admin")
    for target, expected in (
        ("/console/account", "/console/account"),
        ("https://evil.example/", "/console/workbench"),
        ("//evil.example/console/", "/console/workbench"),
        ("/console/..//evil.example", "/console/workbench"),
        ("/console/\\\\evil.example", "/console/workbench"),
    ):
        me = browsers(client)
        await me.get("/console/login")
        response, _ = await me.post(
            "/console/login",
            {"username": "wang", "password": PASSWORD, "next": target},
            allow_redirects=False,
        )
        assert response.headers["Location"] == expected


async def test_disabled_account_loses_its_session(
    client: TestClient, browsers: NewBrowser
) -> None:
    li = await add_member(client, "li", "dispatcher")
    me = browsers(client)
    await me.login("li")
    assert (await me.get("/console/account", allow_redirects=False))[0].status == 200
    await client.server.app[keys.STAFF].update_user(
        li.id, display_name="li", role="dispatcher", department=None, active=False
    )
    assert (await me.get("/console/account", allow_redirects=False))[0].status == 303
    assert (await me.login("li"))[0].status == 401


async def test_password_change_ends_other_sessions(
    client: TestClient, browsers: NewBrowser
) -> None:
    await add_member(client, "li", "dispatcher")
    laptop, phone = browsers(client), browsers(client)
    await laptop.login("li")
    await phone.login("li")
    await laptop.get("/console/account")
    response, page = await laptop.post(
        "/console/account/password",
        {"current": PASSWORD, "new": "short", "repeat": "short"},
    )
    assert response.status == 400 and "至少需要 8 个字符" in page
    field = re.search(r'<input id="f-new"[^>]*>', page)
    assert field is not None and 'aria-invalid="true"' in field.group(0)
    assert 'aria-describedby="new-error"' in field.group(0) and "autofocus" in field.group(0)
    assert '<input id="f-current"' in page and page.count("autofocus") == 1
    response, page = await laptop.post(
        "/console/account/password",
        {"current": "wrong-one-1", "new": "another-pass-2", "repeat": "another-pass-2"},
    )
    assert response.status == 400 and "当前密码不正确" in page
    response, page = await laptop.post(
        "/console/account/password",
        {"current": PASSWORD, "new": "another-pass-2", "repeat": "another-pass-2"},
    )
    assert response.status == 200 and "密码已修改" in page
    assert (await laptop.get("/console/account", allow_redirects=False))[0].status == 200
    assert (await phone.get("/console/account", allow_redirects=False))[0].status == 303
    assert (await browsers(client).login("li", "another-pass-2"))[0].status == 303


async def test_security_headers(client: TestClient) -> None:
    response = await client.get("/console/login")
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in headers  # http demo
    missing = await client.get("/console/no-such-page")
    assert missing.headers["X-Frame-Options"] == "DENY"
    css = await client.get("/console/static/console.css")
    assert css.status == 200 and css.headers["X-Content-Type-Options"] == "nosniff"


async def test_behind_a_proxy_the_address_comes_from_its_header(
    make_client, console_settings
) -> None:
    client = await make_client(
        console_settings.with_overrides(
            **{"console.login_attempts_per_ip": 2, "console.client_ip_header": "X-Real-IP"}
        )
    )
    await add_member(client, "wang", "admin")
    me = Browser.of(client)

    async def attempt(name: str, ip: str):
        await me.get("/console/login")
        response, _ = await me.post(
            "/console/login",
            {"username": name, "password": "guess-guess"},
            headers={"X-Real-IP": ip},
            allow_redirects=False,
        )
        return response.status

    assert await attempt("a1", "203.0.113.5") == 401
    assert await attempt("a2", "203.0.113.5") == 429  # that address is now locked
    assert await attempt("a3", "198.51.100.7") == 401  # another client behind the proxy is not
