"""Login throttling: failed attempts counted per username and per client address.

Over the limit within the window, the username (or address) is locked for a whole window;
while locked, passwords are not even checked, so guessing goes nowhere.
"""

from __future__ import annotations

import hashlib

from bot.staff.errors import LoginRefused
from bot.stores import Stores


def _k(kind: str, value: str) -> str:
    return f"login:{kind}:" + hashlib.sha256(value.encode("utf-8")).hexdigest()[:32]


class LoginThrottle:
    def __init__(self, stores: Stores, *, per_user: int, per_ip: int, window_seconds: int) -> None:
        self._stores = stores
        self._per_user = per_user
        self._per_ip = per_ip
        self._window = window_seconds

    @property
    def lockout_message(self) -> str:
        minutes = max(1, self._window // 60)
        return f"登录失败次数过多，已暂时锁定。请 {minutes} 分钟后再试，或联系管理员。"

    async def check(self, username: str, ip: str) -> None:
        """Raise LoginRefused while the username or the address is locked."""
        for kind, value in (("user", username), ("ip", ip)):
            if await self._stores.get_value(_k(f"lock-{kind}", value)) is not None:
                raise LoginRefused(self.lockout_message, locked=True)

    async def failed(self, username: str, ip: str) -> bool:
        """Count a failed attempt. True when this attempt tipped a lock."""
        locked = False
        for kind, value, limit in (("user", username, self._per_user), ("ip", ip, self._per_ip)):
            # the limit-th failure locks
            within = await self._stores.hit(
                _k(kind, value), limit=limit - 1, window_seconds=self._window
            )
            if not within:
                await self._stores.set_value(_k(f"lock-{kind}", value), "1", self._window)
                locked = True
        return locked
