"""Slip service fixtures: a migrated database per test (SQLite copy or emptied PostgreSQL), a
fixed clock, the shipped knowledge pack, and helpers to make slips in any state."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.slips.actor import Actor
from bot.slips.models import Slip, SlipEvent
from bot.slips.service import SlipService
from bot.slips.views import SlipDraft, SlipView
from bot.storage import Database
from knowledge.pack import KnowledgePack, load_pack
from tests.conftest import make_settings

# Wednesday 2026-11-25 10:00 in Chongqing.
T0 = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)

ADMIN = Actor(kind="staff", id="1", name="管理员", role="admin")
DISPATCHER = Actor(kind="staff", id="2", name="派单员小王", role="dispatcher")
SUPERVISOR = Actor(kind="staff", id="3", name="督办老李", role="supervisor")
HANDLER = Actor(kind="staff", id="4", name="张三", role="handler", department="D-CGJ")
CO_HANDLER = Actor(kind="staff", id="5", name="李四", role="handler", department="D-ZJW")
OTHER_HANDLER = Actor(kind="staff", id="6", name="王五", role="handler", department="D-STHJ")
SYSTEM = Actor.system("scheduler")
OPENID = "oResidentAAAA0001"
RESIDENT = Actor.resident(OPENID)
OTHER_RESIDENT = Actor.resident("oResidentBBBB0002")


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def triage(
    *,
    lead: str | None = "D-CGJ",
    co: tuple[str, ...] = (),
    urgency: str = "一般",
    complexity: str = "简单",
    request_type: str = "投诉",
    low_confidence: bool = False,
    category: tuple[str, ...] = ("城乡建设", "市政设施"),
    due_working_days: int | None = 5,
    response_due_hours: int | None = None,
) -> dict[str, Any]:
    departments = []
    if lead:
        departments.append({"name": lead, "code": lead, "role": "主办", "level": "区"})
    departments += [{"name": c, "code": c, "role": "协办", "level": "区"} for c in co]
    return {
        "category": list(category),
        "request_type": request_type,
        "urgency": urgency,
        "complexity": complexity,
        "universality": "个体",
        "departments": departments,
        "handling_level": "区",
        "response_due_hours": response_due_hours,
        "due_working_days": due_working_days,
        "advice": "您的诉求已受理。",
        "explanation": "测试分类",
        "confidence": 0.3 if low_confidence else 0.9,
        "low_confidence": low_confidence,
    }


_counter = iter(range(10**9))


def draft(description: str = "小区门口的路灯坏了三天了", *, openid: str = OPENID, key: str | None = None,
          **kwargs: Any) -> SlipDraft:
    tri = kwargs.pop("triage", None) or triage()
    return SlipDraft(openid=openid, description=description,
                     idempotency_key=key or f"{openid}:m:{next(_counter)}", triage=tri, **kwargs)


@pytest.fixture(scope="session")
def pack() -> KnowledgePack:
    return load_pack()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file per session; each test gets a copy."""
    path = tmp_path_factory.mktemp("slips") / "template.db"

    async def migrate() -> None:
        db = Database.open(f"sqlite+aiosqlite:///{path}")
        await db.upgrade()
        await db.close()

    asyncio.run(migrate())
    return path


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, sqlite_template: Path,
           tmp_path: Path) -> str:
    if backend.startswith("sqlite"):
        target = tmp_path / "slips.db"
        shutil.copy(sqlite_template, target)
        return f"sqlite+aiosqlite:///{target}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
async def database(db_url: str) -> AsyncIterator[Database]:
    db = Database.open(db_url)
    yield db
    await db.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(database: Database, clock: Clock, pack: KnowledgePack) -> SlipService:
    return SlipService(database, settings=make_settings(), clock=clock, pack=pack)


@dataclass
class Slips:
    """Shortcuts over a service for tests."""

    service: SlipService
    db: Database

    async def issue(self, *args: Any, **kwargs: Any) -> SlipView:
        return await self.service.issue(draft(*args, **kwargs))

    async def force(self, number: str, status: str, **fields: Any) -> None:
        """Put a slip in `status` directly (bypassing the workflow: for gate tests only)."""
        async with self.db.session() as session:
            await session.execute(
                update(Slip).where(Slip.number == number).values(status=status, **fields)
                .execution_options(synchronize_session=False)
            )

    async def row(self, number: str) -> Slip:
        async with self.db.session() as session:
            return (await session.execute(select(Slip).where(Slip.number == number))).scalar_one()

    async def events(self, number: str) -> list[SlipEvent]:
        async with self.db.session() as session:
            slip_id = (await session.execute(select(Slip.id).where(Slip.number == number))
                       ).scalar_one()
            rows = await session.execute(
                select(SlipEvent).where(SlipEvent.slip_id == slip_id).order_by(SlipEvent.seq)
            )
            return list(rows.scalars())

    async def outbox(self, number: str | None = None) -> list[Any]:
        from bot.outbox.models import OutboxRow

        async with self.db.session() as session:
            query = select(OutboxRow).order_by(OutboxRow.id)
            if number is not None:
                query = query.where(OutboxRow.idempotency_key.startswith(f"{number}:"))
            return list((await session.execute(query)).scalars())


@pytest.fixture
def slips(service: SlipService, database: Database) -> Slips:
    return Slips(service, database)


@pytest.fixture(scope="session")
def shipped_triage():  # type: ignore[no-untyped-def]
    """The shipped triage (classifier loaded once a run): for what the slip service asks of a
    triage besides a classification (urgency_of, compared)."""
    from knowledge.triage import load_default_triage

    return load_default_triage()


@pytest.fixture
def triaged(database: Database, clock: Clock, pack: KnowledgePack, shipped_triage) -> Slips:  # type: ignore[no-untyped-def]
    """Slips over a service with the shipped triage."""
    return Slips(SlipService(database, settings=make_settings(), clock=clock, pack=pack,
                             triage=shipped_triage), database)
