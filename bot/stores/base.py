"""The store interface the rest of the core codes against."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol


class ClaimState(StrEnum):
    NEW = "new"  # nobody has seen this key: the caller now owns it
    PENDING = "pending"  # another request is processing it right now
    DONE = "done"  # processed; `reply` holds the answer that was given


@dataclass(frozen=True, slots=True)
class Claim:
    state: ClaimState
    reply: str | None = None


class LockTimeout(Exception):
    """A lock could not be taken in time."""


class StateSuperseded(Exception):
    """A held state was written by someone else after it was read, so the holder's write was
    refused: its lock lapsed while its process stood still (a stall longer than the lock's
    lease: a frozen VM, swap, an event loop blocked) and another process took the lock and
    moved the conversation on. Writing anyway would put that newer state back to an older
    one."""


Saver = Callable[[dict[str, Any], float], Awaitable[None]]


class Held:
    """A state held under its lock (Stores.hold): what was stored when the lock was taken,
    and what the holder `keep`s, written as the lock is released (after a clean exit only).
    `save` writes at once and keeps the lock. Either write raises StateSuperseded when the
    stored state changed since it was read (the lock lapsed and another holder wrote)."""

    __slots__ = ("state", "kept", "_saver")

    def __init__(self, state: dict[str, Any] | None, saver: Saver | None = None) -> None:
        self.state = state
        self.kept: tuple[dict[str, Any], float] | None = None
        self._saver = saver

    def keep(self, value: dict[str, Any], ttl_seconds: float) -> None:
        self.kept = (value, ttl_seconds)

    async def save(self, value: dict[str, Any], ttl_seconds: float) -> None:
        if self._saver is None:
            raise RuntimeError("this held state cannot be written before its release")
        await self._saver(value, ttl_seconds)


class Stores(Protocol):
    """Shared, expiring state. Keys are plain strings; the store adds its own prefix."""

    # Conversation state (JSON-serialisable mappings).
    async def load_state(self, key: str) -> dict[str, Any] | None: ...
    async def save_state(self, key: str, value: dict[str, Any], ttl_seconds: float) -> None: ...
    async def drop_state(self, key: str) -> None: ...

    # Dedupe with reply cache. `claim` takes a short lease; the owner renews it with `renew`
    # while it works, so a dead owner's lease lapses and a WeChat retry can take over.
    async def claim(self, key: str, lease_seconds: float) -> Claim: ...
    async def renew(self, key: str, lease_seconds: float) -> None: ...
    async def finish(self, key: str, reply: str, ttl_seconds: float) -> None: ...
    async def abandon(self, key: str) -> None: ...
    async def peek(self, key: str) -> Claim: ...

    # Mutual exclusion across processes.
    def lock(
        self, key: str, *, ttl_seconds: float = 30.0, wait_seconds: float = 10.0
    ) -> AbstractAsyncContextManager[None]: ...

    # lock(key) and the state at `key` in one: read with the lock, written with the release
    # (a conversation turn: two round trips fewer than lock + load_state + save_state). The
    # write is refused (StateSuperseded) if the state changed since the read: a holder whose
    # lock lapsed cannot overwrite what the next holder wrote.
    def hold(
        self, key: str, *, ttl_seconds: float = 30.0, wait_seconds: float = 10.0
    ) -> AbstractAsyncContextManager[Held]: ...

    # Fixed-window rate limit: True while the caller is within `limit` hits per window.
    async def hit(self, key: str, *, limit: int, window_seconds: int) -> bool: ...

    # Small shared values (tokens, flags).
    async def get_value(self, key: str) -> str | None: ...
    async def set_value(
        self,
        key: str,
        value: str,
        ttl_seconds: float | None = None,
        *,
        only_if_absent: bool = False,
    ) -> bool: ...
    async def delete_value(self, key: str) -> None: ...

    async def ping(self) -> bool: ...
    async def close(self) -> None: ...
