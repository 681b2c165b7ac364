"""Small in-process caches for public pages and dashboard figures.

Each web process keeps its own copy. Concurrent misses of one key share a single computation,
so a burst of visitors after expiry runs each query once, not once per visitor.

`TTLCache` alone lets two keys disagree for up to `ttl` seconds: a page cached just before a
slip was closed still shows it open while a page first asked for afterwards shows it closed.
`WatermarkCache` puts one generation in front of every key: a cheap watermark of the data (for
the public pages, the newest slip events: see bot/stats/watermark.py) read at most every
`check_every` seconds and shared by all requests; when it moves, every entry is dropped
together, so all pages move to the new state within about `check_every` seconds of each other.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

log = logging.getLogger(__name__)


class TTLCache:
    def __init__(self, ttl: float, *, max_entries: int = 512,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.clock = clock
        self._items: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._pending: dict[Hashable, asyncio.Future[Any]] = {}

    async def get(self, key: Hashable, compute: Callable[[], Awaitable[Any]]) -> Any:
        now = self.clock()
        hit = self._items.get(key)
        if hit is not None and hit[0] > now:
            self._items.move_to_end(key)
            return hit[1]
        pending = self._pending.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            value = await compute()
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning if nobody waits
            raise
        finally:
            self._pending.pop(key, None)
        future.set_result(value)
        self._items[key] = (self.clock() + self.ttl, value)
        self._items.move_to_end(key)
        while len(self._items) > self.max_entries:
            self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        self._items.clear()


_UNKNOWN = object()


class WatermarkCache:
    """A TTLCache whose entries all belong to one generation of the data.

    Why a watermark read from the database rather than a version bumped by the writers: slips
    change in every kind of process (web, worker, CLI), and all of them write to the database,
    while not all of them hold the shared store. Why read at most every `check_every` seconds:
    the public pages take the load of the public; one tiny indexed query a second per process
    keeps them cheap, and a visitor cannot tell a second.

    If the watermark cannot be read, the last one known is kept (and tried again after
    `check_every`): the cached pages stay up while the database is away.
    """

    def __init__(
        self,
        ttl: float,
        watermark: Callable[[], Awaitable[Hashable]],
        *,
        check_every: float = 1.0,
        max_entries: int = 512,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.check_every = check_every
        self.clock = clock
        self._entries = TTLCache(ttl, max_entries=max_entries, clock=clock)
        self._watermark = watermark
        self._mark: Any = _UNKNOWN
        self._checked_at = -math.inf
        self._checking: asyncio.Task[Any] | None = None

    async def get(self, key: Hashable, compute: Callable[[], Awaitable[Any]]) -> Any:
        mark = await self.current()
        return await self._entries.get((mark, key), compute)

    async def current(self) -> Any:
        """The data's generation, read again when the last reading is `check_every` old."""
        if self._mark is not _UNKNOWN and self.clock() - self._checked_at < self.check_every:
            return self._mark
        if self._checking is None:
            # one reading for every request that arrives while it runs; a request that gives
            # up (cancelled) does not cancel it for the others
            self._checking = asyncio.ensure_future(self._check())
        return await asyncio.shield(self._checking)

    async def _check(self) -> Any:
        try:
            try:
                mark = await self._watermark()
            except Exception:
                if self._mark is _UNKNOWN:
                    raise
                log.warning("public cache: could not read the watermark; keeping the last one",
                            exc_info=True)
                mark = self._mark
            if mark != self._mark:
                self._entries.clear()
                self._mark = mark
            self._checked_at = self.clock()
            return mark
        finally:
            self._checking = None

    def clear(self) -> None:
        self._entries.clear()
