"""The simulator's own JSON API: act as a resident, inject faults, read the records."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from bot.simulator.api import media_response, mount_prefix
from bot.simulator.models import API_NAMES, NotFollowingError, ResidentError
from bot.simulator.state import SIMULATOR_STATE, SimulatorState


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(
        data, status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False, default=str)
    )


def _bad(message: str, status: int = 400) -> web.Response:
    return _json({"error": message}, status)


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except ValueError as exc:
        raise web.HTTPBadRequest(
            text='{"error": "body must be JSON"}', content_type="application/json"
        ) from exc
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(
            text='{"error": "body must be a JSON object"}', content_type="application/json"
        )
    return data


def _state(request: web.Request) -> SimulatorState:
    return request.app[SIMULATOR_STATE]


def _int(value: str | None, default: int = 0) -> int:
    try:
        return int(value) if value not in (None, "") else default
    except ValueError as exc:
        raise web.HTTPBadRequest(
            text='{"error": "expected an integer"}', content_type="application/json"
        ) from exc


async def send(request: web.Request) -> web.Response:
    """POST /api/send {openid, type, content | recognition | lat, lon, label | event, ...}."""
    state = _state(request)
    data = await _body(request)
    base = f"{request.scheme}://{request.host}{mount_prefix(request, '/api/send')}"
    state.base_url = base
    fields = {k: v for k, v in data.items() if k not in ("openid", "type", "retry")}
    try:
        result = await state.send(
            str(data.get("openid") or ""),
            str(data.get("type") or "text"),
            retry=data.get("retry", True) is not False,
            base_url=base,
            **fields,
        )
    except NotFollowingError as exc:
        return _bad(str(exc), 409)
    except ResidentError as exc:
        return _bad(str(exc))
    return _json(result)


async def chat(request: web.Request) -> web.Response:
    """GET /api/chat?openid=&after=<seq>: the resident's chat in order."""
    state = _state(request)
    openid = request.query.get("openid", "")
    if not openid:
        return _bad("openid is required")
    entries = state.chat_for(openid, _int(request.query.get("after")))
    resident = state.residents.get(openid)
    return _json(
        {
            "openid": openid,
            "entries": entries,
            "last_seq": entries[-1]["seq"] if entries else _int(request.query.get("after")),
            "resident": resident.to_json(state.now()) if resident else None,
        }
    )


async def sent(request: web.Request) -> web.Response:
    """GET /api/sent?openid=&channel=: delivered pushes, every API call, webhook posts."""
    state = _state(request)
    openid = request.query.get("openid") or None
    channel = request.query.get("channel") or None
    return _json(
        {
            "messages": state.sent_messages(openid, channel),
            "calls": state.calls,
            "posts": state.posts,
        }
    )


async def residents(request: web.Request) -> web.Response:
    state = _state(request)
    now = state.now()
    return _json({"residents": [r.to_json(now) for r in state.residents.values()]})


async def set_resident(request: web.Request) -> web.Response:
    """POST /api/residents {openid, subscribed?, refuses_templates?, refuses_subscribe_messages?}."""
    state = _state(request)
    data = await _body(request)
    openid = str(data.pop("openid", "") or "")
    if not openid:
        return _bad("openid is required")
    try:
        resident = state.set_resident(openid, **data)
    except ValueError as exc:
        return _bad(str(exc))
    return _json(resident.to_json(state.now()))


async def add_fault(request: web.Request) -> web.Response:
    """POST /api/faults {api, errcode, count, delay, http_status}."""
    state = _state(request)
    data = await _body(request)
    try:
        errcode = data.get("errcode")
        http_status = data.get("http_status")
        fault = state.add_fault(
            api=str(data.get("api", "*")),
            errcode=None if errcode is None else int(errcode),
            count=int(data.get("count", 1)),
            delay=float(data.get("delay", 0) or 0),
            http_status=None if http_status is None else int(http_status),
        )
    except (TypeError, ValueError) as exc:
        return _bad(f"{exc} (api: {', '.join(API_NAMES)} or *)")
    return _json({"fault": fault.to_json(), "faults": [f.to_json() for f in state.faults]})


async def list_faults(request: web.Request) -> web.Response:
    return _json({"faults": [f.to_json() for f in _state(request).faults]})


async def clear_faults(request: web.Request) -> web.Response:
    _state(request).clear_faults()
    return _json({"faults": []})


async def clock(request: web.Request) -> web.Response:
    """POST /api/clock {"advance": seconds}: move the simulator's clock forward."""
    state = _state(request)
    data = await _body(request)
    try:
        seconds = float(data.get("advance", 0))
    except (TypeError, ValueError):
        return _bad("advance must be a number of seconds")
    if seconds < 0:
        return _bad("the clock only moves forward")
    return _json({"offset": state.advance(seconds), "now": state.now()})


async def reset(request: web.Request) -> web.Response:
    _state(request).reset()
    return _json({"reset": True})


async def download(request: web.Request) -> web.Response:
    """GET /media/download?media_id=: what PicUrl and video_url point to."""
    item = _state(request).find_media(request.query.get("media_id", ""))
    if item is None:
        raise web.HTTPNotFound()
    return media_response(item.kind, item.media_id)


def add_control_routes(app: web.Application) -> None:
    app.router.add_post("/api/send", send)
    app.router.add_get("/api/chat", chat)
    app.router.add_get("/api/sent", sent)
    app.router.add_get("/api/residents", residents)
    app.router.add_post("/api/residents", set_resident)
    app.router.add_post("/api/faults", add_fault)
    app.router.add_get("/api/faults", list_faults)
    app.router.add_delete("/api/faults", clear_faults)
    app.router.add_post("/api/clock", clock)
    app.router.add_post("/api/reset", reset)
    app.router.add_get("/media/download", download)
