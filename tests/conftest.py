"""Shared fixtures: real PostgreSQL and Redis (started by the test command), SQLite files,
settings, and a signed-request helper for the webhook.

Environment: MINYI_TEST_PG (default postgresql://postgres@127.0.0.1:5432/test) and
MINYI_TEST_REDIS (default redis://127.0.0.1:6379/15) point the suite elsewhere.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from redis import Redis

from bot.config import Settings, load_settings

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
FIXTURES = SHARED / "fixtures" / "wechat"

PG_ADMIN = os.environ.get("MINYI_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("MINYI_TEST_REDIS", "redis://127.0.0.1:6379/15")

TOKEN = "minyitesttoken"
APPID = "wx1234567890abcdef"
SECRET = "minyi-test-secret"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def fixture_path(name: str) -> Path:
    path = FIXTURES / name
    if not path.exists():
        pytest.skip(f"WeChat fixture {path} not present (../shared missing?)")
    return path


# -- PostgreSQL --------------------------------------------------------------------------------
async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _async_url(dbname: str) -> str:
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"{base}/{dbname}"


@dataclass
class PgDatabases:
    """Creates throwaway databases on the real server; drops them at the end of the run."""

    names: list[str]

    def create(self) -> str:
        name = f"minyi_test_{uuid.uuid4().hex[:12]}"
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
        self.names.append(name)
        return _async_url(name)


@pytest.fixture(scope="session")
def pg_databases() -> Iterator[PgDatabases]:
    dbs = PgDatabases([])
    yield dbs
    for name in dbs.names:
        try:
            asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        except Exception:  # noqa: BLE001 - best-effort clean-up
            pass


@pytest.fixture(scope="session")
def pg_migrated(pg_databases: PgDatabases) -> str:
    """One migrated database for the session; tests using it get emptied tables."""
    url = pg_databases.create()

    async def upgrade() -> None:
        from bot.storage import Database

        db = Database.open(url)
        await db.upgrade()
        await db.close()

    asyncio.run(upgrade())
    return url


@pytest.fixture
def pg_url(pg_migrated: str) -> str:
    """The session's migrated database with every table emptied (sync: callable from any
    fixture)."""
    from bot.storage.registry import Base

    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    asyncio.run(_admin_on(pg_migrated, f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    return pg_migrated


async def _admin_on(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file made once per run; each test gets a copy (migrating a fresh
    file costs most of a second, copying it a millisecond)."""
    path = tmp_path_factory.mktemp("template") / "minyi.db"

    async def upgrade() -> None:
        from bot.storage import Database

        db = Database.open(f"sqlite+aiosqlite:///{path}")
        await db.upgrade()
        async with db.engine.connect() as conn:
            await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        await db.close()

    asyncio.run(upgrade())
    return path


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    """A migrated SQLite database of the test's own (migrating it again is a no-op)."""
    target = tmp_path / "minyi.db"
    shutil.copyfile(sqlite_template, target)
    return f"sqlite+aiosqlite:///{target}"


@pytest.fixture
def empty_sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"


# -- Redis -------------------------------------------------------------------------------------
@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of its own for each test; its keys are deleted afterwards."""
    prefix = f"minyitest-{uuid.uuid4().hex[:10]}"
    yield prefix
    client = Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(f"{prefix}:*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


# -- Settings ----------------------------------------------------------------------------------
def make_settings(**overrides: object) -> Settings:
    base = {
        "wechat.token": TOKEN,
        "wechat.appid": APPID,
        "wechat.secret": SECRET,
        "wechat.aes_key": AES_KEY,
        "wechat.encryption": "compatible",
        "security.secret_key": "test-secret-key",
        "logging.format": "text",
        # copies of residents' media: never into the checkout's var/ (tests that look at the
        # files give their own directory)
        "media.dir": str(Path(tempfile.gettempdir()) / "minyi-test-media"),
    }
    base.update(overrides)
    return load_settings(environ={}).with_overrides(**base)


@pytest.fixture(params=["sqlite-memory", "postgres-redis"])
def backend(request: pytest.FixtureRequest) -> str:
    """Runs a test on the embedded default and on the production stack."""
    return request.param


@pytest.fixture
def backend_settings(backend: str, request: pytest.FixtureRequest) -> Settings:
    if backend == "sqlite-memory":
        url = request.getfixturevalue("sqlite_url")
        return make_settings(**{"database.url": url, "redis.url": "memory://"})
    url = request.getfixturevalue("pg_url")
    prefix = request.getfixturevalue("redis_prefix")
    return make_settings(**{"database.url": url, "redis.url": REDIS_URL, "redis.prefix": prefix})
