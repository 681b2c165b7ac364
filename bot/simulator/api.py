"""The WeChat outbound API the bot calls (/cgi-bin/...), with WeChat's rules and errcodes."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web

from bot.simulator.errors import OK, wx_error
from bot.simulator.media import CONTENT_TYPES, EXTENSIONS, media_bytes
from bot.simulator.messages import describe_custom, describe_template
from bot.simulator.state import SIMULATOR_STATE, SimulatorState

CUSTOM_TYPES = frozenset(
    {
        "text",
        "image",
        "voice",
        "video",
        "music",
        "news",
        "mpnews",
        "mpnewsarticle",
        "msgmenu",
        "wxcard",
        "miniprogrampage",
    }
)

Result = dict[str, Any] | web.Response
Handler = Callable[[SimulatorState, web.Request, Any], Awaitable[Result]]


def mount_prefix(request: web.Request, route_path: str) -> str:
    """The path the simulator is mounted under ("" standalone, "/simulator" in the demo)."""
    path = request.path
    return path[: -len(route_path)] if path.endswith(route_path) else ""


def _learn_base(state: SimulatorState, request: web.Request, route_path: str) -> None:
    state.base_url = f"{request.scheme}://{request.host}{mount_prefix(request, route_path)}"


def _json(result: Mapping[str, Any]) -> web.Response:
    # WeChat answers errors with HTTP 200 and a JSON body; Chinese stays unescaped.
    return web.json_response(dict(result), dumps=lambda o: json.dumps(o, ensure_ascii=False))


def _wrap(
    api: str, route_path: str, handler: Handler, *, body: bool
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Common part of every API call: faults, parsing, recording."""

    async def view(request: web.Request) -> web.StreamResponse:
        state = request.app[SIMULATOR_STATE]
        _learn_base(state, request, route_path)
        raw = await request.text() if body else ""
        # WeChat finishes a call even when the caller gave up waiting (a slow answer may
        # still send the message): shield the work from the handler's cancellation.
        return await asyncio.shield(state.spawn(process(state, request, raw)))

    async def process(state: SimulatorState, request: web.Request, raw: str) -> web.StreamResponse:
        started = time.monotonic()
        payload: Any = None
        if body:
            try:
                payload = json.loads(raw) if raw.strip() else None
            except ValueError:
                payload = _BAD_JSON
        fault = state.take_fault(api)
        result: Result
        if fault is not None and fault.delay:
            await asyncio.sleep(fault.delay)
        if fault is not None and fault.http_status:
            result = web.Response(status=fault.http_status, text="simulated HTTP failure")
        elif fault is not None and fault.errcode is not None:
            result = wx_error(fault.errcode, "simulated")
        elif payload is _BAD_JSON:
            result = wx_error(47001)
        else:
            result = await handler(state, request, payload)
        recorded = (
            result
            if isinstance(result, dict)
            else {
                "http_status": result.status,
                "content_type": result.content_type,
                "bytes": len(result.body) if isinstance(result.body, bytes) else None,
            }
        )
        state.record_call(
            {
                "api": api,
                "method": request.method,
                "path": request.path,
                "query": dict(request.query),
                "request": raw if payload is _BAD_JSON else payload,
                "response": recorded,
                "fault": fault.to_json() if fault else None,
                "duration_ms": round((time.monotonic() - started) * 1000, 1),
            }
        )
        return result if isinstance(result, web.Response) else _json(result)

    return view


_BAD_JSON = object()


def _credentials(state: SimulatorState, appid: Any, secret: Any) -> int:
    if not appid:
        return 41002
    if not secret:
        return 41004
    if appid != state.config.appid:
        return 40013
    if secret != state.config.secret:
        return 40125
    return 0


async def get_token(state: SimulatorState, request: web.Request, _: Any) -> Result:
    query = request.query
    if query.get("grant_type") != "client_credential":
        return wx_error(40002)
    errcode = _credentials(state, query.get("appid"), query.get("secret"))
    if errcode:
        return wx_error(errcode)
    token, expires_in = state.tokens.issue()
    return {"access_token": token, "expires_in": expires_in}


async def stable_token(state: SimulatorState, request: web.Request, payload: Any) -> Result:
    if not isinstance(payload, dict):
        return wx_error(47001, "POST JSON body required")
    if payload.get("grant_type") != "client_credential":
        return wx_error(40002)
    errcode = _credentials(state, payload.get("appid"), payload.get("secret"))
    if errcode:
        return wx_error(errcode)
    force = payload.get("force_refresh", False)
    answer = state.tokens.stable(force_refresh=force is True or str(force).lower() == "true")
    if isinstance(answer, int):
        return wx_error(answer)
    token, expires_in = answer
    return {"access_token": token, "expires_in": expires_in}


def _token_error(state: SimulatorState, request: web.Request) -> dict[str, Any] | None:
    errcode = state.tokens.check(request.query.get("access_token"))
    return wx_error(errcode) if errcode else None


def _recipient(state: SimulatorState, payload: Any) -> tuple[str, dict[str, Any] | None]:
    if not isinstance(payload, dict):
        return "", wx_error(44002 if payload is None else 47001)
    openid = payload.get("touser")
    if not isinstance(openid, str) or openid not in state.residents:
        return "", wx_error(40003)
    return openid, None


