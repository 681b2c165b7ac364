"""The conversation tests' site: `minyi serve`'s app on the backend under test, with the
simulated WeChat in front (bench/dialogs.py's Site)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web_app

from bench.dialogs import Site
from bot.config import Settings


@pytest.fixture
async def site(backend_settings: Settings) -> AsyncIterator[Site]:
    async with Site.running(backend_settings) as running:
        yield running
    # aiohttp caches middleware chains per (handler, apps) in a module-level LRU of 1024
    # entries, which keeps finished apps (and their loaded classifier) alive for the session
    web_app._cached_build_middleware.cache_clear()
