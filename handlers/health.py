"""`/healthz`: is this process able to serve (database and stores reachable)?"""

from __future__ import annotations

from aiohttp import web

from handlers import keys


async def healthz(request: web.Request) -> web.Response:
    app = request.app
    database = await app[keys.DATABASE].ping()
    stores = await app[keys.STORES].ping()
    ok = database and stores
    return web.json_response(
        {"status": "ok" if ok else "unavailable", "database": database, "stores": stores},
        status=200 if ok else 503,
    )


def setup(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
