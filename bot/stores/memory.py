"""In-process stores: the demo's default, and a single-process deployment's."""

from __future__ import annotations

import asyncio
import copy
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from bot.stores.base import Claim, ClaimState, Held, LockTimeout

_PENDING = "\x00pending"


class MemoryStores:
    """Dict-backed stores with expiry. Values are copied in and out, like a real store."""

    def __init__(self, clock: Any = time.monotonic) -> None:
        self._clock = clock
        self._data: dict[str, tuple[Any, float | None]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    # -- expiry helpers -------------------------------------------------------------------
    def _get(self, key: str) -> Any:
        item = self._data.get(key)
        if item is None:
            return None
        value, expires = item
        if expires is not None and expires <= self._clock():
            del self._data[key]
            return None
        return value

    def _set(self, key: str, value: Any, ttl: float | None) -> None:
        expires = None if ttl is None else self._clock() + ttl
        self._data[key] = (value, expires)
        if len(self._data) > 50_000:
            self._sweep()

    def _sweep(self) -> None:
        now = self._clock()
        for key in [k for k, (_, exp) in self._data.items() if exp is not None and exp <= now]:
            del self._data[key]

    # -- conversation state ---------------------------------------------------------------
    async def load_state(self, key: str) -> dict[str, Any] | None:
        raw = self._get(f"state:{key}")
        return None if raw is None else json.loads(raw)

    async def save_state(self, key: str, value: dict[str, Any], ttl_seconds: float) -> None:
        self._set(f"state:{key}", json.dumps(value, ensure_ascii=False), ttl_seconds)

    async def drop_state(self, key: str) -> None:
        self._data.pop(f"state:{key}", None)

    # -- dedupe ---------------------------------------------------------------------------
    async def claim(self, key: str, lease_seconds: float) -> Claim:
        current = self._get(f"dedupe:{key}")
        if current is None:
            self._set(f"dedupe:{key}", _PENDING, lease_seconds)
            return Claim(ClaimState.NEW)
        return _claim_of(current)

    async def renew(self, key: str, lease_seconds: float) -> None:
        if self._get(f"dedupe:{key}") == _PENDING:
            self._set(f"dedupe:{key}", _PENDING, lease_seconds)

    async def finish(self, key: str, reply: str, ttl_seconds: float) -> None:
        self._set(f"dedupe:{key}", reply, ttl_seconds)

    async def abandon(self, key: str) -> None:
        if self._get(f"dedupe:{key}") == _PENDING:
            del self._data[f"dedupe:{key}"]

    async def peek(self, key: str) -> Claim:
        current = self._get(f"dedupe:{key}")
        if current is None:
            return Claim(ClaimState.NEW)
        return _claim_of(current)

    # -- locks ----------------------------------------------------------------------------
    @asynccontextmanager
    async def lock(
        self, key: str, *, ttl_seconds: float = 30.0, wait_seconds: float = 10.0
    ) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        try:
            await asyncio.wait_for(lock.acquire(), wait_seconds)
        except TimeoutError:
            raise LockTimeout(key) from None
        try:
            yield
        finally:
            lock.release()
            if not lock.locked() and not getattr(lock, "_waiters", None):
                self._locks.pop(key, None)

    @asynccontextmanager
    async def hold(
        self, key: str, *, ttl_seconds: float = 30.0, wait_seconds: float = 10.0
    ) -> AsyncIterator[Held]:
        # The in-process lock cannot lapse (no lease), so no other holder can write meanwhile.
        async with self.lock(key, ttl_seconds=ttl_seconds, wait_seconds=wait_seconds):
            held = Held(
                await self.load_state(key),
                lambda value, ttl: self.save_state(key, value, ttl),
            )
            yield held  # an exception here skips the write below
            if held.kept is not None:
                await self.save_state(key, *held.kept)

    # -- rate limits ----------------------------------------------------------------------
    async def hit(self, key: str, *, limit: int, window_seconds: int) -> bool:
        window = int(time.time() // window_seconds)
        name = f"rate:{key}:{window}"
        count = (self._get(name) or 0) + 1
        self._set(name, count, window_seconds)
        return count <= limit

    # -- values ---------------------------------------------------------------------------
    async def get_value(self, key: str) -> str | None:
        return self._get(f"value:{key}")

    async def set_value(
        self,
        key: str,
        value: str,
        ttl_seconds: float | None = None,
        *,
        only_if_absent: bool = False,
    ) -> bool:
        if only_if_absent and self._get(f"value:{key}") is not None:
            return False
        self._set(f"value:{key}", copy.copy(value), ttl_seconds)
        return True

    async def delete_value(self, key: str) -> None:
        self._data.pop(f"value:{key}", None)

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        self._data.clear()


def _claim_of(value: str) -> Claim:
    if value == _PENDING:
        return Claim(ClaimState.PENDING)
    return Claim(ClaimState.DONE, value)
