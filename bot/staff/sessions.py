"""Console sessions: server-side state in the Stores, an opaque random id in the cookie.

The store key is a hash of the id, so a dump of the store does not hand out live sessions.
A session starts anonymous (it carries the login form's CSRF token); a successful login ends
it and starts a new one under a new id, so an id planted before login is worth nothing.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import asdict, dataclass

from bot.stores import Stores

ANONYMOUS_TTL = 30 * 60


@dataclass(frozen=True, slots=True)
class StaffSession:
    id: str
    csrf: str
    user_id: int | None
    epoch: int
    created_at: float
    seen_at: float

    @property
    def signed_in(self) -> bool:
        return self.user_id is not None


class SessionStore:
    def __init__(
        self,
        stores: Stores,
        *,
        idle_seconds: int,
        max_age_seconds: int,
        clock=time.time,
    ) -> None:
        self._stores = stores
        self._idle = idle_seconds
        self._max_age = max_age_seconds
        self._clock = clock

    @staticmethod
    def _key(session_id: str) -> str:
        return "staff-session:" + hashlib.sha256(session_id.encode()).hexdigest()

    async def start(self, user_id: int | None = None, *, epoch: int = 0) -> StaffSession:
        now = self._clock()
        session = StaffSession(
            id=secrets.token_urlsafe(32),
            csrf=secrets.token_urlsafe(32),
            user_id=user_id,
            epoch=epoch,
            created_at=now,
            seen_at=now,
        )
        await self._save(session)
        return session

    async def load(self, session_id: str | None) -> StaffSession | None:
        if not session_id or len(session_id) > 128:
            return None
        raw = await self._stores.get_value(self._key(session_id))
        if raw is None:
            return None
        try:
            data = json.loads(raw)
            session = StaffSession(id=session_id, **{k: v for k, v in data.items() if k != "id"})
        except (ValueError, TypeError):
            await self.end(session_id)
            return None
        now = self._clock()
        if now - session.created_at > self._max_age or now - session.seen_at > self._idle:
            await self.end(session_id)
            return None
        if now - session.seen_at > 60:  # refresh the idle timer, at most once a minute
            session = StaffSession(**{**asdict(session), "seen_at": now})
            await self._save(session)
        return session

    async def rotate(self, old: StaffSession | None, user_id: int, epoch: int) -> StaffSession:
        """Sign in: the old id stops working, a new one (and a new CSRF token) is issued."""
        if old is not None:
            await self.end(old.id)
        return await self.start(user_id, epoch=epoch)

    async def end(self, session_id: str) -> None:
        await self._stores.delete_value(self._key(session_id))

    async def _save(self, session: StaffSession) -> None:
        data = asdict(session)
        data.pop("id")
        ttl = self._idle if session.signed_in else min(self._idle, ANONYMOUS_TTL)
        await self._stores.set_value(self._key(session.id), json.dumps(data), ttl)
