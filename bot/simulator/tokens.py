"""access_token issuing and checking with WeChat's overlap rules."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

GRACE = 300.0  # a superseded token keeps working this long ("新老 access_token 5 分钟内都可用")
FORCE_REFRESH_GAP = 30.0  # stable_token force_refresh within 30 s does not refresh
FORCE_REFRESH_PER_DAY = 20


@dataclass
class IssuedToken:
    value: str
    kind: str  # "token" (getAccessToken) or "stable" (getStableAccessToken)
    issued_at: float
    expires_at: float
    superseded_until: float | None = None


class TokenBook:
    """Both token families. They are isolated: fetching one never touches the other."""

    def __init__(self, ttl: int, clock: Callable[[], float] = time.time) -> None:
        self.ttl = ttl
        self._clock = clock
        self.tokens: dict[str, IssuedToken] = {}
        self._current: dict[str, str] = {}
        self._force_day = ""
        self._force_count = 0
        self._last_force: float | None = None

    def _new(self, kind: str, grace: float) -> IssuedToken:
        now = self._clock()
        # a token cut off before its expiry answers 40001 like an unknown one: forget it
        for value in [
            t.value
            for t in self.tokens.values()
            if t.superseded_until is not None and t.superseded_until < min(now, t.expires_at)
        ]:
            del self.tokens[value]
        for token in self.tokens.values():
            if token.kind == kind and token.superseded_until is None:
                # the latest one keeps `grace` seconds, any older one was already cut off
                latest = token.value == self._current.get(kind)
                token.superseded_until = now + grace if latest else now
            elif token.kind == kind and token.superseded_until is not None:
                token.superseded_until = min(token.superseded_until, now)
        token = IssuedToken(secrets.token_urlsafe(96), kind, now, now + self.ttl)
        self.tokens[token.value] = token
        self._current[kind] = token.value
        return token

    def _expires_in(self, token: IssuedToken) -> int:
        return max(0, round(token.expires_at - self._clock()))

    def issue(self) -> tuple[str, int]:
        """GET /cgi-bin/token: always a new token; the previous one works 5 more minutes."""
        token = self._new("token", GRACE)
        return token.value, self._expires_in(token)

    def stable(self, force_refresh: bool = False) -> tuple[str, int] | int:
        """POST /cgi-bin/stable_token; returns (token, expires_in) or an errcode.

        Normal mode returns the current token while more than 5 minutes remain (so it is
        renewed 5 minutes before expiry and old and new overlap). force_refresh revokes the
        previous token at once; it is ignored within 30 s of the last one and limited to 20
        a day (45009).
        """
        now = self._clock()
        current = self.tokens.get(self._current.get("stable", ""))
        if force_refresh and not (self._last_force and now - self._last_force < FORCE_REFRESH_GAP):
            day = time.strftime("%Y%m%d", time.gmtime(now + 8 * 3600))
            if day != self._force_day:
                self._force_day, self._force_count = day, 0
            if self._force_count >= FORCE_REFRESH_PER_DAY:
                return 45009
            self._force_count += 1
            self._last_force = now
            token = self._new("stable", 0.0)
            return token.value, self._expires_in(token)
        if (
            current is None
            or current.superseded_until is not None
            or current.expires_at - now <= GRACE
        ):
            # the old one simply runs out at its own expiry
            keep = current.expires_at - now if current else 0.0
            token = self._new("stable", max(0.0, keep))
            return token.value, self._expires_in(token)
        return current.value, self._expires_in(current)

    def check(self, value: str | None) -> int:
        """0 if the token may be used now, else WeChat's errcode for it."""
        if not value:
            return 41001
        token = self.tokens.get(value)
        if token is None:
            return 40001
        now = self._clock()
        cut = token.superseded_until
        if now >= token.expires_at and (cut is None or token.expires_at <= cut):
            return 42001
        if cut is not None and now >= cut:
            return 40001
        return 0
