"""The database handle: one async engine and session factory per process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot import fastjson
from bot.storage.migrate import upgrade_connection


class Database:
    """Owns the engine. Use `session()` for a unit of work that commits or rolls back whole."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str, *, pool_size: int = 10, echo: bool = False) -> Database:
        parsed = make_url(url)
        # No pre-ping: it costs a round trip per checkout on the webhook's hot path. A
        # connection the server closed (a restart) is known closed to the driver without
        # one, and is replaced at checkout (_closed_by_server); one broken some other way
        # fails one unit of work and SQLAlchemy then drops the whole stale pool.
        # JSON columns (message payloads, conversation copies, slip data) through orjson
        kwargs: dict[str, Any] = {
            "echo": echo,
            "json_serializer": fastjson.dumps,
            "json_deserializer": fastjson.loads,
        }
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": 30}
        else:
            # Connections are kept, not opened per message: an overflow connection is closed on
            # return, and at 32 messages in flight a pool of 10 + 10 overflow opened a new
            # PostgreSQL connection every 5 messages (bench/webhook.py, 600 messages: 122
            # connections opened; 8 with 24 kept). The overflow is a smaller margin on top.
            kwargs.update(pool_size=pool_size, max_overflow=max(2, pool_size // 2),
                          pool_recycle=1800)
            # Custom plans: with generic prepared-statement plans (PostgreSQL's choice from a
            # statement's sixth run) skewed list filters got 10x slower in bench/console.py.
            # No JIT: its compile time dwarfs these short queries.
            kwargs["connect_args"] = {
                "server_settings": {"plan_cache_mode": "force_custom_plan", "jit": "off"}
            }
        engine = create_async_engine(url, **kwargs)
        if parsed.get_backend_name() == "sqlite":
            event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        else:
            event.listen(engine.sync_engine.pool, "checkout", _closed_by_server)
        return cls(engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        async with self.sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn:
            yield conn

    async def upgrade(self) -> None:
        """Bring the schema to the newest migration (Alembic)."""
        async with self.engine.begin() as conn:
            await conn.run_sync(upgrade_connection)

    async def has_tables(self) -> bool:
        """Whether the schema exists at all (`minyi db upgrade` has been run)."""
        async with self.engine.connect() as conn:
            names = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
        return bool(names)

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.exec_driver_sql("SELECT 1")
            return True
        except Exception:
            return False

    async def close(self) -> None:
        await self.engine.dispose()


def _closed_by_server(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
    """A pooled connection whose server went away (PostgreSQL restarted or stopped) is
    replaced before use: asyncpg saw the socket close, so this costs no round trip. Without
    it the first unit of work after a restart fails on the dead connection."""
    driver = getattr(dbapi_conn, "driver_connection", None)
    is_closed = getattr(driver, "is_closed", None)
    if is_closed is not None and is_closed():
        raise DisconnectionError("the server closed this connection")


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
