"""Redis stores (redis.asyncio), shared by any number of web and worker processes."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import orjson
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.sentinel import Sentinel

from bot.redis_urls import is_sentinel_url
from bot.stores.base import Claim, ClaimState, Held, LockTimeout, StateSuperseded
from bot.stores.renewal import Renewal
from bot.stores.sentinel import sentinel_client

log = logging.getLogger(__name__)

_PENDING = "\x00pending"


class RedisStores:
    def __init__(self, client: Redis, prefix: str, *, sentinel: Sentinel | None = None) -> None:
        self._redis = client
        self._prefix = prefix
        self._sentinel = sentinel
        self._release = client.register_script(_RELEASE)
        self._extend = client.register_script(_EXTEND)
        self._count = client.register_script(_COUNT)
        self._lock_get = client.register_script(_LOCK_GET)
        self._put = client.register_script(_PUT)
        self._save = client.register_script(_SAVE)
        self._drop = client.register_script(_DROP)

    @classmethod
    def from_url(cls, url: str, prefix: str, *, max_connections: int = 200) -> RedisStores:
        """redis://, rediss:// or unix:// for one server; redis+sentinel:// for a master that
        Sentinel fails over (bot/stores/sentinel.py)."""
        # A blocking pool: in a burst, a request waits for a free connection instead of
        # failing with "Too many connections".
        options: dict[str, Any] = {
            "max_connections": max_connections,
            "timeout": 10,
            "decode_responses": True,
            "socket_timeout": 5,
            "socket_connect_timeout": 5,
            "health_check_interval": 30,
            "retry_on_timeout": True,
        }
        if is_sentinel_url(url):
            client, sentinel = sentinel_client(url, **options)
            return cls(client, prefix, sentinel=sentinel)
        pool = BlockingConnectionPool.from_url(url, **options)
        return cls(Redis(connection_pool=pool), prefix)

    def _k(self, kind: str, key: str) -> str:
        return f"{self._prefix}:{kind}:{key}"

    # -- conversation state ---------------------------------------------------------------
    async def load_state(self, key: str) -> dict[str, Any] | None:
        raw = await self._redis.get(self._k("state", key))
        return None if raw is None else _loads(raw)

    # Each state has a version beside it (`ver:`), changed by every write: a holder's write
    # goes through only while the version is still the one it read (see hold).
    async def save_state(self, key: str, value: dict[str, Any], ttl_seconds: float) -> None:
        await self._save(
            keys=[self._k("state", key), self._k("ver", key)],
            args=[_dumps(value), max(1, int(ttl_seconds * 1000))],
        )

    async def drop_state(self, key: str) -> None:
        await self._drop(keys=[self._k("state", key), self._k("ver", key)])

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
        # xx + get-compare would race; the lock's script keeps it atomic.
        await self._extend(
            keys=[self._k("dedupe", key)], args=[_PENDING, int(lease_seconds * 1000)]
        )

    async def finish(self, key: str, reply: str, ttl_seconds: float) -> None:
        await self._redis.set(self._k("dedupe", key), reply, px=int(ttl_seconds * 1000))

    async def abandon(self, key: str) -> None:
        await self._release(keys=[self._k("dedupe", key)], args=[_PENDING])

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
        """SET NX PX with a random token, polled every 20 ms until `wait_seconds`; released by
        a script that deletes the key only while it still holds our token. redis-py's Lock
        did the same with a uuid1 per lock and a renewal task per holder (bot.stores.renewal)."""
        name = self._k("lock", key)
        token, ttl_ms = os.urandom(16).hex(), max(1, int(ttl_seconds * 1000))
        await self._acquire(key, wait_seconds, lambda: self._redis.set(
            name, token, nx=True, px=ttl_ms))
        keeper = self._renewal(name, token, ttl_seconds)
        try:
            yield
        finally:
            keeper.stop()
            await self._release(keys=[name], args=[token])  # 0: lapsed, the next holder owns it

    @asynccontextmanager
    async def hold(
        self, key: str, *, ttl_seconds: float = 30.0, wait_seconds: float = 10.0
    ) -> AsyncIterator[Held]:
        """The lock and the state in one script each way: one round trip takes the lock and
        reads the state (and its version), one writes what the holder kept and releases.

        The lock is a lease, renewed by a timer in this process; a process that stands still
        longer than the lease (frozen, swapping, its event loop blocked) loses it without
        knowing, and another process may take the conversation on. Its write then finds the
        version changed and is refused with StateSuperseded instead of putting the newer
        state back to the older one (a fencing token, kept beside the state)."""
        names = [self._k("lock", key), self._k("state", key), self._k("ver", key)]
        token, ttl_ms = os.urandom(16).hex(), max(1, int(ttl_seconds * 1000))
        found: list[Any] = []

        async def take() -> bool:
            reply = await self._lock_get(keys=names, args=[token, ttl_ms])
            found[:] = reply
            return bool(reply and int(reply[0]) == 1)

        await self._acquire(key, wait_seconds, take)
        version = found[2] if len(found) > 2 and found[2] is not None else ""

        async def put(value: dict[str, Any], ttl: float, release: bool) -> None:
            nonlocal version
            reply = await self._put(
                keys=names,
                args=[token, version, _dumps(value), max(1, int(ttl * 1000)), int(release)],
            )
            if not int(reply[0]):
                raise StateSuperseded(key)
            version = reply[1]

        keeper = self._renewal(names[0], token, ttl_seconds)
        try:
            raw = found[1] if len(found) > 1 else None
            held = Held(None if raw is None else _loads(raw),
                        lambda value, ttl: put(value, ttl, False))
            yield held
        except BaseException:
            keeper.stop()
            await self._release(keys=names[:1], args=[token])
            raise
        keeper.stop()
        if held.kept is None:
            await self._release(keys=names[:1], args=[token])
        else:
            await put(*held.kept, True)

    async def _acquire(
        self, key: str, wait_seconds: float, attempt: Callable[[], Awaitable[Any]]
    ) -> None:
        give_up = time.monotonic() + wait_seconds
        while not await attempt():
            if time.monotonic() >= give_up:
                raise LockTimeout(key)
            await asyncio.sleep(0.02)

    def _renewal(self, name: str, token: str, ttl_seconds: float) -> Renewal:
        """Renewed while held: a short ttl frees a killed process's residents within seconds."""
        ttl_ms = max(1, int(ttl_seconds * 1000))

        async def extend() -> bool:
            return bool(await self._extend(keys=[name], args=[token, ttl_ms]))

        return Renewal(ttl_seconds / 3, extend, "a lock")

    # -- rate limits ----------------------------------------------------------------------
    async def hit(self, key: str, *, limit: int, window_seconds: int) -> bool:
        window = int(time.time() // window_seconds)
        name = self._k("rate", f"{key}:{window}")
        count = await self._count(keys=[name], args=[window_seconds])  # one command
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
        if self._sentinel is not None:
            await self._sentinel.aclose()


_RELEASE = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end "
    "return 0"
)
_EXTEND = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then "
    "return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
)


