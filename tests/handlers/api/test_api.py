"""/api/v1: token and session auth, scope, errors as JSON, actions, and the OpenAPI document
checked against the routes and the responses."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from handlers.console import keys
from tests.handlers.api.schema_check import validate
from tests.handlers.staff_app import Browser, NewBrowser, add_member, issue_slip

API = "/api/v1"


async def _token(client: TestClient, username: str, scope: str = "write") -> dict[str, str]:
    staff = client.server.app[keys.STAFF]
    member = await staff.by_username(username)
    _, token = await staff.create_token(member.id, name="测试", scope=scope)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def people(client: TestClient) -> None:
    await add_member(client, "cg", "handler", "D-CGJ", "城管李科长")
    await add_member(client, "hb", "handler", "D-STHJ", "环保王科长")
    await add_member(client, "pd", "dispatcher", "D-MYZX", "派单员小王")
    await add_member(client, "db", "supervisor", None, "督办张主任")


async def _doc(client: TestClient) -> dict[str, Any]:
    response = await client.get(f"{API}/openapi.json")
    assert response.status == 200
    return await response.json()


def _response_schema(doc: dict[str, Any], path: str, method: str, status: int) -> dict:
    return doc["paths"][path][method]["responses"][str(status)]["content"]["application/json"][
        "schema"
    ]


async def _check(
    doc: dict[str, Any], response, path: str, method: str = "get", status: int = 200
) -> Any:
    assert response.status == status, await response.text()
    body = await response.json()
    problems = validate(body, _response_schema(doc, path, method, status), doc)
    assert problems == [], problems[:5]
    return body


async def test_every_api_route_is_documented(client: TestClient) -> None:
    doc = await _doc(client)
    assert doc["openapi"].startswith("3.1")
    served = set()
    for route in client.server.app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter") or ""
        if route.method in ("HEAD", "OPTIONS") or not path.startswith(API + "/"):
            continue
        served.add((path.removeprefix(API), route.method.lower()))
    documented = {(p, m) for p, ops in doc["paths"].items() for m in ops}
    assert served, "no API routes found"
    assert served == documented


async def test_slip_states_are_listed_from_the_workflow(client: TestClient) -> None:
    from bot.slips.workflow import load_workflow

    doc = await _doc(client)
    states = list(load_workflow().states)
    assert "dispatched" in states and "archived" in states
    assert doc["components"]["schemas"]["SlipView"]["properties"]["status"]["enum"] == states
    status = next(p for p in doc["paths"]["/slips"]["get"]["parameters"] if p["name"] == "status")
    assert status["schema"]["enum"] == [*states, "open", "closed"]


async def test_requests_without_credentials_get_401_json(client: TestClient) -> None:
    for path in ("/me", "/slips", "/workbench", "/slips/JB2026010100001"):
        response = await client.get(API + path)
        assert response.status == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert (await response.json())["error"]["code"] == "unauthorized"
    response = await client.get(API + "/me", headers={"Authorization": "Bearer mny_forged"})
    assert response.status == 401 and (await response.json())["error"]["code"] == "invalid_token"
    response = await client.get(API + "/me", headers={"Authorization": "Basic abc"})
    assert response.status == 401


async def test_token_flow_list_get_act(client: TestClient, people: None) -> None:
    doc = await _doc(client)
    slip = await issue_slip(client, media=[{"type": "image", "media_id": "M1"}])
    auth = await _token(client, "cg")
    me = await _check(doc, await client.get(f"{API}/me", headers=auth), "/me")
    assert me["username"] == "cg" and me["token_scope"] == "write"
    listed = await _check(doc, await client.get(f"{API}/slips", headers=auth), "/slips")
    assert [s["number"] for s in listed["items"]] == [slip.number]
    one = await _check(
        doc,
        await client.get(f"{API}/slips/{slip.number}", headers=auth),
        "/slips/{number}",
    )
    assert one["description"] == slip.description and one["phone"] == "13800138000"
    actions = await _check(
        doc,
        await client.get(f"{API}/slips/{slip.number}/actions", headers=auth),
        "/slips/{number}/actions",
    )
    assert "sign" in [a["code"] for a in actions["actions"]]
    signed = await _check(
        doc,
        await client.post(
            f"{API}/slips/{slip.number}/actions/sign",
            json={
                "note": "已联系",
                "data": {"contact": "023-67001234"},
                "expected_version": one["version"],
            },
            headers=auth,
        ),
        "/slips/{number}/actions/{action}",
        "post",
    )
    assert signed["status"] == "signed" and signed["version"] > one["version"]
    replied = await client.post(
        f"{API}/slips/{slip.number}/actions/reply", json={"note": "明天来修"}, headers=auth
    )
    assert replied.status == 200
    events = await _check(
        doc,
        await client.get(f"{API}/slips/{slip.number}/timeline", headers=auth),
        "/slips/{number}/timeline",
    )
    assert [e["action"] for e in events["events"]][-2:] == ["sign", "reply"]
    notes = await _check(
        doc,
        await client.get(f"{API}/slips/{slip.number}/notifications", headers=auth),
        "/slips/{number}/notifications",
    )
    assert any(n["kind"] == "reply" for n in notes["notifications"])
    await _check(
        doc,
        await client.get(f"{API}/slips/{slip.number}/transcript", headers=auth),
        "/slips/{number}/transcript",
    )
    bench = await _check(doc, await client.get(f"{API}/workbench", headers=auth), "/workbench")
    assert set(bench["counts"]) >= {"to_sign", "due_soon", "overdue"}


async def test_errors_have_documented_shapes_and_codes(client: TestClient, people: None) -> None:
    doc = await _doc(client)
    slip = await issue_slip(client)
    auth = await _token(client, "cg")
    path = "/slips/{number}/actions/{action}"
    url = f"{API}/slips/{slip.number}/actions"
    body = await _check(
        doc, await client.post(f"{url}/reply", json={"note": ""}, headers=auth), path, "post", 400
    )
    assert body["error"]["field"] == "note"
    body = await _check(
        doc,
        await client.post(
            f"{url}/sign", json={"note": "x", "expected_version": 999}, headers=auth
        ),
        path,
        "post",
        409,
    )
    assert body["error"]["code"] == "version_conflict"
    await client.post(f"{url}/sign", json={"note": "签收"}, headers=auth)
    body = await _check(
        doc, await client.post(f"{url}/sign", json={}, headers=auth), path, "post", 409
    )
    assert body["error"]["code"] == "transition_not_allowed"
    body = await _check(
        doc,
        await client.post(f"{url}/approve_extension", json={}, headers=auth),
        path,
        "post",
        403,
    )
    await _check(
        doc,
        await client.get(f"{API}/slips/JB2099010100001", headers=auth),
        "/slips/{number}",
        status=404,
    )
    for bad in ("not json", "[1, 2]", '{"note": 5}', '{"surprise": 1}', '{"data": []}'):
        response = await client.post(
            f"{url}/reply", data=bad, headers={**auth, "Content-Type": "application/json"}
        )
        assert response.status == 400, bad
        assert (await response.json())["error"]["code"] in ("invalid_json", "invalid_input")
    response = await client.get(f"{API}/slips", params={"date_to": "yesterday"}, headers=auth)
    body = await _check(doc, response, "/slips", status=400)
    assert body["error"]["field"] == "date_to"
    response = await client.get(f"{API}/nothing-here", headers=auth)
    assert response.status == 404 and (await response.json())["error"]["code"] == "not_found"


async def test_withdrawing_needs_a_reason_and_an_explicit_confirmation(
    client: TestClient, people: None
) -> None:
    doc = await _doc(client)
    assert "confirm" in doc["components"]["schemas"]["ActionRequest"]["properties"]
    slip = await issue_slip(client)
    auth = await _token(client, "pd")
    path = "/slips/{number}/actions/{action}"
    url = f"{API}/slips/{slip.number}/actions/withdraw"

    async def refused(body: dict[str, Any], status: int = 400) -> dict[str, Any]:
        response = await client.post(url, json=body, headers=auth)
        return (await _check(doc, response, path, "post", status))["error"]

    # the reason first, as the form asks for it first
    error = await refused({})
    assert (error["code"], error["field"]) == ("invalid_input", "note")
    assert error["message"] == "请填写撤销原因"
    # a reason without the confirmation
    error = await refused({"note": "重复反映"})
    assert (error["code"], error["field"]) == ("confirmation_required", "confirm")
    assert '"confirm": true' in error["message"] and "不能恢复" in error["message"]
    for not_true in (False, "yes", 1):
        error = await refused({"note": "重复反映", "confirm": not_true})
        assert error["field"] == "confirm", not_true
    # the confirmation without a reason
    error = await refused({"note": "  ", "confirm": True})
    assert error["field"] == "note"
    # someone who may not withdraw is told that, not asked to confirm
    response = await client.post(url, json={"note": "越权"}, headers=await _token(client, "cg"))
    assert response.status == 403
    current = await client.get(f"{API}/slips/{slip.number}", headers=auth)
    assert (await current.json())["status"] == "dispatched"  # nothing happened
    done = await _check(
        doc,
        await client.post(url, json={"note": "居民来电说明已自行解决", "confirm": True},
                          headers=auth),
        path,
        "post",
    )
    assert done["status"] == "withdrawn"
    # other actions need no confirmation
    other = await issue_slip(client, "井盖丢了", key="other")
    response = await client.post(f"{API}/slips/{other.number}/actions/supervise",
                                 json={"note": "请尽快处理"}, headers=await _token(client, "db"))
    assert response.status == 200


async def test_read_token_cannot_act(client: TestClient, people: None) -> None:
    slip = await issue_slip(client)
    auth = await _token(client, "cg", scope="read")
    assert (await client.get(f"{API}/slips/{slip.number}", headers=auth)).status == 200
    response = await client.post(
        f"{API}/slips/{slip.number}/actions/sign", json={"note": "x"}, headers=auth
    )
    assert response.status == 403
    assert (await response.json())["error"]["code"] == "insufficient_scope"


async def test_revoked_token_and_disabled_owner_are_refused(
    client: TestClient, people: None
) -> None:
    staff = client.server.app[keys.STAFF]
    auth = await _token(client, "pd")
    assert (await client.get(f"{API}/me", headers=auth)).status == 200
    token_id = (await staff.list_tokens())[0].id
    await staff.revoke_token(token_id)
    assert (await client.get(f"{API}/me", headers=auth)).status == 401
    auth = await _token(client, "db")
    member = await staff.by_username("db")
    await staff.update_user(
        member.id, display_name="x", role="supervisor", department=None, active=False
    )
    assert (await client.get(f"{API}/me", headers=auth)).status == 401


async def test_other_department_is_refused_everywhere(client: TestClient, people: None) -> None:
    slip = await issue_slip(client, "井盖丢了，很危险")
    auth = await _token(client, "hb")
    for path in ("", "/timeline", "/actions", "/notifications", "/transcript"):
        for ref in (slip.number, str(slip.id)):
            response = await client.get(f"{API}/slips/{ref}{path}", headers=auth)
            assert response.status == 403, (ref, path)
            assert "井盖" not in await response.text()
    for action in ("sign", "reply", "return", "close", "transfer", "merge"):
        response = await client.post(
            f"{API}/slips/{slip.number}/actions/{action}", json={"note": "x"}, headers=auth
        )
        assert response.status == 403, action
    for params in ({}, {"q": slip.number}, {"q": "井盖"}, {"department": "D-CGJ"}):
        body = await (await client.get(f"{API}/slips", params=params, headers=auth)).json()
        assert body["items"] == [] and body["total"] == 0, params
    bench = await (await client.get(f"{API}/workbench", headers=auth)).json()
    assert all(not bench[k] for k in ("to_sign", "due_soon", "overdue", "queue"))
    # the slip's own department does see it
    own = await _token(client, "cg")
    assert (await client.get(f"{API}/slips/{slip.number}", headers=own)).status == 200


async def test_console_session_works_for_same_origin_calls_with_csrf_header(
    client: TestClient, people: None, browsers: NewBrowser
) -> None:
    slip = await issue_slip(client)
    cg: Browser = browsers(client)
    await cg.login("cg")
    await cg.get("/console/account")
    response = await cg.session.get(cg.url(f"{API}/slips/{slip.number}"))
    assert response.status == 200
    url = cg.url(f"{API}/slips/{slip.number}/actions/sign")
    response = await cg.session.post(url, json={"note": "x"})
    assert response.status == 403 and (await response.json())["error"]["code"] == "csrf"
    response = await cg.session.post(
        url,
        json={"note": "x"},
        headers={"X-CSRF-Token": cg.csrf, "Origin": "https://evil.example"},
    )
    assert response.status == 403
    response = await cg.session.post(url, json={"note": "签收"}, headers={"X-CSRF-Token": cg.csrf})
    assert response.status == 200 and (await response.json())["status"] == "signed"


async def test_api_responses_carry_security_headers(client: TestClient) -> None:
    response = await client.get(f"{API}/openapi.json")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_the_schema_checker_catches_mismatches() -> None:
    doc = {
        "components": {
            "schemas": {
                "P": {
                    "type": "object",
                    "properties": {
                        "n": {"type": "integer"},
                        "at": {"type": "string", "format": "date-time"},
                    },
                    "required": ["n"],
                    "additionalProperties": False,
                }
            }
        }
    }
    ref = {"$ref": "#/components/schemas/P"}
    assert validate({"n": 1, "at": "2026-01-01T00:00:00+00:00"}, ref, doc) == []
    assert validate({"n": "1"}, ref, doc)
    assert validate({}, ref, doc)
    assert validate({"n": 1, "extra": 2}, ref, doc)
    assert validate({"n": 1, "at": "yesterday"}, ref, doc)


@pytest.fixture
async def both_client(aiohttp_client, backend_settings) -> TestClient:
    from bot.app import create_app
    from tests.handlers.staff_app import FAST_PASSWORDS

    settings = backend_settings.with_overrides(**{"console.cookie_secure": False})
    client = await aiohttp_client(create_app(settings, migrate=True))
    client.server.app[keys.STAFF].passwords = FAST_PASSWORDS
    return client


async def test_scope_and_search_on_both_backends(both_client: TestClient) -> None:
    """Handlers reach slips through slip_department; search uses the bigram index on
    PostgreSQL and LIKE on SQLite: the same answers either way."""
    client = both_client
    await add_member(client, "cg", "handler", "D-CGJ")
    await add_member(client, "hb", "handler", "D-STHJ")
    lamp = await issue_slip(client, "观音桥的路灯坏了", key="lamp")
    noise = await issue_slip(
        client, "工地夜间施工噪音扰民", department="D-STHJ", name="区生态环境局", key="noise"
    )
    cg, hb = await _token(client, "cg"), await _token(client, "hb")

    async def numbers(auth, **params) -> list[str]:
        body = await (await client.get(f"{API}/slips", params=params, headers=auth)).json()
        return [s["number"] for s in body["items"]]

    assert await numbers(cg) == [lamp.number]
    assert await numbers(hb) == [noise.number]
    assert await numbers(cg, q="路灯") == [lamp.number]
    assert await numbers(cg, q="噪音") == []
    assert await numbers(hb, q="噪音") == [noise.number]
    assert await numbers(hb, q=lamp.number) == []
    assert await numbers(cg, q=lamp.number) == [lamp.number]
    assert (await client.get(f"{API}/slips/{noise.number}", headers=cg)).status == 403
    assert (await client.get(f"{API}/slips/{lamp.number}", headers=hb)).status == 403


async def test_a_slip_carries_its_extension_and_supervision_as_the_console_shows_them(
    client: TestClient, people: None
) -> None:
    from datetime import timedelta

    from knowledge.calendar import default_calendar

    doc = await _doc(client)
    view = doc["components"]["schemas"]["SlipView"]["properties"]
    assert {"extension", "supervision"} <= set(view)
    slip = await issue_slip(client)
    cg, db = await _token(client, "cg"), await _token(client, "db")
    path = f"{API}/slips/{slip.number}"

    async def get(auth: dict[str, str]) -> dict[str, Any]:
        return await _check(doc, await client.get(path, headers=auth), "/slips/{number}")

    assert ((await get(cg))["extension"], (await get(cg))["supervision"]) == (None, None)
    await client.post(f"{path}/actions/sign", json={"note": "已联系"}, headers=cg)
    # a working day (an extension to a weekend or a holiday is refused)
    wanted = default_calendar().workday_on_or_after(
        (slip.due_at + timedelta(days=7)).date()).isoformat()
    asked = await client.post(f"{path}/actions/request_extension", headers=cg,
                              json={"note": "需要供电公司换电缆", "data": {"due_date": wanted}})
    assert asked.status == 200
    one = await get(cg)
    assert one["extension"] == {"state": "pending", "due_date": wanted,
                                "reason": "需要供电公司换电缆", "at": None}
    await client.post(f"{path}/actions/supervise", json={"note": "请抓紧"}, headers=db)
    refused = await client.post(f"{path}/actions/reject_extension", json={"note": "人手够"},
                                headers=db)
    assert refused.status == 200
    one = await get(cg)
    assert one["extension"]["state"] == "rejected" and one["extension"]["reason"] == "人手够"
    assert one["extension"]["due_date"] == wanted and one["extension"]["at"]
    assert one["supervision"]["count"] == 1 and one["supervision"]["note"] == "请抓紧"
    assert one["supervision"]["earlier"] == 0 and one["supervision"]["at"]
    await client.post(f"{path}/actions/request_extension", headers=cg,
                      json={"note": "需要供电公司换电缆", "data": {"due_date": wanted}})
    approved = await _check(
        doc, await client.post(f"{path}/actions/approve_extension", json={"note": "同意"},
                               headers=db),
        "/slips/{number}/actions/{action}", "post")
    assert approved["extension"]["state"] == "approved"
    assert (approved["extension"]["due_date"], approved["extension"]["reason"]) == (wanted, "同意")
    assert (await get(cg))["extension"] == approved["extension"]
