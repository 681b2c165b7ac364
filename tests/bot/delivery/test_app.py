"""Delivery inside a web process, end to end: the app with the simulator mounted (as in
`minyi demo`), the worker running in-process, residents chatting through the simulator."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from bot.app import create_demo_app
from bot.config import Settings
from bot.delivery.models import DeliveryAttempt
from bot.outbox import Notice, OutboxRow, OutboxStatus, enqueue
from bot.simulator import SIMULATOR_STATE, SimulatorState
from bot.slips.actor import Actor
from bot.slips.service import SlipService
from bot.slips.views import SlipDraft
from bot.storage import Database
from dialogs.text import local_time
from handlers import keys
from knowledge.triage import load_default_triage
from tests.bot.delivery.conftest import FAST

RESIDENT = "oAppResident0000000000000001"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class App:
    server: TestServer
    settings: Settings
    sim: SimulatorState

    @property
    def db(self) -> Database:
        return self.server.app[keys.DATABASE]

    async def say(self, text: str, openid: str = RESIDENT) -> str | None:
        result = await self.sim.send(openid, "text", content=text)
        assert result["error"] is None, result
        return result["reply_text"]

    async def pushes(self, count: int, openid: str = RESIDENT, within: float = 20) -> list[dict]:
        """Wait until the resident has at least `count` pushed messages; return them."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            got = [e for e in self.sim.chat_for(openid) if e["kind"] == "push"]
            if len(got) >= count:
                return got
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{len(got)} pushes, wanted {count}: {got}")
            await asyncio.sleep(0.05)

    async def row(self, **where: Any) -> OutboxRow:
        """The outbox row, once the worker has finished with it (the push can be seen in the
        simulator a moment before the worker records it)."""
        for _ in range(200):
            async with self.db.session() as session:
                stmt = select(OutboxRow)
                for name, value in where.items():
                    stmt = stmt.where(getattr(OutboxRow, name) == value)
                row = (await session.scalars(stmt)).one()
            if row.status not in (OutboxStatus.PENDING, OutboxStatus.SENDING):
                return row
            await asyncio.sleep(0.05)
        return row


@pytest.fixture
async def make_app(backend_settings: Settings) -> AsyncIterator[Callable[..., Any]]:
    servers: list[TestServer] = []

    async def factory(**overrides: Any) -> App:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        settings = backend_settings.with_overrides(**{
            **FAST,
            "wechat.api_base": f"{base}/simulator",
            "server.public_url": base,
            "delivery.embedded_worker": True,
            "delivery.scheduler.enabled": False,
            **overrides,
        })
        app = create_demo_app(settings, base)
        server = TestServer(app, host="127.0.0.1", port=port)
        await server.start_server()
        servers.append(server)
        simulator = next(sub for sub in app._subapps if SIMULATOR_STATE in sub)  # noqa: SLF001
        return App(server, settings, simulator[SIMULATOR_STATE])

    yield factory
    for server in servers:
        await server.close()


async def test_late_reply_reaches_the_resident_as_a_chat_message(make_app) -> None:  # type: ignore[no-untyped-def]
    app = await make_app(**{"wechat.reply_budget_seconds": 0.3})
    router = app.server.app[keys.INBOX]._router  # noqa: SLF001

    async def slow(message: Any, turn: Any) -> str:
        await asyncio.sleep(0.6)
        return "这是一条迟到的答复"

    router._messages["text"] = slow  # noqa: SLF001
    # With a 0.3 s budget the store gets 0.15 s of patience: connect to Redis first, or on a
    # busy machine the first connection alone can take that and the apology is the answer.
    assert await app.server.app[keys.STORES].ping()
    assert await app.say("你好") is None  # WeChat got `success` within the budget
    [push] = await app.pushes(1)
    assert (push["channel"], push["text"]) == ("custom", "这是一条迟到的答复")
    row = await app.row(kind="late_reply")
    assert (row.status, row.openid) == (OutboxStatus.SENT, RESIDENT)


