"""Typed keys for the statistics services (shared by /public, /open311 and the dashboard)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from bot.stats.services import StatsServices

STATS: web.AppKey[StatsServices] = web.AppKey("stats_services")
