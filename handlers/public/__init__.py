"""The public side of the statistics: /public (transparency pages, no login) and the services
the console dashboard and Open311 share (`ensure_stats`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web

from handlers import keys as app_keys
from handlers.public.keys import STATS

# Tests may set a fixed clock for the statistics (figures such as "overdue now").
STATS_CLOCK: web.AppKey[Callable[[], datetime]] = web.AppKey("stats_clock")
_READY: web.AppKey[bool] = web.AppKey("stats_setup_done")


def ensure_stats(app: web.Application) -> None:
    """Build the statistics services once per process, after the database is open (call
    after create_app's resources; calling it twice is harmless)."""
    if app.get(_READY):
        return
    app[_READY] = True

    async def services(app: web.Application) -> AsyncIterator[None]:
        from bot.stats.labels import Labels
        from bot.stats.services import StatsServices
        from bot.storage.types import utcnow
        pack = app_keys.pack_of(app)
        app[STATS] = StatsServices.build(
            app[app_keys.DATABASE],
            labels=Labels.from_pack(pack),
            tz=ZoneInfo(pack.policy.timezone),
            clock=app.get(STATS_CLOCK, utcnow),
        )
        yield

    app.cleanup_ctx.append(services)


def setup_public(app: web.Application) -> None:
    """Mount the transparency pages at /public/."""
    from handlers.public.app import create_public_app

    ensure_stats(app)

    async def to_public(request: web.Request) -> web.Response:
        raise web.HTTPFound("/public/")

    app.router.add_get("/public", to_public)
    app.add_subapp("/public", create_public_app())
