"""The hostile corpus runs each module twice: on the embedded default (SQLite + in-process
stores) and on the production stack (PostgreSQL + Redis), where text and integers meet stricter
types (no NUL in text, int4/int8 ranges, VARCHAR limits).

Apps are shared per module and backend (starting one costs about a second of CPU): cases that
must be refused write nothing, and cases that are answered use an OpenID of their own, so
before/after row counts still hold."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import pytest
from redis import Redis

from bot.config import Settings
from tests.conftest import REDIS_URL, make_settings

BACKENDS = ("sqlite-memory", "postgres-redis")


@dataclass
class HostileBackend:
    """Settings for the module's apps on one backend: a fresh SQLite copy per app, or the
    session's PostgreSQL database (emptied when the module starts) with a Redis prefix per app."""

    name: str
    workdir: Path
    sqlite_template: Path | None = None
    pg_url: str | None = None
    prefixes: list[str] = field(default_factory=list)

    @property
    def is_postgres(self) -> bool:
        return self.pg_url is not None

    def settings(self, **overrides: object) -> Settings:
        if self.pg_url is None:
            assert self.sqlite_template is not None
            target = self.workdir / f"{uuid.uuid4().hex[:8]}.db"
            shutil.copyfile(self.sqlite_template, target)
            base: dict[str, object] = {
                "database.url": f"sqlite+aiosqlite:///{target}",
                "redis.url": "memory://",
            }
        else:
            prefix = f"minyitest-hostile-{uuid.uuid4().hex[:10]}"
            self.prefixes.append(prefix)
            base = {"database.url": self.pg_url, "redis.url": REDIS_URL, "redis.prefix": prefix}
        return make_settings(**{**base, "console.cookie_secure": False, **overrides})


async def _empty_tables(url: str) -> None:
    from bot.storage.registry import Base

    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        await conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()


@pytest.fixture(scope="module", params=BACKENDS)
def hostile_backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HostileBackend]:
    workdir = tmp_path_factory.mktemp("hostile")
    if request.param == "sqlite-memory":
        backend = HostileBackend(
            request.param, workdir, sqlite_template=request.getfixturevalue("sqlite_template")
        )
    else:
        url = request.getfixturevalue("pg_migrated")
        asyncio.run(_empty_tables(url))
        backend = HostileBackend(request.param, workdir, pg_url=url)
    yield backend
    if backend.prefixes:
        client = Redis.from_url(REDIS_URL)
        try:
            for prefix in backend.prefixes:
                keys = list(client.scan_iter(f"{prefix}:*"))
                if keys:
                    client.delete(*keys)
        finally:
            client.close()
