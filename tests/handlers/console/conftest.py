from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.config import Settings
from tests.conftest import make_settings
from tests.handlers.staff_app import FAST_PASSWORDS, NewBrowser, browsers_fixture, staff_of

MakeClient = Callable[..., Awaitable[TestClient]]


@pytest.fixture
def console_settings(sqlite_url: str) -> Settings:
    return make_settings(
        **{"database.url": sqlite_url, "redis.url": "memory://", "console.cookie_secure": False}
    )


@pytest.fixture
async def make_client(aiohttp_client, console_settings: Settings) -> MakeClient:
    async def make(settings: Settings | None = None) -> TestClient:
        client = await aiohttp_client(create_app(settings or console_settings, migrate=True))
        staff_of(client).passwords = FAST_PASSWORDS
        return client

    return make


@pytest.fixture
async def client(make_client: MakeClient) -> TestClient:
    return await make_client()


@pytest.fixture
async def browsers() -> AsyncIterator[NewBrowser]:
    async for new in browsers_fixture():
        yield new
