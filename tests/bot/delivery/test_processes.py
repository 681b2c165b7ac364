"""`minyi worker` as real processes on PostgreSQL + Redis against the simulator over HTTP:
kill -9 in the middle of a send, and two workers sharing 1,000 notifications.

The simulator runs in the test's own event loop; the workers are subprocesses with their own
config file. "Sent exactly once" is read from the simulator's record of delivered messages.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select

from bot.config import Settings
from bot.delivery.models import DeliveryAttempt
from bot.outbox import Notice, OutboxRow, OutboxStatus, enqueue
from bot.simulator import SIMULATOR_STATE, SimulatorState, create_simulator_app
from bot.storage import Database
from bot.storage.messages import upsert_resident
from bot.storage.types import utcnow
from tests.bot.delivery.conftest import FAST, sim_config
from tests.conftest import REDIS_URL, REPO, make_settings

pytestmark = pytest.mark.slow

FINAL = (OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.UNDELIVERABLE)


def minyi_command() -> list[str]:
    script = Path(sys.executable).parent / "minyi"
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]


@dataclass
class Rig:
    settings: Settings
    db: Database
    sim: SimulatorState
    config: Path
    procs: list[asyncio.subprocess.Process]
    logs: Path

    async def start_worker(self, name: str) -> asyncio.subprocess.Process:
        env = {**os.environ, "MINYI_CONFIG": str(self.config)}
        for var in ("MINYI_DATABASE_URL", "MINYI_REDIS_URL", "MINYI_WECHAT_API_BASE"):
            env.pop(var, None)
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115, ASYNC230 - tiny, local
        proc = await asyncio.create_subprocess_exec(
            *minyi_command(), "worker", "--id", name, "--no-scheduler",
            cwd=REPO, env=env, stdout=log, stderr=log,
        )
        log.close()
        self.procs.append(proc)
        return proc

    async def residents(self, openids: list[str], *, window: bool) -> None:
        async with self.db.session() as session:
            for openid in openids:
                self.sim.add_resident(openid)
                if window:
                    self.sim.note_incoming(openid, {"MsgType": "text"})
                    await upsert_resident(session, openid, at=utcnow())
                else:
                    await upsert_resident(session, openid, touch=False)

    async def notices(self, plan: list[tuple[str, str]]) -> None:
        """(openid, text) in order; the text is unique and is the idempotency key too."""
        async with self.db.session() as session:
            for openid, text in plan:
                await enqueue(session, Notice(kind="reply", text=text, idempotency_key=text,
                                              openid=openid))

    async def scalar(self, stmt: Any) -> Any:
        async with self.db.session() as session:
            return (await session.execute(stmt)).scalar_one()

    async def settled(self, total: int, within: float) -> None:
        deadline = asyncio.get_running_loop().time() + within
        while asyncio.get_running_loop().time() < deadline:
            running = [p for p in self.procs if p.returncode is None]
            assert running, f"no worker left running; see {self.logs}"
            done = await self.scalar(
                select(func.count()).where(OutboxRow.status.in_(FINAL)))
            if done == total:
                await self.sim.drain()
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"outbox not settled within {within} s; see {self.logs}")

    def delivered_texts(self) -> list[str]:
        out = []
        for entry in self.sim.sent:
            data = entry["data"]
            if entry["channel"] == "custom":
                out.append(data["text"]["content"])
            else:
                out.append(data["data"]["remark"]["value"])
        return out

    def by_resident(self) -> dict[str, list[str]]:
        seen: dict[str, list[str]] = {}
        for entry, text in zip(self.sim.sent, self.delivered_texts(), strict=True):
            seen.setdefault(entry["openid"], []).append(text)
        return seen


@pytest.fixture
async def rig(pg_url: str, redis_prefix: str, tmp_path: Path) -> AsyncIterator[Rig]:
    server = TestServer(create_simulator_app(sim_config()), host="127.0.0.1")
    await server.start_server()
    settings = make_settings(**{
        **FAST,
        "database.url": pg_url,
        "redis.url": REDIS_URL,
        "redis.prefix": redis_prefix,
        "wechat.api_base": str(server.make_url("")).rstrip("/"),
        "delivery.api_timeout_seconds": 3.0,
        "delivery.connect_timeout_seconds": 0.5,
        "delivery.lease_seconds": 11.0,
        "delivery.retry.max_attempts": 30,
        "delivery.batch_size": 25,
        "delivery.concurrency": 8,
        "logging.level": "INFO",
    })
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(settings.model_dump(mode="json", exclude={"source"}),
                                     allow_unicode=True), encoding="utf-8")
    db = Database.open(pg_url)
    rig = Rig(settings, db, server.app[SIMULATOR_STATE], config, [], tmp_path)
    yield rig
    for proc in rig.procs:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    await db.close()
    await server.close()


def plan_for(openids: list[str], per_resident: int) -> list[tuple[str, str]]:
    """Round-robin over residents so that every batch mixes them."""
    return [(openid, f"{openid}#{n:03d}") for n in range(per_resident) for openid in openids]


async def until(check: Any, what: str, within: float = 60.0) -> None:
    """Wait (polling) until `check()` is true; fail after `within` seconds."""
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)


async def test_kill_9_during_sends_loses_nothing_and_sends_nothing_twice(rig: Rig) -> None:
    chat = [f"oKillChat{n:02d}000000000000000000" for n in range(6)]
    tmpl = [f"oKillTmpl{n:02d}000000000000000000" for n in range(6)]
    await rig.residents(chat, window=True)
    await rig.residents(tmpl, window=False)
    plan = plan_for(chat + tmpl, 12)
    await rig.notices(plan)

    first = await rig.start_worker("w-killed")

    async def under_way() -> bool:
        assert first.returncode is None, (rig.logs / "w-killed.log").read_text()
        return len(rig.sim.sent) >= 30

    await until(under_way, "the first worker to send 30 messages")
    # From now on WeChat answers slowly: the worker's calls are held in flight.
    fault = rig.sim.add_fault("*", delay=5.0, count=-1)
    unfinished = select(func.count()).where(DeliveryAttempt.outcome.is_(None))

    async def all_inside() -> bool:
        held = fault.hits - len([c for c in rig.sim.calls if c["fault"]])
        return held >= 4 and held == await rig.scalar(unfinished)

    # every attempt the worker has written is now a call inside WeChat
    await until(all_inside, "calls held in flight", within=2.5)
    first.send_signal(signal.SIGKILL)
    await first.wait()
    in_doubt = await rig.scalar(unfinished)
    claimed = await rig.scalar(select(func.count()).where(
        OutboxRow.status == OutboxStatus.SENDING))
    rig.sim.clear_faults()

    await rig.start_worker("w-second")
    await rig.settled(len(plan), within=90)

    delivered = Counter(rig.delivered_texts())
    assert [t for t, n in delivered.items() if n > 1] == []  # nothing twice
    assert set(delivered) == {text for _, text in plan}  # nothing lost
    for openid in chat + tmpl:  # each resident's notices in the order they were written
        assert rig.by_resident()[openid] == [t for o, t in plan if o == openid]
    async with rig.db.session() as session:
        outcomes = Counter((await session.execute(
            select(DeliveryAttempt.channel, DeliveryAttempt.outcome))).all())
    assert in_doubt >= 4 and claimed >= in_doubt
    # the chat messages in doubt were not sent again; the templates were, and WeChat
    # dropped the repeat by client_msg_id
    assert outcomes[("custom", "unconfirmed")] + outcomes[("template", "superseded")] == in_doubt


async def test_kill_9_at_a_random_moment(rig: Rig) -> None:
    """No slow answers: the kill lands wherever the worker happens to be. Templates arrive
    exactly once; a chat message is never sent twice (in_doubt: skip) and arrives unless it
    was in doubt and had not reached WeChat when the process died."""
    chat = [f"oRandChat{n:02d}000000000000000000" for n in range(5)]
    tmpl = [f"oRandTmpl{n:02d}000000000000000000" for n in range(5)]
    await rig.residents(chat, window=True)
    await rig.residents(tmpl, window=False)
    plan = plan_for(chat + tmpl, 10)
    await rig.notices(plan)
    first = await rig.start_worker("w-killed")

    async def under_way() -> bool:
        assert first.returncode is None, (rig.logs / "w-killed.log").read_text()
        return len(rig.sim.sent) >= 37

    await until(under_way, "the first worker to send 37 messages")
    first.send_signal(signal.SIGKILL)
    await first.wait()
    await rig.start_worker("w-second")
    await rig.settled(len(plan), within=90)
    delivered = Counter(rig.delivered_texts())
    assert [t for t, n in delivered.items() if n > 1] == []
    async with rig.db.session() as session:
        unconfirmed = set((await session.execute(
            select(OutboxRow.idempotency_key).join(
                DeliveryAttempt, DeliveryAttempt.outbox_id == OutboxRow.id)
            .where(DeliveryAttempt.outcome == "unconfirmed"))).scalars())
    missing = {text for _, text in plan} - set(delivered)
    assert missing <= unconfirmed
    assert not [t for o, t in plan if o in tmpl and t in missing]
    for openid in chat + tmpl:
        got = rig.by_resident().get(openid, [])
        assert got == [t for o, t in plan if o == openid and t not in missing]


async def test_two_workers_share_1000_notifications_without_double_sends(rig: Rig) -> None:
    openids = [f"oPair{n:03d}0000000000000000000" for n in range(50)]
    await rig.residents(openids[:25], window=True)
    await rig.residents(openids[25:], window=False)
    plan = plan_for(openids, 20)
    await rig.notices(plan)
    await asyncio.gather(rig.start_worker("w-one"), rig.start_worker("w-two"))
    await rig.settled(len(plan), within=180)
    delivered = Counter(rig.delivered_texts())
    assert len(plan) == 1000
    assert [t for t, n in delivered.items() if n > 1] == []
    assert set(delivered) == {text for _, text in plan}
    for openid in openids:
        assert rig.by_resident()[openid] == [t for o, t in plan if o == openid]
    async with rig.db.session() as session:
        workers = Counter((await session.execute(select(DeliveryAttempt.worker))).scalars())
        statuses = Counter((await session.execute(select(OutboxRow.status))).scalars())
    assert statuses == {"sent": 1000}
    assert set(workers) == {"w-one", "w-two"}  # both took part
    # 25 chat residents: 5 chat messages each, the rest as templates
    channels = Counter(m["channel"] for m in rig.sim.sent)
    assert channels == {"custom": 125, "template": 875}




async def test_sigterm_finishes_the_calls_under_way_and_gives_back_the_rest(rig: Rig) -> None:
    openids = [f"oTerm{n:02d}000000000000000000000" for n in range(20)]
    await rig.residents(openids, window=True)
    plan = plan_for(openids, 3)
    await rig.notices(plan)
    fault = rig.sim.add_fault("custom/send", delay=1.0, count=-1)  # slow, but answering
    worker = await rig.start_worker("w-term")

    async def calls_under_way() -> bool:
        assert worker.returncode is None, (rig.logs / "w-term.log").read_text()
        return fault.hits >= 8

    await until(calls_under_way, "the first wave of calls")
    worker.send_signal(signal.SIGTERM)
    assert await worker.wait() == 0
    async with rig.db.session() as session:
        outcomes = Counter((await session.execute(select(DeliveryAttempt.outcome))).scalars())
        statuses = Counter((await session.execute(select(OutboxRow.status))).scalars())
    assert outcomes == {"sent": fault.hits}  # every call it started was seen through
    assert statuses == {"sent": fault.hits, "pending": len(plan) - fault.hits}  # rest given back
    rig.sim.clear_faults()
    await rig.start_worker("w-next")
    await rig.settled(len(plan), within=60)
    assert sorted(rig.delivered_texts()) == sorted(text for _, text in plan)
