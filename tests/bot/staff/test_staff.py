"""Staff accounts, tokens, sessions and login throttling, on both backends."""

from __future__ import annotations

import asyncio
import io
import sys
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from bot.cli import main as minyi
from bot.config import Settings
from bot.staff import LoginRefused, LoginThrottle, SessionStore, StaffDirectory, StaffInputError
from bot.staff.demo import seed_demo_staff
from bot.staff.passwords import Passwords
from bot.storage import Database
from bot.stores import open_stores
from tests.conftest import make_settings

FAST = Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
DEPARTMENTS = {"D-CGJ": "区城市管理局", "D-STHJ": "区生态环境局", "D-MYZX": "区民意交办中心"}


@pytest.fixture
async def directory(backend_settings: Settings):
    db = Database.open(backend_settings.database.url)
    await db.upgrade()
    yield StaffDirectory(db, passwords=FAST, departments=DEPARTMENTS)
    await db.close()


@pytest.fixture
async def stores(backend_settings: Settings):
    stores = open_stores(backend_settings.redis.url, backend_settings.redis.prefix)
    yield stores
    await stores.close()


async def test_accounts_and_passwords(directory: StaffDirectory) -> None:
    member = await directory.create_user(
        "Li.Ke", password="long-enough-1", role="handler", department="D-CGJ", display_name="李科"
    )
    assert member.username == "li.ke" and member.role_label == "承办人"
    with pytest.raises(StaffInputError) as dup:
        await directory.create_user("LI.KE", password="long-enough-1", role="dispatcher")
    assert dup.value.field == "username"
    assert await directory.authenticate("li.ke", "wrong-password") is None
    signed = await directory.authenticate(" LI.KE ", "long-enough-1")
    assert signed is not None and signed.last_login_at is not None
    await directory.set_password(member.id, "another-one-2")
    assert (await directory.get(member.id)).session_epoch == member.session_epoch + 1
    assert await directory.authenticate("li.ke", "long-enough-1") is None
    await directory.update_user(
        member.id, display_name="李科", role="handler", department="D-CGJ", active=False
    )
    assert await directory.authenticate("li.ke", "another-one-2") is None


async def test_passwords_are_argon2id_and_old_parameters_are_upgraded(
    directory: StaffDirectory,
) -> None:
    member = await directory.create_user("wang", password="long-enough-1", role="admin")
    strong = StaffDirectory(directory._db, passwords=Passwords())  # production parameters
    stored = await _hash_of(directory, member.id)
    assert stored.startswith("$argon2id$") and "long-enough-1" not in stored
    assert await strong.authenticate("wang", "long-enough-1") is not None
    upgraded = await _hash_of(directory, member.id)
    assert upgraded != stored and "m=65536" in upgraded


async def _hash_of(directory: StaffDirectory, user_id: int) -> str:
    from bot.staff.models import StaffUser

    async with directory._db.session() as session:
        return (await session.get(StaffUser, user_id)).password_hash


async def test_tokens_are_hashed_scoped_and_revocable(directory: StaffDirectory) -> None:
    member = await directory.create_user("svc", password="long-enough-1", role="dispatcher")
    info, token = await directory.create_token(member.id, name="热线", scope="read")
    assert token.startswith("mny_") and info.prefix == token[:10]
    found = await directory.verify_token(token)
    assert found is not None and found[0].username == "svc" and found[1].scope == "read"
    assert await directory.verify_token(token + "x") is None
    assert await directory.verify_token("mny_" + "A" * 43) is None
    from bot.staff.models import ApiToken

    async with directory._db.session() as session:
        row = await session.get(ApiToken, info.id)
        assert token not in row.token_hash
    with pytest.raises(StaffInputError):
        await directory.create_token(member.id, name="x", scope="root")
    await directory.revoke_token(info.id)
    assert await directory.verify_token(token) is None


