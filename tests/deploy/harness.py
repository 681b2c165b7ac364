"""A production deployment as real processes, and WeChat in front of it.

`Deployment` starts `minyi serve` and `minyi worker` subprocesses, each with the same config
file (one PostgreSQL database, one Redis prefix, the WeChat simulator of the test's own event
loop as the outbound API). `Proxy` plays WeChat and the reverse proxy in front of the web
processes: a message goes to the upstream it is given; a connection that breaks is re-posted
at once to a live upstream (nginx `proxy_next_upstream error … non_idempotent`, see
docs/deployment.md); no answer within the peer's `reply_timeout` is re-posted by WeChat, the
same request again, up to `retries` times, to the next live upstream.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from sqlalchemy import func, select

from bot.config import Settings
from bot.outbox import OutboxRow, OutboxStatus
from bot.simulator import SignedRequest, SimulatorState, WeChatPeer
from bot.slips.models import Slip
from bot.storage import Database
from bot.storage.models import Message, Resident
from tests.conftest import REPO

FAIL_TIMEOUT = 2.0
FINAL = (OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.UNDELIVERABLE)
SLIP_NUMBER = re.compile(r"JB\d{13}")


def minyi_command() -> list[str]:
    script = Path(sys.executable).parent / "minyi"
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Proc:
    name: str
    process: asyncio.subprocess.Process
    log: Path
    port: int | None = None
    killed: bool = False  # on purpose (kill -9): not a failure

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.process.returncode is None

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class Exchange:
    """One resident message as WeChat saw it: the same signed request on every attempt, the
    upstreams the attempts went to, and the answer WeChat finally got."""

    openid: str
    text: str
    msg_id: int
    request: SignedRequest
    upstreams: list[str] = field(default_factory=list)
    status: int | None = None
    reply: str | None = None  # the passive reply's Content; "" for `success`; None: no answer
    error: str | None = None

    @property
    def answered(self) -> bool:
        return self.status == 200 and self.error is None

    def __str__(self) -> str:
        return (f"{self.openid} {self.text!r} msg {self.msg_id} via {self.upstreams}: "
                f"HTTP {self.status} {self.error or ''} reply {self.reply!r}")


class Proxy:
    def __init__(self, peer: WeChatPeer, http: aiohttp.ClientSession, sim: SimulatorState,
                 upstreams: dict[str, Proc]) -> None:
        self.peer = peer
        self.http = http
        self.sim = sim
        self.upstreams = upstreams  # name -> web process (the dict is shared with Deployment)
        self.down: dict[str, float] = {}  # upstream -> when a connection to it failed
        self.in_flight: Counter[str] = Counter()  # requests awaiting an answer, per upstream
        self.exchanges: list[Exchange] = []

    def message(self, openid: str, text: str) -> Exchange:
        """A new text message from a resident (WeChat notes it: the 48-hour window opens)."""
        msg_id = self.peer.next_msg_id()
        xml = self.peer.text_xml(openid, text, msg_id=msg_id)
        self.sim.add_resident(openid)
        self.sim.note_incoming(openid, {"MsgType": "text"})
        exchange = Exchange(openid, text, msg_id, self.peer.build_request(xml))
        self.exchanges.append(exchange)
        return exchange

    def _next_live(self, after: str) -> str | None:
        """The upstream after `after` whose connections did not fail in the last
        FAIL_TIMEOUT seconds (nginx's max_fails=1 fail_timeout)."""
        names = list(self.upstreams)
        start = names.index(after) if after in names else -1
        now = asyncio.get_running_loop().time()
        for step in range(1, len(names) + 1):
            name = names[(start + step) % len(names)]
            if now - self.down.get(name, -1e9) > FAIL_TIMEOUT:
                return name
        return None

    async def attempt(self, exchange: Exchange, upstream: str) -> tuple[int, str] | None:
        """One POST of the exchange's request to one upstream, as the proxy forwards it: a
        broken or refused connection is forwarded again to the next live upstream at once.
        None: no answer within WeChat's timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.peer.config.reply_timeout
        target: str | None = upstream
        while target is not None and loop.time() < deadline:
            exchange.upstreams.append(target)
            self.in_flight[target] += 1
            try:
                async with self.http.post(
                    self.upstreams[target].url + "/wechat",
                    params=exchange.request.query,
                    data=exchange.request.body.encode(),
                    headers={"Content-Type": "text/xml"},
                    timeout=aiohttp.ClientTimeout(total=deadline - loop.time()),
                ) as response:
                    return response.status, await response.text()
            except TimeoutError:
                return None
            except aiohttp.ClientError:
                self.down[target] = loop.time()
                target = self._next_live(target)
            finally:
                self.in_flight[exchange.upstreams[-1]] -= 1
        return None

    async def post(self, exchange: Exchange, upstream: str) -> Exchange:
        """WeChat's delivery of one message: first to `upstream`, re-posted after each
        timeout (same request) to the next live upstream, `retries` times at most."""
        target: str | None = upstream
        for _ in range(1 + self.peer.config.retries):
            if target is None:
                break
            answer = await self.attempt(exchange, target)
            if answer is not None:
                return self.settle(exchange, *answer)
            target = self._next_live(exchange.upstreams[-1])
        exchange.status, exchange.reply = None, None
        exchange.error = f"no answer after {len(exchange.upstreams)} attempt(s)"
        return exchange

    def settle(self, exchange: Exchange, status: int, body: str) -> Exchange:
        _, reply, error = self.peer.read_reply(status, body, openid=exchange.openid)
        exchange.status, exchange.error = status, error
        exchange.reply = "" if reply is None and error is None else (reply or {}).get("Content")
        return exchange

    async def post_copy(self, exchange: Exchange, upstream: str) -> Exchange:
        """The same request once more, to `upstream`, as a separate delivery (what WeChat does
        when it re-posts): returns a copy of the exchange with this attempt's answer."""
        copy = Exchange(exchange.openid, exchange.text, exchange.msg_id, exchange.request)
        return await self.post(copy, upstream)


@dataclass
class Deployment:
    settings: Settings
    config: Path
    logs: Path
    db: Database
    sim: SimulatorState
    procs: list[Proc] = field(default_factory=list)
    web: dict[str, Proc] = field(default_factory=dict)

    # -- processes -------------------------------------------------------------------------
    async def _spawn(self, name: str, *args: str) -> Proc:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MINYI_")}
        env["MINYI_CONFIG"] = str(self.config)
        log = self.logs / f"{name}.log"
        with log.open("ab") as out:
            process = await asyncio.create_subprocess_exec(
                *minyi_command(), *args, cwd=REPO, env=env, stdout=out, stderr=out,
            )
        proc = Proc(name, process, log)
        self.procs.append(proc)
        return proc

    async def start_web(self, name: str, port: int | None = None) -> Proc:
        """`minyi serve` on its own port (the port it had, when restarted); waits for
        /healthz to answer 200."""
        port = port or free_port()
        proc = await self._spawn(name, "serve", "--port", str(port), "--host", "127.0.0.1")
        proc.port = port
        self.web[name] = proc
        await self.ready(proc)
        return proc

    async def ready(self, proc: Proc, within: float = 90.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        async with aiohttp.ClientSession() as http:
            while loop.time() < deadline:
                assert proc.alive, f"{proc.name} exited on start; see {proc.log}:\n{proc.tail()}"
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with http.get(proc.url + "/healthz",
                                        timeout=aiohttp.ClientTimeout(total=5)) as response:
                        if response.status == 200:
                            return
                await asyncio.sleep(0.2)
        raise AssertionError(f"{proc.name} not healthy within {within} s; see {proc.log}")

    async def start_worker(self, name: str, *, scheduler: bool) -> Proc:
        args = ["worker", "--id", name] + ([] if scheduler else ["--no-scheduler"])
        return await self._spawn(name, *args)

    async def kill(self, proc: Proc) -> None:
        proc.killed = True
        proc.process.send_signal(signal.SIGKILL)
        await proc.process.wait()

    def freeze(self, proc: Proc) -> None:
        """SIGSTOP: the process stands still, its sockets open (a frozen VM, a swap storm)."""
        proc.process.send_signal(signal.SIGSTOP)

    def thaw(self, proc: Proc) -> None:
        proc.process.send_signal(signal.SIGCONT)

    async def stop(self) -> None:
        for proc in self.procs:
            if proc.alive:
                proc.process.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                await asyncio.wait_for(proc.process.wait(), 15)
            except TimeoutError:
                proc.process.kill()
                await proc.process.wait()

    def where(self) -> str:
        """For assertion messages: every process's log."""
        return "logs: " + ", ".join(f"{p.name}={p.log}" for p in self.procs)

    def check_alive(self, *names: str) -> None:
        for proc in self.procs:
            if (proc.name in names or not names) and not proc.killed:
                assert proc.alive, f"{proc.name} died; see {proc.log}:\n{proc.tail()}"

    # -- the database ------------------------------------------------------------------------
    async def scalar(self, stmt: Any) -> Any:
        async with self.db.session() as session:
            return (await session.execute(stmt)).scalar_one()

    async def rows(self, stmt: Any) -> list[Any]:
        async with self.db.session() as session:
            return list((await session.execute(stmt)).all())

    async def inbound(self) -> Counter[tuple[str, int]]:
        """(openid, MsgId) of every resident message recorded, with how often."""
        rows = await self.rows(
            select(Resident.openid, Message.wechat_msg_id)
            .join(Resident, Resident.id == Message.resident_id)
            .where(Message.direction == "in"))
        return Counter((openid, int(msg_id)) for openid, msg_id in rows)

    async def story(self, openid: str) -> list[str]:
        """For assertion messages: what the database holds of a resident's chat."""
        rows = await self.rows(
            select(Message.id, Message.direction, Message.content, Message.reply,
                   Message.created_at)
            .join(Resident, Resident.id == Message.resident_id)
            .where(Resident.openid == openid).order_by(Message.id))
        out = [f"  message {r.id} {r.direction} {r.created_at:%H:%M:%S.%f}: {r.content!r} "
               f"-> {(r.reply or '')[:60]!r}" for r in rows]
        notices = await self.rows(select(OutboxRow.kind, OutboxRow.status, OutboxRow.text)
                                  .where(OutboxRow.openid == openid).order_by(OutboxRow.id))
        out += [f"  outbox {r.kind} {r.status}: {r.text[:60]!r}" for r in notices]
        return out

    async def late_reply(self, openid: str, msg_id: int) -> str | None:
        """The late_reply notice written for one message, if any."""
        rows = await self.rows(
            select(OutboxRow.text)
            .join(Message, OutboxRow.idempotency_key == func.concat("late_reply:", Message.id))
            .join(Resident, Resident.id == Message.resident_id)
            .where(Resident.openid == openid, Message.wechat_msg_id == msg_id))
        return rows[0].text if rows else None

    async def slips(self) -> dict[str, list[str]]:
        """Slip numbers per resident openid."""
        out: dict[str, list[str]] = {}
        for openid, number in await self.rows(select(Slip.openid, Slip.number)
                                              .order_by(Slip.id)):
            out.setdefault(openid, []).append(number)
        return out

    async def until(self, check: Any, what: str, within: float = 60.0) -> None:
        """Polls the async `check()` until it is true; fails after `within` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not await check():
            if loop.time() > deadline:
                raise AssertionError(f"timed out waiting for {what}; {self.where()}")
            await asyncio.sleep(0.1)

    async def settled(self, within: float = 90.0) -> list[OutboxRow]:
        """Waits until every outbox row is final; returns them."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while loop.time() < deadline:
            self.check_alive(*[p.name for p in self.procs if p.name.startswith("worker")])
            waiting = await self.scalar(
                select(func.count()).select_from(OutboxRow).where(OutboxRow.status.not_in(FINAL)))
            if waiting == 0:
                await self.sim.drain()
                async with self.db.session() as session:
                    return list((await session.scalars(
                        select(OutboxRow).order_by(OutboxRow.id))).all())
            await asyncio.sleep(0.2)
        raise AssertionError(f"outbox not settled within {within} s; {self.where()}")

    def delivered(self) -> list[tuple[str, str]]:
        """(openid, text) of every message the simulator delivered, in order."""
        out = []
        for entry in self.sim.sent:
            data = entry["data"]
            if entry["channel"] == "custom":
                out.append((entry["openid"], data["text"]["content"]))
            else:
                out.append((entry["openid"], data["data"]["remark"]["value"]))
        return out


def write_config(settings: Settings, path: Path) -> Path:
    path.write_text(yaml.safe_dump(settings.model_dump(mode="json", exclude={"source"}),
                                   allow_unicode=True), encoding="utf-8")
    return path
