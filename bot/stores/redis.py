"""Redis stores (redis.asyncio), shared by any number of web and worker processes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.lock import Lock
from redis.exceptions import LockError

from bot.stores.base import Claim, ClaimState, LockTimeout

log = logging.getLogger(__name__)

_PENDING = "\x00pending"


class RedisStores:
    def __init__(self, client: Redis, prefix: str) -> None:
        self._redis = client
        self._prefix = prefix

    @classmethod
    def from_url(cls, url: str, prefix: str, *, max_connections: int = 200) -> RedisStores:
        # A blocking pool: in a burst, a request waits for a free connection instead of
        # failing with "Too many connections".
        pool = BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            timeout=10,
            decode_responses=True,
            socket_timeout=5,
            socket_connect_timeout=5,
            health_check_interval=30,
            retry_on_timeout=True,
        )
        return cls(Redis(connection_pool=pool), prefix)

    def _k(self, kind: str, key: str) -> str:
        return f"{self._prefix}:{kind}:{key}"

    # -- conversation state ---------------------------------------------------------------
    async def load_state(self, key: str) -> dict[str, Any] | None:
        raw = await self._redis.get(self._k("state", key))
        return None if raw is None else _loads(raw)

    async def save_state(self, key: str, value: dict[str, Any], ttl_seconds: float) -> None:
        await self._redis.set(
            self._k("state", key),
            _dumps(value),
            px=int(ttl_seconds * 1000),
        )

    async def drop_state(self, key: str) -> None:
        await self._redis.delete(self._k("state", key))

    # -- dedupe ---------------------------------------------------------------------------
    async def claim(self, key: str, lease_seconds: float) -> Claim:
        name = self._k("dedupe", key)
        if await self._redis.set(name, _PENDING, px=int(lease_seconds * 1000), nx=True):
            return Claim(ClaimState.NEW)
        current = await self._redis.get(name)
        if current is None:  # lapsed between the two calls: try once more
            if await self._redis.set(name, _PENDING, px=int(lease_seconds * 1000), nx=True):
                return Claim(ClaimState.NEW)
            current = await self._redis.get(name)
            if current is None:
                return Claim(ClaimState.PENDING)
        return _claim_of(current)

    async def renew(self, key: str, lease_seconds: float) -> None:
        # xx + get-compare would race; a tiny script keeps it atomic.
        await self._redis.eval(
            "if redis.call('get', KEYS[1]) == ARGV[1] then "
            "return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0",
            1,
            self._k("dedupe", key),
            _PENDING,
            int(lease_seconds * 1000),
        )

    async def finish(self, key: str, reply: str, ttl_seconds: float) -> None:
        await self._redis.set(self._k("dedupe", key), reply, px=int(ttl_seconds * 1000))

    async def abandon(self, key: str) -> None:
        await self._redis.eval(
            "if redis.call('get', KEYS[1]) == ARGV[1] then "
            "return redis.call('del', KEYS[1]) end return 0",
            1,
            self._k("dedupe", key),
            _PENDING,
        )

    async def peek(self, key: str) -> Claim:
        current = await self._redis.get(self._k("dedupe", key))
        if current is None:
            return Claim(ClaimState.NEW)
        return _claim_of(current)

    # -- locks ----------------------------------------------------------------------------
    @asynccontextmanager
    async def lock(
        self, key: str, *, ttl_seconds: float = 30.0, wait_seconds: float = 10.0
    ) -> AsyncIterator[None]:
        lock = self._redis.lock(
            self._k("lock", key), timeout=ttl_seconds, blocking_timeout=wait_seconds, sleep=0.02
        )
        if not await lock.acquire():
            raise LockTimeout(key)
        released = asyncio.Event()
        keeper = asyncio.create_task(_keep(lock, ttl_seconds, released))
        try:
            yield
        finally:
            released.set()
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
            try:
                await lock.release()
            except LockError:
                pass  # lapsed while held (Redis unreachable); the next holder owns it

    # -- rate limits ----------------------------------------------------------------------
    async def hit(self, key: str, *, limit: int, window_seconds: int) -> bool:
        window = int(time.time() // window_seconds)
        name = self._k("rate", f"{key}:{window}")
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expire(name, window_seconds)
            count, _ = await pipe.execute()
        return int(count) <= limit

    # -- values ---------------------------------------------------------------------------
    async def get_value(self, key: str) -> str | None:
        return await self._redis.get(self._k("value", key))

    async def set_value(
        self,
        key: str,
        value: str,
        ttl_seconds: float | None = None,
        *,
        only_if_absent: bool = False,
    ) -> bool:
        px = None if ttl_seconds is None else int(ttl_seconds * 1000)
        return bool(await self._redis.set(self._k("value", key), value, px=px, nx=only_if_absent))

    async def delete_value(self, key: str) -> None:
        await self._redis.delete(self._k("value", key))

    async def ping(self) -> bool:
        try:
            return bool(await self._redis.ping())
        except Exception:
            return False

    async def close(self) -> None:
        await self._redis.aclose(close_connection_pool=True)


async def _keep(lock: Lock, ttl_seconds: float, released: asyncio.Event) -> None:
    """Renews a held lock every third of its ttl: it lasts as long as its holder works, and
    lapses within `ttl_seconds` of the holder's process dying (kill -9 of a web process must
    not lock its residents' conversations out for long; found by tests/deploy).

    It also stops on `released`: redis-py can swallow a cancellation that arrives inside a
    command (276 of 300 cancels landing in reacquire() were lost in a probe), and a keeper that
    missed its cancel would renew the lock forever while its holder waits for it to end
    (residents answered "busy" for good; found by tests/faults during a PostgreSQL restart)."""
    while not released.is_set():
        await asyncio.sleep(ttl_seconds / 3)
        if released.is_set():
            return
        try:
            await lock.reacquire()
        except LockError:
            return  # no longer ours
        except Exception:  # noqa: BLE001 - Redis unreachable for a moment: try again
            log.warning("could not renew a lock", exc_info=True)


# Conversation state is the largest value written per message: orjson, where it writes what
# json would (anything else, such as a datetime it would accept, takes the json path).
_ORJSON_STRICT = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _dumps(value: Any) -> str:
    try:
        return orjson.dumps(value, option=_ORJSON_STRICT).decode()
    except TypeError:
        return json.dumps(value, ensure_ascii=False)


def _loads(raw: str) -> Any:
    try:
        return orjson.loads(raw)
    except ValueError:  # NaN and the like, which json reads
        return json.loads(raw)


def _claim_of(value: str) -> Claim:
    if value == _PENDING:
        return Claim(ClaimState.PENDING)
    return Claim(ClaimState.DONE, value)
