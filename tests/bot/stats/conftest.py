from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.slips.workflow import load_workflow
from bot.stats.labels import Labels
from bot.stats.queries import Statistics
from bot.storage import Database
from knowledge.pack import load_pack
from tests.bot.stats.dataset import NOW, SH, insert


@pytest.fixture(scope="session")
def labels() -> Labels:
    return Labels.from_pack(load_pack())


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'stats.db'}"

        async def upgrade() -> None:
            db = Database.open(url)
            await db.upgrade()
            await db.close()

        asyncio.run(upgrade())
        return url
    return request.getfixturevalue("pg_url")


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database.open(db_url)
    yield database
    await database.close()


@pytest.fixture
async def stats(db: Database, labels: Labels) -> Statistics:
    await insert(db)
    return Statistics(db, workflow=load_workflow(), labels=labels, tz=SH, clock=lambda: NOW)
