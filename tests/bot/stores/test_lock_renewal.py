"""A Redis lock lasts as long as its holder works: the store renews it. So a short ttl is safe,
and kill -9 of a web process frees its residents' conversations within seconds (the dialog
engine's ttl is 2.5 s; tests/deploy), not after the 30 s it used to take."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.stores import LockTimeout
from bot.stores.redis import RedisStores
from tests.conftest import REDIS_URL


@pytest.fixture
async def stores(redis_prefix: str) -> AsyncIterator[RedisStores]:
    store = RedisStores.from_url(REDIS_URL, redis_prefix)
    yield store
    await store.close()


async def test_a_lock_held_past_its_ttl_stays_held(stores: RedisStores) -> None:
    async with stores.lock("o1", ttl_seconds=0.3, wait_seconds=1):
        await asyncio.sleep(1.0)  # more than three times the ttl
        with pytest.raises(LockTimeout):
            async with stores.lock("o1", ttl_seconds=0.3, wait_seconds=0.2):
                pass
    async with stores.lock("o1", ttl_seconds=0.3, wait_seconds=0.2):
        pass  # released at once when the holder is done

