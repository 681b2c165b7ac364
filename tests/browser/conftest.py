"""A real Minyi server for the browser tests: create_app (SQLite + in-process stores) with the
WeChat simulator at /simulator and the outbox worker running, like `minyi demo`, on an
ephemeral port; and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web

from bot.app import create_demo_app
from bot.config import Settings
from handlers import keys as app_keys
from handlers.console import keys
from tests.conftest import make_settings
from tests.handlers.staff_app import FAST_PASSWORDS

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path("/tmp/minyi-console-shots")

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    base: str
    app: web.Application
    settings: Settings


@pytest.fixture
async def server(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Server]:
    from bot.delivery.runtime import delivery_services

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    settings = make_settings(
        **{
            "database.url": sqlite_url,
            "redis.url": "memory://",
            "console.cookie_secure": False,
            "wechat.api_base": f"{base}/simulator",
            "server.public_url": base,
            "delivery.poll_seconds": 0.2,
            "media.dir": str(tmp_path / "media"),
            "media.poll_seconds": 0.2,
        }
    )
    app = create_demo_app(settings, base)

    async def worker(app: web.Application) -> AsyncIterator[None]:
        # the outbox worker in this process, as `minyi demo` runs it
        async with delivery_services(
            settings, app[app_keys.DATABASE], app[app_keys.STORES], run=True, scheduler=False
        ):
            yield

    app.cleanup_ctx.append(worker)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    app[keys.STAFF].passwords = FAST_PASSWORDS
    try:
        yield Server(base, app, settings)
    finally:
        await runner.cleanup()


@pytest.fixture
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not installed (the test command installs it)")
    return CHROMIUM


@pytest.fixture
async def browser(chromium_path: Path):
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(
            executable_path=str(chromium_path),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield chromium
        finally:
            await chromium.close()
