"""The access token, shared by every process through the stores.

WeChat invalidates the previous token (after a 5-minute overlap) each time a new one is
fetched, so processes that refresh on their own knock each other out. Here the token lives in
the stores (Redis in production) with a TTL a little shorter than its life; a process that
finds none, or is told by WeChat that its token is stale, refreshes under a lock and first
checks whether another process already did.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bot.delivery.errors import WeChatError, WeChatUnavailable
from bot.stores import LockTimeout, Stores

log = logging.getLogger(__name__)

# Keep a token no longer than its life minus this margin (WeChat's own overlap is 5 min).
EXPIRY_MARGIN = 300.0
MIN_TTL = 30.0
# A process reuses the token it last read this long without asking the stores (well inside
# the 5 minutes a replaced token keeps working), so a send makes no extra round trip.
LOCAL_SECONDS = 30.0

Fetch = Callable[[str, str, str, dict[str, Any] | None, dict[str, Any] | None],
                 Awaitable[dict[str, Any]]]


class TokenManager:
    """`get()` a valid token; `refresh(stale)` when WeChat rejected `stale`."""

    def __init__(
        self,
        fetch: Fetch,
        stores: Stores,
        *,
        appid: str,
        secret: str,
        source: str = "token",
        lock_wait: float = 15.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._fetch = fetch
        self._stores = stores
        self._appid = appid
        self._secret = secret
        self._source = source
        self._lock_wait = lock_wait
        self._clock = clock
        self.fetches = 0  # tokens this process fetched from WeChat (for tests and metrics)
        self._local: tuple[str, float] | None = None

    @property
    def _key(self) -> str:
        return f"wechat:access_token:{self._source}:{self._appid}"

    async def _stored(self) -> str | None:
        raw = await self._stores.get_value(self._key)
        if not raw:
            return None
        try:
            value = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(value, dict) or value.get("expires_at", 0) <= self._clock():
            return None
        token = value.get("token")
        return token if isinstance(token, str) and token else None

    async def get(self) -> str:
        now = self._clock()
        if self._local is not None and now < self._local[1]:
            return self._local[0]
        token = await self._stored() or await self.refresh(None)
        self._local = (token, now + LOCAL_SECONDS)
        return token

    async def refresh(self, stale: str | None) -> str:
        """A fresh token. `stale` is the one WeChat refused (None: there was none); if another
        process has replaced it meanwhile, that replacement is used without a fetch."""
        self._local = None
        try:
            async with self._stores.lock(
                f"wechat:token_refresh:{self._appid}", ttl_seconds=60, wait_seconds=self._lock_wait
            ):
                current = await self._stored()
                if current is not None and current != stale:
                    return current
                token, expires_in = await self._fetch_new(stale)
                ttl = max(MIN_TTL, expires_in - EXPIRY_MARGIN)
                payload = {"token": token, "expires_at": self._clock() + ttl}
                await self._stores.set_value(self._key, json.dumps(payload), ttl_seconds=ttl)
                return token
        except LockTimeout:
            current = await self._stored()
            if current is not None and current != stale:
                return current
            raise WeChatUnavailable(
                "token", "another process holds the token refresh lock", maybe_delivered=False
            ) from None

    async def _fetch_new(self, stale: str | None) -> tuple[str, int]:
        self.fetches += 1
        if self._source == "stable_token":
            body = {"grant_type": "client_credential", "appid": self._appid,
                    "secret": self._secret}
            data = await self._fetch("stable_token", "POST", "/cgi-bin/stable_token", None, body)
            if data.get("access_token") == stale and stale is not None:
                # the platform still hands out the token it just refused: force a new one
                data = await self._fetch(
                    "stable_token", "POST", "/cgi-bin/stable_token", None,
                    {**body, "force_refresh": True},
                )
        else:
            params = {"grant_type": "client_credential", "appid": self._appid,
                      "secret": self._secret}
            data = await self._fetch("token", "GET", "/cgi-bin/token", params, None)
        token = data.get("access_token")
        if not isinstance(token, str) or not token:
            raise WeChatError("token", int(data.get("errcode") or -1),
                              str(data.get("errmsg") or "no access_token in the answer"))
        try:
            expires_in = int(data.get("expires_in") or 7200)
        except (TypeError, ValueError):
            expires_in = 7200
        log.info("fetched a new WeChat access token (%s, %d s)", self._source, expires_in)
        return token, expires_in
