"""A delivery stack against the WeChat simulator over real HTTP: the simulator on an
ephemeral port, the database and stores of the chosen backend, one aiohttp session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from bot.config import Settings
from bot.delivery.client import WeChatClient
from bot.delivery.models import DeliveryAttempt
from bot.delivery.worker import DeliveryWorker
from bot.outbox import Notice, OutboxRow, enqueue
from bot.simulator import SIMULATOR_STATE, SimulatorConfig, SimulatorState, create_simulator_app
from bot.storage import Database
from bot.storage.messages import upsert_resident
from bot.storage.types import utcnow
from bot.stores import Stores, open_stores
from tests.conftest import AES_KEY, APPID, SECRET, TOKEN

TEMPLATE_ID = "TPL_PROGRESS_0001"

# Fast schedules: the behaviour is the same, the waiting is not.
FAST = {
    "delivery.retry.base_seconds": 0.01,
    "delivery.retry.max_seconds": 0.05,
    "delivery.retry.max_attempts": 4,
    "delivery.poll_seconds": 0.02,
    "delivery.api_timeout_seconds": 1.0,
    "delivery.connect_timeout_seconds": 0.5,
    "delivery.lease_seconds": 5.0,
    "delivery.templates.default.template_id": TEMPLATE_ID,
}


def sim_config(webhook_url: str = "http://127.0.0.1:9/wechat", **overrides: Any) -> SimulatorConfig:
    values: dict[str, Any] = {
        "token": TOKEN, "appid": APPID, "secret": SECRET, "aes_key": AES_KEY,
        "webhook_url": webhook_url, "encryption": "compatible", "push_job_events": False,
    }
    values.update(overrides)
    return SimulatorConfig(**values)


@dataclass
class Stack:
    settings: Settings
    db: Database
    stores: Stores
    http: aiohttp.ClientSession
    sim: SimulatorState
    sim_url: str
    workers: list[DeliveryWorker] = field(default_factory=list)

    def client(self, settings: Settings | None = None) -> WeChatClient:
        return WeChatClient(self.http, settings or self.settings, self.stores)

    def worker(self, settings: Settings | None = None, **kwargs: Any) -> DeliveryWorker:
        settings = settings or self.settings
        worker = DeliveryWorker(self.db, self.client(settings), settings, stores=self.stores,
                                **kwargs)
        self.workers.append(worker)
        return worker

    async def resident(self, openid: str, *, window: bool = True,
                       at: datetime | None = None) -> None:
        """A follower of the account; `window`: they wrote just now (48-hour window open),
        in the simulator and in our database alike."""
        self.sim.add_resident(openid)
        if window:
            self.sim.note_incoming(openid, {"MsgType": "text"})
            async with self.db.session() as session:
                await upsert_resident(session, openid, at=at or utcnow())
        else:
            async with self.db.session() as session:
                await upsert_resident(session, openid, touch=False)

    async def notice(self, openid: str | None, key: str, text: str | None = None,
                     kind: str = "reply", **extra: Any) -> None:
        async with self.db.session() as session:
            await enqueue(session, Notice(kind=kind, text=text or f"通知 {key}",
                                          idempotency_key=key, openid=openid, **extra))

    async def rows(self) -> list[OutboxRow]:
        async with self.db.session() as session:
            return list((await session.scalars(select(OutboxRow).order_by(OutboxRow.id))).all())

    async def row(self, key: str) -> OutboxRow:
        async with self.db.session() as session:
            return (await session.scalars(
                select(OutboxRow).where(OutboxRow.idempotency_key == key))).one()

    async def attempts(self, key: str) -> list[DeliveryAttempt]:
        row = await self.row(key)
        async with self.db.session() as session:
            return list((await session.scalars(
                select(DeliveryAttempt).where(DeliveryAttempt.outbox_id == row.id)
                .order_by(DeliveryAttempt.id))).all())

    def delivered(self, openid: str | None = None) -> list[dict[str, Any]]:
        return self.sim.sent_messages(openid)

    def texts(self, openid: str) -> list[str]:
        """What the resident saw, in order: chat text, or a template's remark field."""
        out = []
        for entry in self.sim.sent_messages(openid):
            data = entry["data"]
            if entry["channel"] == "custom":
                out.append(data["text"]["content"])
            else:
                out.append(data["data"]["remark"]["value"])
        return out


StackFactory = Callable[..., Awaitable[Stack]]


@pytest.fixture
async def make_stack(backend_settings: Settings) -> AsyncIterator[StackFactory]:
    """Builds a Stack on the test's backend (sqlite+memory and postgres+redis)."""
    made: list[tuple[Stack, TestServer]] = []

    async def factory(sim: SimulatorConfig | None = None, **overrides: Any) -> Stack:
        server = TestServer(create_simulator_app(sim or sim_config()), host="127.0.0.1")
        await server.start_server()
        url = str(server.make_url("")).rstrip("/")
        settings = backend_settings.with_overrides(**{**FAST, "wechat.api_base": url,
                                                      **overrides})
        db = Database.open(settings.database.url)
        await db.upgrade()
        stores = open_stores(settings.redis.url, settings.redis.prefix)
        http = aiohttp.ClientSession()
        stack = Stack(settings, db, stores, http, server.app[SIMULATOR_STATE], url)
        made.append((stack, server))
        return stack

    yield factory
    for stack, server in made:
        await stack.http.close()
        await server.close()
        await stack.stores.close()
        await stack.db.close()