async def test_field_rules(directory: StaffDirectory) -> None:
    cases = [
        ({"username": "a", "role": "admin"}, "username"),
        ({"username": "ok-name", "role": "boss"}, "role"),
        ({"username": "ok-name", "role": "handler"}, "department"),
        ({"username": "ok-name", "role": "handler", "department": "D-NONE"}, "department"),
        ({"username": "ok-name", "role": "admin", "password": "short"}, "password"),
        ({"username": "ok-name", "role": "admin", "password": " spaced-out "}, "password"),
    ]
    for values, field in cases:
        values = {"password": "long-enough-1", **values}
        with pytest.raises(StaffInputError) as exc:
            await directory.create_user(values.pop("username"), **values)
        assert exc.value.field == field, values


async def test_sessions_expire_rotate_and_survive_garbage(stores) -> None:
    now = [1000.0]
    sessions = SessionStore(stores, idle_seconds=600, max_age_seconds=3600, clock=lambda: now[0])
    anonymous = await sessions.start()
    assert not anonymous.signed_in and len(anonymous.id) >= 40 and anonymous.csrf
    signed = await sessions.rotate(anonymous, user_id=7, epoch=2)
    assert signed.id != anonymous.id and signed.csrf != anonymous.csrf
    assert await sessions.load(anonymous.id) is None
    now[0] += 500
    assert (await sessions.load(signed.id)).user_id == 7  # refreshes the idle timer
    now[0] += 500
    assert await sessions.load(signed.id) is not None  # 500 s since the refresh
    now[0] += 601
    assert await sessions.load(signed.id) is None  # idle too long
    keep = await sessions.start(7)
    for _ in range(8):  # active all the time, but the maximum age still ends it
        now[0] += 500
        await sessions.load(keep.id)
    assert await sessions.load(keep.id) is None
    assert await sessions.load("x" * 500) is None and await sessions.load(None) is None


async def test_throttle_locks_per_user_and_per_address(stores) -> None:
    throttle = LoginThrottle(stores, per_user=3, per_ip=5, window_seconds=60)
    await throttle.check("wang", "10.0.0.1")
    assert not await throttle.failed("wang", "10.0.0.1")
    assert not await throttle.failed("wang", "10.0.0.1")
    assert await throttle.failed("wang", "10.0.0.1")  # the third failure locks
    with pytest.raises(LoginRefused) as refused:
        await throttle.check("wang", "10.0.0.2")
    assert refused.value.locked and "1 分钟" in refused.value.message
    await throttle.check("li", "10.0.0.3")
    for name in ("a", "b", "c", "d"):
        assert not await throttle.failed(name, "10.0.0.9")
    assert await throttle.failed("e", "10.0.0.9")
    with pytest.raises(LoginRefused):
        await throttle.check("somebody-else", "10.0.0.9")


async def test_demo_staff_are_seeded_once(directory: StaffDirectory) -> None:
    settings = make_settings()
    first = await seed_demo_staff(directory, settings)
    second = await seed_demo_staff(directory, settings)
    assert first == second and len(first) == 4
    users = {m.username: m for m in await directory.list_users()}
    assert users[settings.demo.admin_user].role == "admin"
    assert users["chengguan"].department == "D-CGJ"
    assert await directory.authenticate("paidan", settings.demo.admin_password) is not None


def test_user_add_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("MINYI_DATABASE_URL", url)
    assert minyi(["db", "upgrade"]) == 0
    assert minyi(["user", "add", "zhao", "--role", "handler", "--department", "D-CGJ"]) == 0
    out = capsys.readouterr().out
    password = out.split("password: ")[1].strip()
    assert len(password) >= 12
    monkeypatch.setattr(sys, "stdin", io.StringIO("typed-password-9\n"))
    assert minyi(["user", "add", "qian", "--role", "supervisor", "--password-stdin"]) == 0
    assert "password:" not in capsys.readouterr().out
    assert minyi(["user", "add", "sun", "--role", "handler"]) == 2
    assert "承办人必须属于一个部门" in capsys.readouterr().err

    async def check() -> None:
        db = Database.open(url)
        directory = StaffDirectory(db)
        assert await directory.authenticate("zhao", password) is not None
        assert await directory.authenticate("qian", "typed-password-9") is not None
        await db.close()

    asyncio.run(check())
