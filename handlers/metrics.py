"""`/metrics` in the Prometheus text format."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from handlers import keys


async def metrics(request: web.Request) -> web.Response:
    app = request.app
    await app[keys.METRICS].refresh(app[keys.DATABASE])
    response = web.Response(body=app[keys.METRICS].render())
    response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
    response.charset = "utf-8"
    return response


def setup(app: web.Application) -> None:
    app.router.add_get("/metrics", metrics)
