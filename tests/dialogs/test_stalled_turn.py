"""A turn whose process stood still past the conversation lock's lease (a frozen VM, swap, a
blocked event loop) while another process took the lock and moved the conversation on: the
late turn's result is dropped instead of putting the conversation back to what it was, the
resident is asked to send that message again, and the durable copy is the newer one. Real
Redis: the fencing is in its scripts (bot.stores.redis)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.stores import LockTimeout, StateSuperseded
from bot.stores.redis import RedisStores
from dialogs.engine import DialogEngine
from dialogs.kit import DialogKit
from tests.conftest import REDIS_URL
from tests.dialogs.conftest import Clock, Resident
from tests.dialogs.test_durable import Copies


class Stalling:
    """A web process's stores whose next turn stands still right after taking the
    conversation, until `meanwhile` (another process's work) is done and the lock lapsed."""

    def __init__(self, inner: RedisStores, prefix: str) -> None:
        self.inner = inner
        self.prefix = prefix
        self.meanwhile: Callable[[], Awaitable[Any]] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    @asynccontextmanager
    async def hold(self, key: str, **kwargs: Any) -> AsyncIterator[Any]:
        async with self.inner.hold(key, **kwargs) as held:
            if self.meanwhile is not None:
                work, self.meanwhile = self.meanwhile, None
                client = Redis.from_url(REDIS_URL)
                await client.delete(f"{self.prefix}:lock:{key}")  # the lease ran out
                await client.aclose()
                await work()
            yield held


@pytest.fixture
async def processes(
    kit: DialogKit, clock: Clock, redis_prefix: str
) -> AsyncIterator[tuple[DialogEngine, DialogEngine, Stalling, Copies]]:
    copies = Copies()
    stalling = Stalling(RedisStores.from_url(REDIS_URL, redis_prefix), redis_prefix)
    other = RedisStores.from_url(REDIS_URL, redis_prefix)

    def engine(store: Any) -> DialogEngine:
        return DialogEngine(kit, store, idle_timeout_minutes=30, clock=clock, backup=copies,
                            lock_errors=(LockTimeout,), superseded_errors=(StateSuperseded,))

    yield engine(stalling), engine(other), stalling, copies
    await stalling.inner.close()
    await other.close()


async def test_the_stalled_turn_is_dropped_and_the_newer_one_stands(
    processes: tuple[DialogEngine, DialogEngine, Stalling, Copies], clock: Clock
) -> None:
    web1, web2, stalling, copies = processes
    on_web1, on_web2 = Resident(web1, clock, openid="oStall1"), Resident(web2, clock,
                                                                          openid="oStall1")
    assert "什么地方" in await on_web1.say("小区门口的路灯坏了三天了")

    heard_on_web2: list[str] = []

    async def resident_goes_on() -> None:
        heard_on_web2.append(await on_web2.say("鲤鱼池小区3栋门口", dedupe_key="oStall1:w2:1"))

    stalling.meanwhile = resident_goes_on
    late = await on_web1.say("建新北路12号门口")
    assert "再发一次" in late  # that message was not taken: the resident is asked again
    assert "电话" in heard_on_web2[0]

    key = web1.state_key("oStall1")
    stored = await stalling.inner.load_state(key)
    assert stored is not None
    assert copies.states[key] == stored  # the copy the late turn wrote was put right
    summary = await on_web1.say("13812345678")
    assert "地点：鲤鱼池小区3栋门口" in summary
    assert "交办单号" in await on_web1.say("确认")
    assert key not in copies.states
