"""setup_api(app): /api/v1 as a sub-app sharing the console's staff services."""

from __future__ import annotations

import json

from aiohttp import web

from bot.slips.workflow import load_workflow
from handlers.api import views
from handlers.api.auth import api_auth
from handlers.api.errors import json_errors
from handlers.api.openapi import build_openapi
from handlers.console.security import setup_security_headers

OPENAPI: web.AppKey[str] = web.AppKey("openapi_json")


def create_api_app() -> web.Application:
    api = web.Application(middlewares=[json_errors, api_auth])
    setup_security_headers(api)
    workflow = load_workflow()
    codes = sorted(code for code, a in workflow.actions.items() if not a.internal)
    states = list(workflow.states)
    api[OPENAPI] = json.dumps(build_openapi(codes, states), ensure_ascii=False, indent=1)

    async def openapi(request: web.Request) -> web.Response:
        return web.Response(text=request.app[OPENAPI], content_type="application/json")

    api.router.add_get("/openapi.json", openapi)
    api.router.add_routes(views.routes)
    return api


def setup_api(app: web.Application) -> None:
    """Mount the API at /api/v1 (after setup_console, whose services it uses)."""
    app.add_subapp("/api/v1", create_api_app())