async def test_job_finish_events_reconcile_template_rows(make_app) -> None:  # type: ignore[no-untyped-def]
    app = await make_app()
    app.sim.add_resident(RESIDENT)  # follows the account, has not written: window closed
    async with app.db.session() as session:
        await enqueue(session, Notice(kind="closed", text="您的工单已办结", openid=RESIDENT,
                                      idempotency_key="t1"))
    [push] = await app.pushes(1)
    assert push["channel"] == "template"
    await app.sim.drain()  # the simulator's TEMPLATESENDJOBFINISH has been answered

    async def attempt() -> DeliveryAttempt:
        async with app.db.session() as session:
            return (await session.scalars(select(DeliveryAttempt))).one()

    for _ in range(100):
        if (await attempt()).job_status:
            break
        await asyncio.sleep(0.05)
    assert (await attempt()).job_status == "success"
    assert (await app.row(idempotency_key="t1")).status == OutboxStatus.SENT
    # a later "user block" report turns the row undeliverable, shown to staff
    result = await app.sim.post_event(RESIDENT, "TEMPLATESENDJOBFINISH",
                                      {"MsgID": push["msgid"], "Status": "failed:user block"},
                                      delay=1.1)  # a new CreateTime: not a WeChat retry
    assert result.status == 200 and result.reply is None
    row = await app.row(idempotency_key="t1")
    assert row.status == OutboxStatus.UNDELIVERABLE
    assert "user block" in row.last_error


async def test_closing_a_slip_sends_the_result_and_the_survey_and_3_reopens_it(make_app) -> None:  # type: ignore[no-untyped-def]
    """The issue's acceptance path: a slip closed by staff reaches the resident's chat with
    its result and the survey question; answering 3 (不满意) with a reason reopens it."""
    app = await make_app()
    await app.say("你好")  # the resident has written: the chat window is open
    slips = SlipService(app.db, settings=app.settings, triage=load_default_triage())
    view = await slips.issue(SlipDraft(
        openid=RESIDENT, description="小区门口的路灯坏了三天了，晚上很黑", idempotency_key="e2e-1",
        location_text="建新北路12号",
    ))
    lead = getattr(view.lead_department, "code", None)
    if not lead:
        pytest.skip("triage sent this slip to the dispatcher's queue; no lead department")
    handler = Actor(kind="staff", id="7", name="王工", role="handler", department=lead)
    await slips.act(view.number, "sign", handler)
    await slips.act(view.number, "close", handler, data={"result": "路灯已于今日更换修复。"})
    # signed, closed, survey (the slip number and department were in the issuing reply)
    pushes = await app.pushes(3)
    texts = [p["text"] for p in pushes]
    assert any("路灯已于今日更换修复" in t for t in texts)
    assert "3 不满意" in texts[-1]
    assert {p["channel"] for p in pushes} == {"custom"}

    answer = await app.say("3")
    assert answer  # the dialog asks why
    reply = await app.say("路灯还是不亮")
    after = await slips.get(view.number, Actor.system())
    assert after.status == "dispatched" and after.reopen_count == 1
    # The reply is the one message about the reopening: who handles it and a new deadline
    # (issued, closed and reopened on one day would otherwise keep the date it had).
    assert after.due_at is not None and view.due_at is not None and after.due_at > view.due_at
    assert reply is not None and view.number in reply
    assert f"已重新交{after.lead_department.name}办理" in reply
    assert f"新的办理期限是{local_time(after.due_at)}" in reply
    async with app.db.session() as session:
        kinds = (await session.scalars(select(OutboxRow.kind).where(
            OutboxRow.idempotency_key.startswith(f"{view.number}:"),
            OutboxRow.audience == "resident"))).all()
    assert "reopened" not in kinds  # no push repeating the reply
    await asyncio.sleep(0.5)
    assert len([e for e in app.sim.chat_for(RESIDENT) if e["kind"] == "push"]) == 3


async def test_a_restarted_demo_still_reaches_the_residents_it_had(make_app) -> None:  # type: ignore[no-untyped-def]
    """The demo's simulated WeChat starts empty, but the real one would still know the
    account's followers: after a restart a resident who wrote before it is followed again,
    with their chat window and their chat, so a staff notice reaches them (it failed with
    40003 invalid openid) and the chat page shows what came before."""
    first = await make_app()
    welcome = await first.say("你好")
    await first.server.close()

    app = await make_app()
    restored = app.sim.chat_for(RESIDENT)
    assert [(e["role"], e["kind"], e["text"]) for e in restored] == [
        ("resident", "message", "你好"), ("account", "reply", welcome)]
    window = app.sim.residents[RESIDENT].message_window
    assert window is not None and window.used == 0
    slips = SlipService(app.db, settings=app.settings, triage=load_default_triage())
    view = await slips.issue(SlipDraft(
        openid=RESIDENT, description="小区门口的路灯坏了三天了", idempotency_key="restart-1",
        location_text="建新北路12号",
    ))
    lead = getattr(view.lead_department, "code", None)
    assert lead, "the street-light slip goes to a department"
    handler = Actor(kind="staff", id="7", name="王工", role="handler", department=lead)
    await slips.act(view.number, "sign", handler)
    [push] = await app.pushes(1)
    assert push["channel"] == "custom" and view.number in push["text"]
    assert (await app.row(kind="signed")).status == OutboxStatus.SENT
