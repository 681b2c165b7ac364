"""A conversation lock is given back when its holder is done, however the renewal in the
background is interrupted: redis-py can swallow a cancellation that lands inside a command,
and a renewal task that missed its cancel kept the lock (and its holder) forever, so that
the resident was told "上一条消息还在处理" for good (found during a PostgreSQL restart)."""

from __future__ import annotations

import asyncio
import random

import pytest

from bot.stores.redis import RedisStores
from tests.conftest import REDIS_URL

pytestmark = pytest.mark.slow  # about 4 s: 100 holders


async def test_locks_are_released_whenever_the_holder_stops(redis_prefix: str) -> None:
    stores = RedisStores.from_url(REDIS_URL, redis_prefix)
    rng = random.Random(8)

    async def hold(key: str) -> None:
        # a short ttl is renewed every 20 ms: the end of the block now and then meets a
        # renewal in flight (the ttl still outlasts a renewal, so a lost cancel is never
        # ended by the lock lapsing)
        async with stores.lock(key, ttl_seconds=0.06, wait_seconds=1):
            await asyncio.sleep(rng.uniform(0.01, 0.05))

    try:
        for n in range(100):
            holder = asyncio.create_task(hold(f"keeper-{n}"))
            done, _ = await asyncio.wait({holder}, timeout=10)  # generous: a hang is forever
            if not done:
                holder.cancel()
            assert done, f"holder {n} never finished: its lock renewal did not stop"
            holder.result()
            async with stores.lock(f"keeper-{n}", ttl_seconds=5, wait_seconds=0.5):
                pass  # free again
    finally:
        await stores.close()
