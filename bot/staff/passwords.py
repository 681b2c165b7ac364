"""Password hashing with argon2id (argon2-cffi), off the event loop."""

from __future__ import annotations

import asyncio
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from bot.staff.errors import StaffInputError

MIN_LENGTH = 8
MAX_LENGTH = 128


class Passwords:
    """Hashes and checks passwords. Each call takes tens of milliseconds by design, so it runs
    in a worker thread and the event loop keeps serving."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()
        self._dummy: str | None = None

    async def hash(self, password: str) -> str:
        check_strength(password)
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, stored: str | None, password: str) -> tuple[bool, bool]:
        """(matches, needs_rehash). With `stored=None` (unknown user) a dummy hash is checked
        so that the answer takes as long as for a real account."""
        if stored is None:
            if self._dummy is None:
                self._dummy = await asyncio.to_thread(self._hasher.hash, secrets.token_hex(16))
            stored = self._dummy
            password = password + "\x00unknown"
        try:
            await asyncio.to_thread(self._hasher.verify, stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False, False
        return True, self._hasher.check_needs_rehash(stored)


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise StaffInputError("password", f"密码至少需要 {MIN_LENGTH} 个字符")
    if len(password) > MAX_LENGTH:
        raise StaffInputError("password", f"密码不能超过 {MAX_LENGTH} 个字符")
    if password.strip() != password or not password.isprintable():
        raise StaffInputError("password", "密码不能以空格开头或结尾，也不能含控制字符")


def generate_password() -> str:
    """A random password for a new account (shown once)."""
    return secrets.token_urlsafe(12)
