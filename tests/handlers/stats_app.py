"""Helpers for the statistics tests over HTTP: a real app (create_app) on the hand-built slips
of tests/bot/stats/dataset.py, with the statistics clock fixed at the dataset's "now"."""

from __future__ import annotations

from aiohttp import web

from bot.app import create_app
from bot.config import Settings
from handlers import keys as app_keys
from handlers.public import STATS_CLOCK
from tests.bot.stats.dataset import NOW, insert


def stats_app(settings: Settings) -> web.Application:
    app = create_app(settings, migrate=True)
    app[STATS_CLOCK] = lambda: NOW

    async def dataset(app: web.Application):
        await insert(app[app_keys.DATABASE])
        yield

    app.cleanup_ctx.append(dataset)
    return app