async def custom_send(state: SimulatorState, request: web.Request, payload: Any) -> Result:
    if error := _token_error(state, request):
        return error
    openid, error = _recipient(state, payload)
    if error:
        return error
    msgtype = payload.get("msgtype")
    if msgtype not in CUSTOM_TYPES:
        return wx_error(40008)
    body = payload.get(msgtype)
    if not isinstance(body, dict):
        return wx_error(47001, f"{msgtype} object required")
    if msgtype == "text" and not str(body.get("content") or "").strip():
        return wx_error(44004)
    if msgtype == "news" and not body.get("articles"):
        return wx_error(44003)
    if msgtype in ("image", "voice", "mpnews") and not body.get("media_id"):
        return wx_error(40007)
    errcode = state.take_custom_quota(openid)
    if errcode:
        return wx_error(errcode)
    state.deliver(openid, "custom", msgtype, describe_custom(payload), payload)
    return dict(OK)


def _template_checks(
    state: SimulatorState, payload: Any, refuses: str
) -> tuple[str, dict[str, Any] | None]:
    openid, error = _recipient(state, payload)
    if error:
        return openid, error
    if not isinstance(payload.get("template_id"), str) or not payload["template_id"].strip():
        return openid, wx_error(40037)
    if not isinstance(payload.get("data", {}), dict):
        return openid, wx_error(47001, "data must be an object")
    resident = state.residents[openid]
    if not resident.subscribed:
        return openid, wx_error(43004)
    if getattr(resident, refuses):
        return openid, wx_error(43101)
    return openid, None


async def template_send(state: SimulatorState, request: web.Request, payload: Any) -> Result:
    if error := _token_error(state, request):
        return error
    openid, error = _recipient(state, payload)
    if error:
        return error
    client_msg_id = payload.get("client_msg_id")
    if client_msg_id:
        earlier = state.recall_client_msg(openid, str(client_msg_id))
        if earlier is not None:
            return dict(earlier)  # the same answer again, and nothing is sent twice
    openid, error = _template_checks(state, payload, "refuses_templates")
    if error:
        return error
    msgid = state.next_msgid()
    state.deliver(
        openid,
        "template",
        "template",
        describe_template(payload),
        payload,
        msgid=msgid,
        template_id=payload["template_id"],
        client_msg_id=str(client_msg_id) if client_msg_id else None,
    )
    response = {**OK, "msgid": msgid}
    if client_msg_id:
        state.remember_client_msg(openid, str(client_msg_id), response)
    if state.config.push_job_events and state.peer is not None:
        state.spawn(
            state.post_event(
                openid, "TEMPLATESENDJOBFINISH", {"MsgID": msgid, "Status": "success"}
            )
        )
    return response


async def subscribe_send(state: SimulatorState, request: web.Request, payload: Any) -> Result:
    if error := _token_error(state, request):
        return error
    openid, error = _template_checks(state, payload, "refuses_subscribe_messages")
    if error:
        return error
    msgid = state.next_msgid()
    state.deliver(
        openid,
        "subscribe",
        "subscribe",
        describe_template(payload),
        payload,
        msgid=msgid,
        template_id=payload["template_id"],
    )
    if state.config.push_job_events and state.peer is not None:
        item = {
            "TemplateId": payload["template_id"],
            "MsgID": msgid,
            "ErrorCode": 0,
            "ErrorStatus": "success",
        }
        state.spawn(
            state.post_event(
                openid, "subscribe_msg_sent_event", {"SubscribeMsgSentEvent": {"List": item}}
            )
        )
    return dict(OK)


async def media_get(state: SimulatorState, request: web.Request, _: Any) -> Result:
    if error := _token_error(state, request):
        return error
    item = state.find_media(request.query.get("media_id", ""))
    if item is None:
        return wx_error(40007)
    if item.kind == "video":
        prefix = mount_prefix(request, "/cgi-bin/media/get")
        url = request.url.with_path(f"{prefix}/media/download").with_query(media_id=item.media_id)
        return {"video_url": str(url)}
    return media_response(item.kind, item.media_id)


def media_response(kind: str, media_id: str) -> web.Response:
    filename = f"{media_id}.{EXTENSIONS[kind]}"
    return web.Response(
        body=media_bytes(kind, media_id),
        content_type=CONTENT_TYPES[kind],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def add_api_routes(app: web.Application) -> None:
    routes = [
        ("GET", "/cgi-bin/token", "token", get_token, False),
        ("POST", "/cgi-bin/stable_token", "stable_token", stable_token, True),
        ("POST", "/cgi-bin/message/custom/send", "custom/send", custom_send, True),
        ("POST", "/cgi-bin/message/template/send", "template/send", template_send, True),
        ("POST", "/cgi-bin/message/subscribe/bizsend", "subscribe/bizsend", subscribe_send, True),
        ("GET", "/cgi-bin/media/get", "media/get", media_get, False),
    ]
    for method, path, api, handler, body in routes:
        app.router.add_route(method, path, _wrap(api, path, handler, body=body))
