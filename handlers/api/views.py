"""/api/v1 handlers: the console's data and actions as JSON."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from handlers import keys as app_keys
from handlers.api.auth import member_of
from handlers.api.errors import ApiError
from handlers.console import keys
from handlers.console.actions import spec_of
from handlers.console.deliveries import deliveries_of
from handlers.console.filters import parse_list_query

routes = web.RouteTableDef()


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(
        status=status,
        text=json.dumps(data, ensure_ascii=False, default=str),
        content_type="application/json",
    )


@routes.get("/me")
async def me(request: web.Request) -> web.Response:
    member = member_of(request)
    return _json({**member.to_dict(), "token_scope": request[keys.TOKEN_SCOPE]})


@routes.get("/workbench")
async def workbench(request: web.Request) -> web.Response:
    bench = await request.config_dict[keys.SLIPS].workbench(member_of(request).actor())
    return _json(bench.to_dict())


@routes.get("/slips")
async def list_slips(request: web.Request) -> web.Response:
    member = member_of(request)
    asked = parse_list_query(
        request.query,
        statuses=request.config_dict[keys.CATALOGUE].statuses,
        default_per_page=request.config_dict[app_keys.SETTINGS].console.page_size,
    )
    if asked.errors:
        field, message = next(iter(asked.errors.items()))
        raise ApiError(400, "invalid_input", message, field)
    page = await request.config_dict[keys.SLIPS].list(
        member.actor(), asked.filters, page=asked.page, per_page=asked.per_page
    )
    return _json(
        {
            "items": [s.to_dict() for s in page.items],
            "page": page.page,
            "per_page": page.per_page,
            "total": page.total,
            "total_exact": page.total_exact,
            "pages": page.pages,
        }
    )


@routes.get("/slips/{number}")
async def get_slip(request: web.Request) -> web.Response:
    view = await request.config_dict[keys.SLIPS].get(
        request.match_info["number"], member_of(request).actor()
    )
    return _json(view.to_dict())


@routes.get("/slips/{number}/timeline")
async def timeline(request: web.Request) -> web.Response:
    events = await request.config_dict[keys.SLIPS].timeline(
        request.match_info["number"], member_of(request).actor()
    )
    return _json({"events": [e.to_dict() for e in events]})


@routes.get("/slips/{number}/actions")
async def available_actions(request: web.Request) -> web.Response:
    specs = await request.config_dict[keys.SLIPS].actions_for(
        request.match_info["number"], member_of(request).actor()
    )
    return _json({"actions": [s.to_dict() for s in specs]})


@routes.get("/slips/{number}/notifications")
async def notifications(request: web.Request) -> web.Response:
    view = await request.config_dict[keys.SLIPS].get(
        request.match_info["number"], member_of(request).actor()
    )
    rows = await deliveries_of(request.config_dict[app_keys.DATABASE], view.id)
    return _json({"notifications": [r.to_dict() for r in rows]})


@routes.get("/slips/{number}/transcript")
async def transcript(request: web.Request) -> web.Response:
    view = await request.config_dict[keys.SLIPS].get(
        request.match_info["number"], member_of(request).actor()
    )
    lines = (
        await request.config_dict[app_keys.MESSAGE_LOG].transcript(view.openid)
        if view.openid
        else []
    )
    return _json(
        {
            "messages": [
                {
                    "direction": line.direction,
                    "channel": line.channel,
                    "msg_type": line.msg_type,
                    "event": line.event,
                    "content": line.content,
                    "at": line.at.isoformat(),
                }
                for line in lines
            ]
        }
    )


async def _body(request: web.Request) -> dict[str, Any]:
    if request.content_length in (None, 0) and not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "invalid_json", "请求体应为 JSON 对象") from None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "请求体应为 JSON 对象")
    unknown = set(body) - {"note", "data", "expected_version", "confirm"}
    if unknown:
        field = sorted(unknown)[0]
        raise ApiError(400, "invalid_input", "不认识这个字段", field)
    return body


@routes.post("/slips/{number}/actions/{action}")
async def act(request: web.Request) -> web.Response:
    member = member_of(request)
    body = await _body(request)
    note = body.get("note")
    data = body.get("data") or {}
    version = body.get("expected_version")
    if note is not None and not isinstance(note, str):
        raise ApiError(400, "invalid_input", "应为文字", "note")
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_input", "应为 JSON 对象", "data")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        raise ApiError(400, "invalid_input", "应为整数", "expected_version")
    confirm = body.get("confirm")
    if confirm is not None and not isinstance(confirm, bool):
        raise ApiError(400, "invalid_input", "应为 true 或 false", "confirm")
    number, action = request.match_info["number"], request.match_info["action"]
    note = (note.strip() or None) if note else None
    slips = request.config_dict[keys.SLIPS]
    workflow_action = slips.workflow.action(action)
    if confirm is not True and workflow_action is not None and workflow_action.confirm:
        await _check_confirmed(request, number, action, note, data)
    view = await slips.act(
        number, action, member.actor(), note=note, data=data, expected_version=version
    )
    return _json(view.to_dict())


async def _check_confirmed(
    request: web.Request, number: str, action: str, note: str | None, data: dict[str, Any]
) -> None:
    """An action that cannot be undone (workflow.yaml `confirm`, e.g. 撤销) needs
    `"confirm": true`, as the console needs its box ticked. Who may not take the action now
    is told so first (by act()), and an empty required field before the missing confirmation,
    so a client fixes what it sent in the order a person fills the form in."""
    specs = await request.config_dict[keys.SLIPS].actions_for(number, member_of(request).actor())
    spec = spec_of(specs, action)
    if spec is None or not spec.confirm:
        return  # not available to this account now: act() says why
    for field in spec.fields:
        value = note if field.name == "note" else data.get(field.name)
        if field.required and (value is None or (isinstance(value, str) and not value.strip())
                               or value == []):
            raise ApiError(400, "invalid_input", f"请填写{field.label}", field.name)
    raise ApiError(
        400, "confirmation_required",
        f"{spec.label}后不能恢复，请核实后在请求体中加上 \"confirm\": true 再提交",
        "confirm",
    )
