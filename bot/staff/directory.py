"""The staff directory: accounts, passwords and API tokens over the database."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot.staff.errors import StaffInputError
from bot.staff.models import ApiToken, StaffUser
from bot.staff.passwords import Passwords
from bot.staff.roles import Role, TokenScope
from bot.staff.views import ApiTokenInfo, StaffMember
from bot.storage.db import Database
from bot.storage.types import row_id, utcnow

USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,31}$")
TOKEN_PREFIX = "mny_"


def normalize_username(username: str) -> str:
    return username.strip().lower()


def _member(row: StaffUser) -> StaffMember:
    return StaffMember(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=row.role,
        department=row.department,
        active=row.active,
        created_at=row.created_at,
        last_login_at=row.last_login_at,
        session_epoch=row.session_epoch,
    )


def _token_info(row: ApiToken, username: str) -> ApiTokenInfo:
    return ApiTokenInfo(
        id=row.id,
        user_id=row.user_id,
        username=username,
        name=row.name,
        scope=row.scope,
        prefix=row.prefix,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


def hash_token(token: str) -> str:
    """API tokens are 256-bit random strings: a plain SHA-256 is enough to keep them safe at
    rest, and lets a request find its token with one indexed lookup."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class StaffDirectory:
    """Creates, finds and changes staff accounts. `departments` (code → name) restricts the
    department codes accepted; None accepts any well-formed code."""

    def __init__(
        self,
        db: Database,
        *,
        passwords: Passwords | None = None,
        departments: Mapping[str, str] | None = None,
    ) -> None:
        self._db = db
        self.passwords = passwords or Passwords()
        self.departments = departments

    # -- validation ---------------------------------------------------------------------------
    def _check(
        self, username: str | None, display_name: str, role: str, department: str | None
    ) -> str | None:
        if username is not None and not USERNAME.match(username):
            raise StaffInputError(
                "username", "用户名为 2–32 位小写字母、数字、点、下划线或连字符，以字母或数字开头"
            )
        if not display_name.strip() or len(display_name) > 64:
            raise StaffInputError("display_name", "请填写姓名（不超过 64 个字）")
        if not display_name.isprintable():
            raise StaffInputError("display_name", "姓名不能含控制字符")
        if role not in Role.__members__.values():
            raise StaffInputError("role", "请选择角色")
        department = (department or "").strip() or None
        if role == Role.HANDLER and not department:
            raise StaffInputError("department", "承办人必须属于一个部门")
        if department is not None:
            if self.departments is not None and department not in self.departments:
                raise StaffInputError("department", "没有这个部门代码")
            if not re.fullmatch(r"[A-Za-z0-9-]{1,32}", department):
                raise StaffInputError("department", "部门代码格式不对")
        return department

    # -- accounts -----------------------------------------------------------------------------
    async def create_user(
        self,
        username: str,
        *,
        password: str,
        role: str,
        display_name: str | None = None,
        department: str | None = None,
    ) -> StaffMember:
        username = normalize_username(username)
        display_name = (display_name or username).strip()
        department = self._check(username, display_name, role, department)
        password_hash = await self.passwords.hash(password)
        now = utcnow()
        row = StaffUser(
            username=username,
            display_name=display_name,
            role=role,
            department=department,
            password_hash=password_hash,
            active=True,
            session_epoch=0,
            created_at=now,
        )
        try:
            async with self._db.session() as session:
                session.add(row)
                await session.flush()
        except IntegrityError:
            raise StaffInputError("username", "这个用户名已经有人用了") from None
        return _member(row)

    async def ensure_user(
        self,
        username: str,
        *,
        password: str,
        role: str,
        display_name: str | None = None,
        department: str | None = None,
    ) -> tuple[StaffMember, bool]:
        """The account, created when missing (the demo's seed). (member, created)."""
        existing = await self.by_username(username)
        if existing is not None:
            return existing, False
        try:
            member = await self.create_user(
                username,
                password=password,
                role=role,
                display_name=display_name,
                department=department,
            )
        except StaffInputError as exc:
            if exc.field != "username":
                raise
            found = await self.by_username(username)
            if found is None:
                raise
            return found, False
        return member, True

    async def get(self, user_id: int) -> StaffMember | None:
        if row_id(user_id) is None:  # past the id column: PostgreSQL would refuse to compare
            return None
        async with self._db.session() as session:
            row = await session.get(StaffUser, user_id)
            return None if row is None else _member(row)

    async def by_username(self, username: str) -> StaffMember | None:
        name = normalize_username(username)
        if not USERNAME.match(name):  # no account has it (and NUL would fail on PostgreSQL)
            return None
        async with self._db.session() as session:
            row = (
                await session.execute(select(StaffUser).where(StaffUser.username == name))
            ).scalar_one_or_none()
            return None if row is None else _member(row)

    async def list_users(self) -> list[StaffMember]:
        async with self._db.session() as session:
            rows = await session.execute(
                select(StaffUser).order_by(StaffUser.role, StaffUser.username)
            )
            return [_member(r) for r in rows.scalars()]

    async def authenticate(self, username: str, password: str) -> StaffMember | None:
        """The member when the password is right and the account active; records the login."""
        name = normalize_username(username)
        row = None
        if USERNAME.match(name):  # else no account has it: verify against nothing, same time
            async with self._db.session() as session:
                row = (
                    await session.execute(select(StaffUser).where(StaffUser.username == name))
                ).scalar_one_or_none()
        stored = row.password_hash if row is not None else None
        ok, rehash = await self.passwords.verify(stored, password[:256])
        if not ok or row is None or not row.active:
            return None
        values: dict[str, object] = {"last_login_at": utcnow()}
        if rehash:
            values["password_hash"] = await self.passwords.hash(password)
        async with self._db.session() as session:
            await session.execute(update(StaffUser).where(StaffUser.id == row.id).values(**values))
            row = await session.get(StaffUser, row.id)
            return None if row is None else _member(row)

    async def check_password(self, user_id: int, password: str) -> bool:
        """Is this the account's password? (Re-confirming before a sensitive change.)"""
        async with self._db.session() as session:
            row = await session.get(StaffUser, user_id)
            stored = row.password_hash if row is not None else None
        ok, _ = await self.passwords.verify(stored, password[:256])
        return ok and row is not None

    async def update_user(
        self,
        user_id: int,
        *,
        display_name: str,
        role: str,
        department: str | None,
        active: bool,
    ) -> StaffMember:
        department = self._check(None, display_name.strip(), role, department)
        if row_id(user_id) is None:
            raise StaffInputError("user", "没有这个用户")
        async with self._db.session() as session:
            row = await session.get(StaffUser, user_id)
            if row is None:
                raise StaffInputError("user", "没有这个用户")
            if row.active and not active or row.role != role or row.department != department:
                row.session_epoch += 1  # what they may see changed: sign them in again
            row.display_name = display_name.strip()
            row.role = role
            row.department = department
            row.active = active
            await session.flush()
            return _member(row)

    async def set_password(self, user_id: int, password: str) -> None:
        """A new password; every session of the account ends."""
        if row_id(user_id) is None:
            raise StaffInputError("user", "没有这个用户")
        password_hash = await self.passwords.hash(password)
        async with self._db.session() as session:
            row = await session.get(StaffUser, user_id)
            if row is None:
                raise StaffInputError("user", "没有这个用户")
            row.password_hash = password_hash
            row.session_epoch += 1

    # -- API tokens ---------------------------------------------------------------------------
    async def create_token(
        self, user_id: int, *, name: str, scope: str
    ) -> tuple[ApiTokenInfo, str]:
        """A new token; the plain value is returned once and never stored."""
        name = name.strip()
        if not name or len(name) > 64 or not name.isprintable():
            raise StaffInputError("name", "请给令牌起个名字（不超过 64 个字），说明给哪个系统用")
        if scope not in TokenScope.__members__.values():
            raise StaffInputError("scope", "请选择权限范围")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        async with self._db.session() as session:
            user = await session.get(StaffUser, user_id)
            if user is None or not user.active:
                raise StaffInputError("user", "没有这个用户，或已停用")
            row = ApiToken(
                user_id=user_id,
                name=name,
                scope=scope,
                token_hash=hash_token(token),
                prefix=token[: len(TOKEN_PREFIX) + 6],
                created_at=utcnow(),
            )
            session.add(row)
            await session.flush()
            return _token_info(row, user.username), token

    async def verify_token(self, token: str) -> tuple[StaffMember, ApiTokenInfo] | None:
        """The token's owner and the token, when the token is live and the owner active."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
            return None
        async with self._db.session() as session:
            found = (
                await session.execute(
                    select(ApiToken, StaffUser)
                    .join(StaffUser, StaffUser.id == ApiToken.user_id)
                    .where(ApiToken.token_hash == hash_token(token))
                )
            ).one_or_none()
            if found is None:
                return None
            row, user = found
            if row.revoked_at is not None or not user.active:
                return None
            now = utcnow()
            if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
                row.last_used_at = now
            return _member(user), _token_info(row, user.username)

    async def list_tokens(self) -> list[ApiTokenInfo]:
        async with self._db.session() as session:
            rows = await session.execute(
                select(ApiToken, StaffUser.username)
                .join(StaffUser, StaffUser.id == ApiToken.user_id)
                .order_by(ApiToken.id.desc())
            )
            return [_token_info(row, username) for row, username in rows.all()]

    async def revoke_token(self, token_id: int, *, at: datetime | None = None) -> None:
        if row_id(token_id) is None:
            raise StaffInputError("token", "没有这个令牌")
        async with self._db.session() as session:
            row = await session.get(ApiToken, token_id)
            if row is None:
                raise StaffInputError("token", "没有这个令牌")
            if row.revoked_at is None:
                row.revoked_at = at or utcnow()
