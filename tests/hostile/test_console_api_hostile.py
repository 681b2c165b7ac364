"""Hostile input against `/console` and `/api/v1`: forms without (or with a forged) CSRF token,
session fixation, script in fields, path traversal, SQL and garbage in filters and paging,
forged bearer tokens, wrong scope, broken JSON. Each gets a clear 4xx (or a page that shows the
text harmlessly), never a 5xx, and no row is written by a refused request."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient
from yarl import URL

from handlers.console import keys
from handlers.console.auth import COOKIE
from tests.handlers.staff_app import PASSWORD, Browser, NewBrowser, add_member, issue_slip
from tests.hostile.common import assert_clear_4xx, assert_still_up, row_counts

API = "/api/v1"
XSS = "<script>alert('xss')</script>"


async def _admin(client: TestClient, browsers: NewBrowser) -> tuple[Browser, str]:
    await add_member(client, "root", "admin", None, "管理员")
    slip = await issue_slip(client)
    me = browsers(client)
    response, _ = await me.login("root")
    assert response.status == 303
    await me.get("/console/users")
    return me, slip.number


# -- CSRF on every POST form ---------------------------------------------------------------------
POST_FORMS = [
    pytest.param("/console/logout", {}, id="logout"),
    pytest.param("/console/account/password", {"old": PASSWORD, "new": "x" * 12}, id="password"),
    pytest.param(
        "/console/users",
        {"username": "evil", "role": "admin", "display_name": "evil", "password": "p" * 12},
        id="users-create",
    ),
    pytest.param("/console/users/1", {"role": "handler", "display_name": "x"}, id="users-edit"),
    pytest.param("/console/users/1/password", {}, id="users-reset-password"),
    pytest.param("/console/tokens", {"owner": "root", "name": "t", "scope": "write"}, id="tokens"),
    pytest.param("/console/tokens/1/revoke", {}, id="tokens-revoke"),
    pytest.param("/console/slips/{n}/actions/sign", {"note": "x"}, id="slip-action"),
    pytest.param("/console/dashboard/clusters/1/close", {}, id="cluster-close"),
]


@pytest.mark.parametrize("token", [None, "forged-token"], ids=["no-token", "wrong-token"])
@pytest.mark.parametrize(("path", "form"), POST_FORMS)
async def test_posts_without_a_valid_csrf_token_change_nothing(
    client: TestClient, browsers: NewBrowser, path: str, form: dict, token: str | None
) -> None:
    me, number = await _admin(client, browsers)
    before = await row_counts(client)
    data = dict(form) if token is None else {**form, "csrf_token": token}
    response = await me.session.post(
        me.url(path.format(n=number)), data=data, allow_redirects=False
    )
    assert response.status == 403, await response.text()
    assert await row_counts(client) == before
    # still signed in: the refused logout did not log out either
    assert (await me.get("/console/account", allow_redirects=False))[0].status == 200
    await assert_still_up(client)


async def test_login_with_a_forged_csrf_token_is_refused(
    client: TestClient, browsers: NewBrowser
) -> None:
    await add_member(client, "root", "admin")
    me = browsers(client)
    await me.get("/console/login")
    me.csrf = "forged"
    response, _ = await me.post(
        "/console/login", {"username": "root", "password": PASSWORD}, allow_redirects=False
    )
    assert response.status == 403
    assert (await me.get("/console/account", allow_redirects=False))[0].status == 303


@pytest.mark.parametrize("planted", ["attacker-chosen-session-id", "0" * 64, "../../x"])
async def test_a_planted_session_id_does_not_survive_login(
    client: TestClient, browsers: NewBrowser, planted: str
) -> None:
    await add_member(client, "root", "admin")
    me = browsers(client)
    me.session.cookie_jar.update_cookies({COOKIE: planted}, me.base)
    response, _ = await me.login("root")
    assert response.status == 303
    assert me.cookie(COOKIE) not in (None, planted)
    attacker = browsers(client)
    attacker.session.cookie_jar.update_cookies({COOKIE: planted}, attacker.base)
    response, _ = await attacker.get("/console/account", allow_redirects=False)
    assert response.status == 303


# -- script in fields ---------------------------------------------------------------------------
XSS_PAYLOADS = [
    pytest.param(XSS, id="script"),
    pytest.param('"><img src=x onerror=alert(1)>', id="attr-break"),
    pytest.param("javascript:alert(1)", id="js-url"),
]


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
async def test_script_in_a_display_name_is_shown_as_text(
    client: TestClient, browsers: NewBrowser, payload: str
) -> None:
    me, _ = await _admin(client, browsers)
    response, page = await me.post(
        "/console/users",
        {
            "username": "xssuser",
            "role": "handler",
            "department": "D-CGJ",
            "display_name": payload,
            "password": "long-enough-pass-1",
        },
    )
    assert response.status < 500, page[:300]
    _, page = await me.get("/console/users")
    assert "xssuser" in page, "the user was not created, so nothing was tested"
    assert "<script>alert" not in page and "<img src=x" not in page
    assert 'href="javascript:' not in page and "'><img" not in page
    await assert_still_up(client)


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
async def test_script_in_a_slip_is_shown_as_text(
    client: TestClient, browsers: NewBrowser, payload: str
) -> None:
    me, _ = await _admin(client, browsers)
    slip = await issue_slip(
        client, f"路灯坏了 {payload}", key=f"xss:{payload}", location_text=payload
    )
    for path in (f"/console/slips/{slip.number}", "/console/slips", "/console/queue"):
        response, page = await me.get(path)
        assert response.status == 200, page[:300]
        assert "<script>alert" not in page and "<img src=x" not in page


# -- path traversal -------------------------------------------------------------------------------
TRAVERSAL = [
    pytest.param("/console/slips/../../etc/passwd", id="dotdot"),
    pytest.param("/console/slips/%2e%2e/%2e%2e/etc/passwd", id="encoded-dotdot"),
    pytest.param("/console/slips/..%2f..%2fetc%2fpasswd", id="encoded-slash"),
    pytest.param("/console/slips/%252e%252e%252fetc%252fpasswd", id="double-encoded"),
    pytest.param("/console/slips/{n}/media/99999", id="media-out-of-range"),
    pytest.param("/console/slips/{n}/media/..%2f..%2fetc%2fpasswd", id="media-traversal"),
    pytest.param("/console/static/../../../../etc/passwd", id="static-dotdot"),
    pytest.param("/console/static/%2e%2e/%2e%2e/app.py", id="static-encoded"),
    pytest.param("/console/slips/%00", id="nul"),
]


@pytest.mark.parametrize("path", TRAVERSAL)
async def test_path_traversal_finds_nothing(
    client: TestClient, browsers: NewBrowser, path: str
) -> None:
    me, number = await _admin(client, browsers)
    url = me.base.join(URL(path.format(n=number), encoded=True))
    response = await me.session.get(url, allow_redirects=False)
    text = await response.text(errors="replace")
    assert "root:x:0:0" not in text and "import " not in text
    assert_clear_4xx(response.status, text)
    await assert_still_up(client)


# -- filters, search and paging ------------------------------------------------------------------
QUERIES = [
    pytest.param({"q": "' OR 1=1 --"}, id="sql-search"),
    pytest.param({"q": "%' UNION SELECT password_hash FROM staff_user --"}, id="sql-union"),
    pytest.param({"status": "open'; DROP TABLE slip; --"}, id="sql-status"),
    pytest.param({"department": XSS}, id="xss-department"),
    pytest.param({"q": XSS}, id="xss-search"),
    pytest.param({"q": "%_%_\\"}, id="like-wildcards"),
    pytest.param({"page": "999999999999"}, id="huge-page"),
    pytest.param({"page": "-5"}, id="negative-page"),
    pytest.param({"page": "abc"}, id="garbage-page"),
    pytest.param({"per_page": "100000000"}, id="huge-per-page"),
    pytest.param({"per_page": "0"}, id="zero-per-page"),
    pytest.param({"date_from": "2026-13-45"}, id="bad-date"),
    pytest.param({"date_from": "9999-12-31", "date_to": "0001-01-01"}, id="reversed-dates"),
    pytest.param({"q": "路" * 200}, id="long-search"),
    pytest.param({"light": "purple", "urgency": "\x00"}, id="garbage-enums"),
]


@pytest.mark.parametrize("query", QUERIES)
async def test_console_list_survives_hostile_filters(
    client: TestClient, browsers: NewBrowser, query: dict[str, str]
) -> None:
    me, _ = await _admin(client, browsers)
    before = await row_counts(client)
    response, page = await me.get("/console/slips", params=query)
    assert response.status == 200 or 400 <= response.status < 500, page[:300]
    assert "<script>alert" not in page
    assert await row_counts(client) == before
    await assert_still_up(client)


@pytest.mark.parametrize("query", QUERIES)
async def test_api_list_survives_hostile_filters(
    client: TestClient, query: dict[str, str]
) -> None:
    headers = await _bearer(client, "write")
    before = await row_counts(client)
    response = await client.get(f"{API}/slips", params=query, headers=headers)
    assert response.status == 200 or 400 <= response.status < 500, await response.text()
    assert response.content_type == "application/json"
    if response.status >= 400:
        assert "error" in await response.json()
    assert await row_counts(client) == before


# -- API: tokens, scope, bodies, routes ------------------------------------------------------------
async def _bearer(client: TestClient, scope: str) -> dict[str, str]:
    staff = client.server.app[keys.STAFF]
    member = await staff.by_username("root")
    if member is None:
        member = await add_member(client, "root", "admin", None, "管理员")
    _, token = await staff.create_token(member.id, name="测试", scope=scope)
    return {"Authorization": f"Bearer {token}"}


AUTH_HEADERS = [
    pytest.param({}, id="none"),
    pytest.param({"Authorization": "Bearer"}, id="bearer-empty"),
    pytest.param({"Authorization": "Bearer mny_forged"}, id="bearer-forged"),
    pytest.param({"Authorization": "Bearer " + "A" * 4_000}, id="bearer-huge"),
    pytest.param({"Authorization": "Bearer ' OR 1=1 --"}, id="bearer-sql"),
    pytest.param({"Authorization": "Basic cm9vdDpwYXNz"}, id="basic"),
    pytest.param({"Authorization": "bearer\tmny_x mny_y"}, id="bearer-two-tokens"),
]


@pytest.mark.parametrize("headers", AUTH_HEADERS)
async def test_api_refuses_missing_or_garbage_tokens(
    client: TestClient, headers: dict[str, str]
) -> None:
    await add_member(client, "root", "admin")
    slip = await issue_slip(client)
    before = await row_counts(client)
    for method, path in (("GET", "/me"), ("POST", f"/slips/{slip.number}/actions/sign")):
        response = await client.request(method, API + path, headers=headers, json={})
        assert response.status == 401, await response.text()
        assert "error" in await response.json()
    assert await row_counts(client) == before


async def test_api_read_token_cannot_act(client: TestClient) -> None:
    headers = await _bearer(client, "read")
    slip = await issue_slip(client)
    before = await row_counts(client)
    response = await client.post(
        f"{API}/slips/{slip.number}/actions/sign", json={}, headers=headers
    )
    assert response.status == 403, await response.text()
    assert await row_counts(client) == before


BODIES = [
    pytest.param(b"{", "application/json", id="truncated-json"),
    pytest.param(b"[]", "application/json", id="json-array"),
    pytest.param(b'"just a string"', "application/json", id="json-string"),
    pytest.param(b'{"note": 5}', "application/json", id="note-not-text"),
    pytest.param(b'{"data": [1, 2]}', "application/json", id="data-not-object"),
    pytest.param(
        b'{"expected_version": "1; DROP TABLE slip"}', "application/json", id="version-sql"
    ),
    pytest.param(b'{"expected_version": true}', "application/json", id="version-bool"),
    pytest.param(b"\xff\xfe{}", "application/json", id="invalid-utf8"),
    pytest.param(
        b'{"note": "' + b"x" * (10 * 1024 * 1024) + b'"}', "application/json", id="10MB-json"
    ),
    pytest.param(b"note=hi", "application/x-www-form-urlencoded", id="form-body"),
    pytest.param(b"<xml/>", "text/xml", id="xml-body"),
]


@pytest.mark.parametrize(("body", "content_type"), BODIES)
async def test_api_refuses_bad_bodies(client: TestClient, body: bytes, content_type: str) -> None:
    headers = await _bearer(client, "write")
    slip = await issue_slip(client)
    before = await row_counts(client)
    response = await client.post(
        f"{API}/slips/{slip.number}/actions/sign",
        data=body,
        headers={**headers, "Content-Type": content_type},
    )
    assert_clear_4xx(response.status, await response.text())
    assert await row_counts(client) == before
    await assert_still_up(client)


ROUTES = [
    pytest.param("POST", "/slips/{n}/actions/detonate", id="unknown-action"),
    pytest.param("POST", "/slips/{n}/actions/..%2f..%2fadmin", id="action-traversal"),
    pytest.param("POST", "/slips/JB0000000000000/actions/sign", id="unknown-slip"),
    pytest.param("POST", "/slips/' OR 1=1 --/actions/sign", id="slip-number-sql"),
    pytest.param("GET", "/slips/<script>", id="slip-number-script"),
    pytest.param("GET", "/slips/..%2f..%2fetc%2fpasswd", id="slip-traversal"),
    pytest.param("GET", "/../v2/slips", id="version-dotdot"),
    pytest.param("GET", "/../v0/me", id="version-zero"),
    pytest.param("GET", "/../v1.0/me", id="version-decimal"),
    pytest.param("GET", "/../vX'%20OR%201=1/me", id="version-sql"),
    pytest.param("DELETE", "/slips/{n}", id="delete-slip"),
    pytest.param("PUT", "/me", id="put-me"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_api_unknown_routes_and_actions(client: TestClient, method: str, path: str) -> None:
    headers = await _bearer(client, "write")
    slip = await issue_slip(client)
    before = await row_counts(client)
    raw = (API + path.format(n=slip.number)).replace("/v1/../", "/")
    url = client.make_url("/").join(URL(raw.replace(" ", "%20").replace("'", "%27"), encoded=True))
    response = await client.session.request(method, url, headers=headers, json={"note": "x"})
    text = await response.text()
    assert_clear_4xx(response.status, text)
    assert "root:x:0:0" not in text
    assert await row_counts(client) == before
    await assert_still_up(client)
