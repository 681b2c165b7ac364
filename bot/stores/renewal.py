"""Renewing a lease while its holder works, without a task per holder.

Most holders (a conversation lock, the claim on a WeChat message) finish well inside a third
of their lease, so a timer that starts a renewal task only when one is due costs a fraction
of a sleeping task per holder (create, cancel, await on every message: 3 % of the webhook's
CPU before).

`stop` is a flag, not a cancellation: redis-py can swallow a cancellation that arrives inside
a command (276 of 300 cancels landing in a renewal were lost in a probe), and a renewer that
missed its cancel renewed a lock forever while its holder waited for it to end (residents
answered "busy" for good; found by tests/faults during a PostgreSQL restart). A renewal
already under way when the holder stops finishes and never schedules another.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class Renewal:
    """Calls `renew` every `every` seconds until `stop`, or until `renew` returns False (the
    lease is no longer ours). A renewal that raises is logged and tried again next time."""

    def __init__(self, every: float, renew: Callable[[], Awaitable[bool]], what: str) -> None:
        self._every = every
        self._renew = renew
        self._what = what
        self._loop = asyncio.get_running_loop()
        self._stopped = False
        self._task: asyncio.Task[None] | None = None
        self._timer = self._loop.call_later(every, self._due)

    def _due(self) -> None:
        if not self._stopped:
            self._task = self._loop.create_task(self._once())

    async def _once(self) -> None:
        try:
            again = await self._renew()
        except Exception:  # noqa: BLE001 - the store may be back in a moment: try again
            log.warning("could not renew %s", self._what, exc_info=True)
            again = True
        if again and not self._stopped:
            self._timer = self._loop.call_later(self._every, self._due)

    def stop(self) -> None:
        self._stopped = True
        self._timer.cancel()