# lock (KEYS[1]) and read the state (KEYS[2]) and its version (KEYS[3]):
# {1, state or nil, version or nil} when taken, {0} when not
_LOCK_GET = (
    "if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then "
    "return {1, redis.call('get', KEYS[2]), redis.call('get', KEYS[3])} end return {0}"
)
# a holder's write: the state (KEYS[2]) and a new version (KEYS[3]) only while the version is
# the one it read (ARGV[2], '' for none): {1, new version}, else {0}. With ARGV[5] = 1 our
# lock (KEYS[1], token ARGV[1]) is released either way; it may have lapsed: then another
# holder owns it and it is left alone.
_PUT = (
    "local seen = redis.call('get', KEYS[3]) or '' "
    "if ARGV[5] == '1' and redis.call('get', KEYS[1]) == ARGV[1] then "
    "redis.call('del', KEYS[1]) end "
    "if seen ~= ARGV[2] then return {0} end "
    "local version = tostring((tonumber(seen) or 0) + 1) "
    "redis.call('set', KEYS[2], ARGV[3], 'PX', ARGV[4]) "
    "redis.call('set', KEYS[3], version, 'PX', ARGV[4]) "
    "return {1, version}"
)
# a write outside hold: the state and a new version, so that a holder's older read is stale
_SAVE = (
    "redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2]) "
    "local version = redis.call('incr', KEYS[2]) "
    "redis.call('pexpire', KEYS[2], ARGV[2]) return version"
)
_DROP = "return redis.call('del', KEYS[1], KEYS[2])"
_COUNT = (
    "local n = redis.call('incr', KEYS[1]) "
    "if n == 1 then redis.call('expire', KEYS[1], ARGV[1]) end return n"
)


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
