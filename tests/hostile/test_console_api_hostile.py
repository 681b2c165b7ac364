"""Hostile input against `/console` and `/api/v1`: forms without (or with a forged) CSRF token,
session fixation, script in fields, path traversal, SQL and garbage in filters and paging,
forged bearer tokens, wrong scope, broken JSON. Each gets a clear 4xx (or a page that shows the
text harmlessly), never a 5xx, and no row is written by a refused request."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from urllib.parse import quote_from_bytes

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer
from yarl import URL

from bot.app import create_app
from handlers.console import keys
from handlers.console.auth import COOKIE
from tests.handlers.staff_app import (
    FAST_PASSWORDS,
    PASSWORD,
    Browser,
    NewBrowser,
    add_member,
    browsers_fixture,
    issue_slip,
    staff_of,
)
from tests.hostile.common import assert_clear_4xx, assert_still_up, row_counts
from tests.hostile.conftest import HostileBackend

API = "/api/v1"
XSS = "<script>alert('xss')</script>"

# One app per backend for the module: an admin "root" and one slip, made once. Refused
# requests write nothing and each case signs in with a browser of its own, so cases do not
# see each other (row counts are taken before and after each request).
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(hostile_backend: HostileBackend) -> AsyncIterator[TestClient]:
    settings = hostile_backend.settings(
        **{"console.login_attempts_per_user": 10_000, "console.login_attempts_per_ip": 10_000}
    )
    app = create_app(settings, migrate=True)
    async with TestClient(TestServer(app)) as c:
        staff_of(c).passwords = FAST_PASSWORDS
        await add_member(c, "root", "admin", None, "管理员")
        _SLIP[id(c)] = (await issue_slip(c)).number
        yield c
        _SLIP.pop(id(c), None)


@pytest_asyncio.fixture(loop_scope="module")
async def browsers(client: TestClient) -> AsyncIterator[NewBrowser]:
    client.session.cookie_jar.clear()  # the shared client carries no session between cases
    async for new in browsers_fixture():
        yield new


_SLIP: dict[int, str] = {}  # the module slip's number, by client


def _slip(client: TestClient) -> str:
    return _SLIP[id(client)]


async def _admin(client: TestClient, browsers: NewBrowser) -> tuple[Browser, str]:
    me = browsers(client)
    response, _ = await me.login("root")
    assert response.status == 303
    await me.get("/console/users")
    return me, _slip(client)


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
    me = browsers(client)
    await me.get("/console/login")
    me.csrf = "forged"
    response, _ = await me.post(
        "/console/login", {"username": "root", "password": PASSWORD}, allow_redirects=False
    )
    assert response.status == 403
    assert (await me.get("/console/account", allow_redirects=False))[0].status == 303


HUGE_ID_POSTS = [
    pytest.param("/console/users/99999999999999999999", {"role": "handler"}, id="users-edit"),
    pytest.param("/console/users/2147483648", {"role": "handler"}, id="users-edit-int4"),
    pytest.param("/console/users/99999999999999999999/password", {}, id="users-password"),
    pytest.param("/console/tokens/99999999999999999999/revoke", {}, id="tokens-revoke"),
    pytest.param("/console/tokens/2147483648/revoke", {}, id="tokens-revoke-int4"),
    pytest.param(
        "/console/dashboard/clusters/99999999999999999999/close", {"result": "x"}, id="cluster"
    ),
    pytest.param("/console/slips/99999999999999999999/actions/sign", {}, id="slip-action"),
    pytest.param("/console/slips/%00/actions/sign", {}, id="slip-action-nul"),
]


@pytest.mark.parametrize(("path", "form"), HUGE_ID_POSTS)
async def test_posts_to_ids_out_of_range_find_nothing(
    client: TestClient, browsers: NewBrowser, path: str, form: dict
) -> None:
    me, _ = await _admin(client, browsers)
    before = await row_counts(client)
    url = me.base.join(URL(path, encoded=True))
    response = await me.session.post(
        url, data={**form, "csrf_token": me.csrf}, allow_redirects=False
    )
    assert_clear_4xx(response.status, await response.text())
    assert await row_counts(client) == before
    await assert_still_up(client)


@pytest.mark.parametrize("planted", ["attacker-chosen-session-id", "0" * 64, "../../x"])
async def test_a_planted_session_id_does_not_survive_login(
    client: TestClient, browsers: NewBrowser, planted: str
) -> None:
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
    username = "xss" + hashlib.sha1(payload.encode()).hexdigest()[:8]
    response, page = await me.post(
        "/console/users",
        {
            "username": username,
            "role": "handler",
            "department": "D-CGJ",
            "display_name": payload,
            "password": "long-enough-pass-1",
        },
    )
    assert response.status < 500, page[:300]
    _, page = await me.get("/console/users")
    assert username in page, "the user was not created, so nothing was tested"
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
    pytest.param("/console/slips/JB%00", id="nul-in-number"),
    pytest.param("/console/slips/99999999999999999999", id="id-past-bigint"),
    pytest.param("/console/slips/2147483648", id="id-past-int4"),
    pytest.param("/console/slips/%C2%B2", id="superscript-digit"),
    pytest.param("/console/slips/" + "J" * 5000, id="number-5000-chars"),
    pytest.param("/console/slips/9223372036854775808/media/0", id="media-of-huge-id"),
    pytest.param("/console/slips/{n}/media/99999999999999999999", id="media-huge-index"),
    pytest.param("/console/dashboard/clusters/99999999999999999999", id="cluster-huge-id"),
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
    pytest.param({"q": "a\x00b"}, id="nul-search"),
    pytest.param({"department": "\x00", "area": "a\x00", "category": "\x00"}, id="nul-filters"),
    pytest.param({"status": "\x00"}, id="nul-status"),
    pytest.param({"q": "\udcff"}, id="lone-surrogate-search"),
    pytest.param({"page": "²"}, id="superscript-page"),
    pytest.param({"page": "9" * 5000}, id="page-5000-digits"),
    pytest.param({"date_from": "\x00"}, id="nul-date"),
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
    assert member is not None
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
    before = await row_counts(client)
    for method, path in (("GET", "/me"), ("POST", f"/slips/{_slip(client)}/actions/sign")):
        response = await client.request(method, API + path, headers=headers, json={})
        assert response.status == 401, await response.text()
        assert "error" in await response.json()
    assert await row_counts(client) == before


async def test_api_read_token_cannot_act(client: TestClient) -> None:
    headers = await _bearer(client, "read")
    before = await row_counts(client)
    response = await client.post(
        f"{API}/slips/{_slip(client)}/actions/sign", json={}, headers=headers
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
    pytest.param(b'{"note": "a\\u0000b"}', "application/json", id="nul-in-note"),
    pytest.param(b'{"note": "\\ud800"}', "application/json", id="lone-surrogate-note"),
    pytest.param(b'{"data": {"contact": "\\u0000"}}', "application/json", id="nul-in-data"),
    pytest.param(b'{"data": {"contact": "\\udfff"}}', "application/json", id="surrogate-data"),
    pytest.param(b'{"data": {"\\u0000": "x"}}', "application/json", id="nul-data-key"),
    pytest.param(
        b'{"note": "' + "长".encode() * 20_000 + b'"}', "application/json", id="20000-char-note"
    ),
    pytest.param(
        b'{"expected_version": 99999999999999999999}', "application/json", id="version-past-int8"
    ),
    pytest.param(b'{"expected_version": 2147483648}', "application/json", id="version-past-int4"),
    pytest.param(b'{"expected_version": -2147483649}', "application/json", id="version-negative"),
    pytest.param(b'{"expected_version": 1e400}', "application/json", id="version-infinite"),
    pytest.param(b"<xml/>", "text/xml", id="xml-body"),
]


@pytest.mark.parametrize(("body", "content_type"), BODIES)
async def test_api_refuses_bad_bodies(client: TestClient, body: bytes, content_type: str) -> None:
    headers = await _bearer(client, "write")
    before = await row_counts(client)
    response = await client.post(
        f"{API}/slips/{_slip(client)}/actions/sign",
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
    pytest.param("GET", "/slips/%00", id="slip-nul"),
    pytest.param("GET", "/slips/JB%00%00", id="slip-number-nul"),
    pytest.param("GET", "/slips/99999999999999999999", id="slip-id-past-bigint"),
    pytest.param("GET", "/slips/2147483648/timeline", id="slip-id-past-int4"),
    pytest.param("GET", "/slips/9223372036854775808/notifications", id="notifications-huge-id"),
    pytest.param("GET", "/slips/%C2%B2/transcript", id="transcript-superscript-id"),
    pytest.param("GET", "/slips/%ED%A0%80/actions", id="slip-invalid-utf8"),
    pytest.param("POST", "/slips/99999999999999999999/actions/sign", id="act-huge-id"),
    pytest.param("POST", "/slips/{n}/actions/%00", id="act-nul-action"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_api_unknown_routes_and_actions(client: TestClient, method: str, path: str) -> None:
    headers = await _bearer(client, "write")
    before = await row_counts(client)
    raw = (API + path.format(n=_slip(client))).replace("/v1/../", "/")
    url = client.make_url("/").join(URL(raw.replace(" ", "%20").replace("'", "%27"), encoded=True))
    response = await client.session.request(method, url, headers=headers, json={"note": "x"})
    text = await response.text()
    assert_clear_4xx(response.status, text)
    assert "root:x:0:0" not in text
    assert await row_counts(client) == before
    await assert_still_up(client)


# -- console forms: bad values get a message next to the field -----------------------------------
FORM_VALUES = [
    pytest.param(b"a\x00b", id="nul"),
    pytest.param("长".encode() * 5_000, id="5000-chars"),  # past every field's limit
    pytest.param(b"<script>alert('xss')</script>", id="script"),
    pytest.param(b"\xed\xa0\x80\xff", id="invalid-utf8"),
]

VALID = {
    "login": {"username": "formuser", "password": PASSWORD},
    "account": {"current": PASSWORD, "new": "another-pass-123", "repeat": "another-pass-123"},
    "users-create": {
        "username": "newbie",
        "display_name": "新同事",
        "role": "handler",
        "department": "D-CGJ",
        "password": "long-enough-pass-1",
    },
    "users-edit": {"display_name": "编辑", "role": "handler", "department": "D-CGJ"},
    "tokens": {"owner": "formuser", "name": "对接", "scope": "read"},
    "sign": {"contact": "13800138000", "note": "已联系"},
    "transfer": {"department": "D-CGJ", "note": "改派"},
    "reply": {"note": "您好，已经处理"},
}
FORM_FIELDS = [
    pytest.param("login", "username", id="login-username"),
    pytest.param("account", "new", id="account-new-password"),
    pytest.param("users-create", "username", id="users-create-username"),
    pytest.param("users-create", "display_name", id="users-create-display-name"),
    pytest.param("users-create", "department", id="users-create-department"),
    pytest.param("users-edit", "display_name", id="users-edit-display-name"),
    pytest.param("tokens", "owner", id="tokens-owner"),
    pytest.param("tokens", "name", id="tokens-name"),
    pytest.param("sign", "contact", id="sign-contact"),
    pytest.param("transfer", "department", id="transfer-department"),
    pytest.param("reply", "note", id="reply-note"),
    pytest.param("reply", "expected_version", id="reply-expected-version"),
]


def _form_body(form: dict[str, str], field: str, value: bytes, csrf: str) -> bytes:
    pairs = [(k, v.encode()) for k, v in {**form, "csrf_token": csrf}.items() if k != field]
    pairs.append((field, value))
    return "&".join(f"{k}={quote_from_bytes(v)}" for k, v in pairs).encode()


@pytest.mark.parametrize("value", FORM_VALUES)
@pytest.mark.parametrize(("form", "field"), FORM_FIELDS)
async def test_console_forms_answer_bad_values_next_to_the_field(
    client: TestClient, browsers: NewBrowser, form: str, field: str, value: bytes
) -> None:
    """Never a 5xx or a bare error page: the form comes back with the message beside the field
    (or the value is taken and shown as text); a refused form writes nothing."""
    staff = staff_of(client)
    tag = hashlib.sha1(f"{form}{field}{value!r}".encode()).hexdigest()[:8]
    me = browsers(client)
    if form in ("login", "account", "tokens") and await staff.by_username("formuser") is None:
        await add_member(client, "formuser", "handler", "D-CGJ", "表单")
    if form == "login":
        await me.get("/console/login")
        path = "/console/login"
    else:
        user = "root"
        if form == "account":  # a password change of its own, so root's stays
            user = f"acct{tag}"
            await add_member(client, user, "handler", "D-CGJ")
        assert (await me.login(user))[0].status == 303
        if form == "account":
            await me.get("/console/account")
            path = "/console/account/password"
        elif form in ("sign", "transfer", "reply"):
            slip = await issue_slip(client, f"路灯坏了 {tag}", key=f"form:{tag}")
            await me.get(f"/console/slips/{slip.number}")
            path = f"/console/slips/{slip.number}/actions/{form}"
        else:
            await me.get("/console/users")
            if form == "users-edit":
                edited = await add_member(client, f"edit{tag}", "handler", "D-CGJ")
                path = f"/console/users/{edited.id}"
            else:
                path = "/console/users" if form == "users-create" else "/console/tokens"
    before = await row_counts(client)
    response = await me.session.post(
        me.url(path),
        data=_form_body(VALID[form], field, value, me.csrf),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        allow_redirects=False,
    )
    page = await response.text()
    assert response.status < 500, page[:300]
    assert "<script>alert" not in page
    if response.status >= 400:
        assert 'name="csrf_token"' in page, f"a bare error page, not the form: {page[:300]}"
        if form == "login":
            assert 'class="notice error"' in page
        else:
            assert 'class="field-error"' in page, f"no message next to a field: {page[:300]}"
        assert await row_counts(client) == before
    await assert_still_up(client)


async def test_a_form_past_the_body_limit_gets_a_console_page(
    client: TestClient, browsers: NewBrowser
) -> None:
    """20,000 characters pasted into a note are past the request-size limit: a plain-Chinese
    console page with 413, not aiohttp's bare English text."""
    me, number = await _admin(client, browsers)
    before = await row_counts(client)
    response = await me.session.post(
        me.url(f"/console/slips/{number}/actions/reply"),
        data=_form_body({}, "note", "长".encode() * 20_000, me.csrf),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        allow_redirects=False,
    )
    page = await response.text()
    assert response.status == 413, page[:300]
    assert "内容太长了" in page
    assert await row_counts(client) == before
    await assert_still_up(client)
