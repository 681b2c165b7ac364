"""Private servers that a fault test may kill, and the real processes that must survive it.

- `private_redis`: a redis-server of the test's own on a free port (no persistence: a kill
  loses everything, as a restart of an unpersisted Redis would). The shared server on 6379 is
  never touched.
- `private_pg`: a PostgreSQL cluster of the session's own (initdb + pg_ctl, as the `postgres`
  user when the tests run as root), restarted at will; one migrated database per test.
- `Rig`: `minyi serve` and `minyi worker` as subprocesses on those servers, the WeChat
  simulator in the test's event loop as the outbound API, and residents talking through the
  simulator's WeChatPeer (signed, encrypted, retried like WeChat).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
import yaml
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select

from bot.config import Settings
from bot.outbox import OutboxRow, OutboxStatus
from bot.simulator import SIMULATOR_STATE, SimulatorState, create_simulator_app
from bot.staff.directory import StaffDirectory
from bot.storage import Database
from bot.storage.models import Message, Resident
from tests.bot.delivery.conftest import FAST, sim_config
from tests.conftest import REPO, make_settings

SLIP_NUMBER = re.compile(r"JB\d{13}")
PG_BIN = Path(os.environ.get("MINYI_PG_BIN", "/usr/lib/postgresql/15/bin"))
FINAL = (OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.UNDELIVERABLE)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, within: float, alive: Any = None) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if alive is not None and not alive():
            raise RuntimeError(f"the server on port {port} exited while starting")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)
    raise RuntimeError(f"nothing listens on port {port} after {within} s")


# -- Redis ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TlsFiles:
    """A throwaway CA and a server certificate for 127.0.0.1 / localhost that it signed."""

    ca: Path
    cert: Path
    key: Path

    @classmethod
    def make(cls, folder: Path) -> TlsFiles:
        import datetime
        import ipaddress

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        now = datetime.datetime.now(datetime.UTC)

        def certificate(subject: str, key: Any, issuer: Any, issuer_key: Any,
                        *, ca: bool) -> x509.Certificate:
            builder = (
                x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
                .issuer_name(issuer)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(minutes=5))
                .not_valid_after(now + datetime.timedelta(days=1))
                .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            )
            if not ca:
                builder = builder.add_extension(x509.SubjectAlternativeName([
                    x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]), critical=False)
            return builder.sign(issuer_key, hashes.SHA256())

        ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(
            ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "minyi test CA")])
        ca_cert = certificate("minyi test CA", ca_key, ca_name, ca_key, ca=True)
        server_cert = certificate("127.0.0.1", server_key, ca_name, ca_key, ca=False)
        files = cls(folder / "ca.pem", folder / "server.pem", folder / "server.key")
        pem = serialization.Encoding.PEM
        files.ca.write_bytes(ca_cert.public_bytes(pem))
        files.cert.write_bytes(server_cert.public_bytes(pem))
        files.key.write_bytes(server_key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        return files

    def server_args(self) -> list[str]:
        """redis-server's options for TLS only, replication by TLS, no client certificates."""
        return ["--tls-cert-file", str(self.cert), "--tls-key-file", str(self.key),
                "--tls-ca-cert-file", str(self.ca), "--tls-auth-clients", "no",
                "--tls-replication", "yes"]


class RedisServer:
    """One redis-server process; `kill()` is SIGKILL, `start()` comes back on the same port."""

    def __init__(self, workdir: Path, tls: TlsFiles | None = None) -> None:
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            pytest.fail("redis-server is not installed (scripts/test.sh installs it)")
        self.port = free_port()
        self.workdir = workdir
        self.tls = tls
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        if self.tls:
            return f"rediss://127.0.0.1:{self.port}/0?ssl_ca_certs={self.tls.ca}"
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, *, replica_of: int | None = None) -> None:
        assert self.proc is None or self.proc.poll() is not None
        log = open(self.workdir / "redis.log", "ab")  # noqa: SIM115 - handed to the child
        replica = ["--replicaof", "127.0.0.1", str(replica_of)] if replica_of else []
        listen = (["--port", "0", "--tls-port", str(self.port), *self.tls.server_args()]
                  if self.tls else ["--port", str(self.port)])
        self.proc = subprocess.Popen(
            [self.binary, *listen, "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.workdir), *replica],
            stdout=log, stderr=log,
        )
        log.close()
        _wait_for_port(self.port, 20, lambda: self.proc is not None and self.proc.poll() is None)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.kill()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


class SentinelSet:
    """A master, its replica and one sentinel (quorum 1) watching them, as service `minyi`:
    the smallest set in which Sentinel fails a master over. Quick to decide: a master is down
    after 1 s without an answer."""

    SERVICE = "minyi"

    def __init__(self, workdir: Path, tls: TlsFiles | None = None) -> None:
        (workdir / "master").mkdir()
        (workdir / "replica").mkdir()
        self.master = RedisServer(workdir / "master", tls)
        self.replica = RedisServer(workdir / "replica", tls)
        self.workdir = workdir
        self.tls = tls
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        if self.tls:
            return (f"rediss+sentinel://127.0.0.1:{self.port}/{self.SERVICE}/0"
                    f"?ssl_ca_certs={self.tls.ca}")
        return f"redis+sentinel://127.0.0.1:{self.port}/{self.SERVICE}/0"

    def start(self) -> None:
        self.master.start()
        self.replica.start(replica_of=self.master.port)
        config = self.workdir / "sentinel.conf"  # Sentinel rewrites its file: one of ours
        if self.tls:
            options = self.tls.server_args()
            listen = "port 0\n" + f"tls-port {self.port}\n" + "".join(
                f"{name.lstrip('-')} {value}\n" for name, value in zip(
                    options[::2], options[1::2], strict=True))
        else:
            listen = f"port {self.port}\n"
        config.write_text(
            f"{listen}bind 127.0.0.1\ndir {self.workdir}\n"
            f"sentinel monitor {self.SERVICE} 127.0.0.1 {self.master.port} 1\n"
            f"sentinel down-after-milliseconds {self.SERVICE} 1000\n"
            f"sentinel failover-timeout {self.SERVICE} 10000\n", encoding="utf-8")
        log = open(self.workdir / "sentinel.log", "ab")  # noqa: SIM115 - handed to the child
        self.proc = subprocess.Popen([self.master.binary, str(config), "--sentinel"],
                                     stdout=log, stderr=log)
        log.close()
        _wait_for_port(self.port, 20, lambda: self.proc is not None and self.proc.poll() is None)

    def _client(self) -> Any:
        from redis import Redis

        tls = {"ssl": True, "ssl_ca_certs": str(self.tls.ca)} if self.tls else {}
        return Redis(host="127.0.0.1", port=self.port, decode_responses=True, socket_timeout=2,
                     **tls)

    def master_port(self) -> int:
        with self._client() as client:
            _, port = client.sentinel_get_master_addr_by_name(self.SERVICE)
        return int(port)

    def replica_ports(self) -> list[int]:
        """The replicas Sentinel sees up and in sync with the master."""
        with self._client() as client:
            replicas = client.sentinel_slaves(self.SERVICE)
        return [int(r["port"]) for r in replicas
                if not r["is_sdown"] and r.get("master-link-status") == "ok"]

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.master.stop()
        self.replica.stop()


@pytest.fixture
def redis_sentinel(tmp_path: Path) -> Iterator[SentinelSet]:
    servers = SentinelSet(tmp_path)
    try:
        servers.start()
        yield servers
    finally:
        servers.stop()


@pytest.fixture
def redis_sentinel_tls(tmp_path: Path) -> Iterator[SentinelSet]:
    """The same set speaking TLS only (no plaintext port), replication and Sentinel included."""
    servers = SentinelSet(tmp_path, TlsFiles.make(tmp_path))
    try:
        servers.start()
        yield servers
    finally:
        servers.stop()


# -- PostgreSQL ----------------------------------------------------------------------------------
class PgCluster:
    """A throwaway cluster: trust auth, a socket in its own folder, fsync off (a kill of the
    server still loses nothing committed: only an OS crash would)."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="minyi-faults-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.root, "postgres", "postgres")

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_postgres else []
        return subprocess.run([*prefix, *args], capture_output=True, text=True, check=check,
                              timeout=120, cwd=self.root)

    def init(self) -> None:
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "--auth=trust",
                  "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C")

    def pg_ctl(self, *args: str) -> None:
        opts = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c max_connections=100")
        result = self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", opts,
                           "-l", str(self.root / "server.log"), "-w", "-t", "60", *args,
                           check=False)
        if result.returncode != 0:
            raise RuntimeError(f"pg_ctl {' '.join(args)} failed: {result.stdout}{result.stderr}"
                               f"\n{self.log_tail()}")

    def start(self) -> None:
        self.pg_ctl("start")

    def stop(self, mode: str = "fast") -> None:
        self.pg_ctl("stop", "-m", mode)

    def restart(self, mode: str = "immediate") -> None:
        self.pg_ctl("restart", "-m", mode)

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = (self.root / "server.log").read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def admin_url(self, db: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"

    def url(self, db: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{db}"

    def create_database(self) -> str:
        name = f"minyi_{uuid.uuid4().hex[:10]}"

        async def create() -> None:
            conn = await asyncpg.connect(self.admin_url())
            try:
                await conn.execute(f'CREATE DATABASE "{name}"')
            finally:
                await conn.close()

        asyncio.run(create())
        return name

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "stop", "-m", "immediate",
                      check=False)
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def private_pg() -> Iterator[PgCluster]:
    """A PostgreSQL cluster for this run. Skips, loudly, only when the server binaries are not
    installed at all (scripts/test.sh installs them, so CI has them)."""
    if not (PG_BIN / "initdb").exists() or not (PG_BIN / "pg_ctl").exists():
        message = (f"FAULT TESTS NOT RUN: no PostgreSQL server binaries in {PG_BIN} "
                   "(apt-get install postgresql, or set MINYI_PG_BIN)")
        print(f"\n*** {message} ***", file=sys.stderr)
        pytest.skip(message)
    cluster = PgCluster()
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


class PgPair:
    """A primary and a streaming standby made from its base backup (pg_basebackup -R), on
    ports of their own; `url(db)` names both, for a client that picks the writable one
    (target_session_attrs=read-write): what a failover without a virtual IP looks like."""

    def __init__(self) -> None:
        self.primary = PgCluster()
        self.standby = PgCluster()

    def start(self) -> None:
        self.primary.init()
        self.primary.start()

    def start_standby(self) -> None:
        """From the primary as it is now (databases created before are in it)."""
        self.standby._run(str(PG_BIN / "pg_basebackup"), "-D", str(self.standby.data),
                          "-h", "127.0.0.1", "-p", str(self.primary.port), "-U", "postgres",
                          "-R", "-X", "stream", "--no-sync", "--checkpoint=fast")
        self.standby.start()

    def url(self, db: str) -> str:
        return (f"postgresql+asyncpg://postgres@/{db}?host=127.0.0.1:{self.primary.port}"
                f"&host=127.0.0.1:{self.standby.port}&target_session_attrs=read-write")

    async def caught_up(self) -> bool:
        """The standby has replayed everything the primary wrote."""
        primary = await asyncpg.connect(self.primary.admin_url())
        standby = await asyncpg.connect(self.standby.admin_url())
        try:
            written = await primary.fetchval("SELECT pg_current_wal_lsn()")
            replayed = await standby.fetchval("SELECT pg_last_wal_replay_lsn()")
            return replayed is not None and replayed >= written
        finally:
            await primary.close()
            await standby.close()

    def promote(self) -> None:
        self.standby.pg_ctl("promote")

    def destroy(self) -> None:
        self.standby.destroy()
        self.primary.destroy()


@pytest.fixture
def pg_pair() -> Iterator[PgPair]:
    if not (PG_BIN / "pg_basebackup").exists():
        pytest.fail(f"no pg_basebackup in {PG_BIN} (scripts/test.sh installs PostgreSQL)")
    pair = PgPair()
    try:
        pair.start()
        yield pair
    finally:
        pair.destroy()


@pytest.fixture
def private_pg_url(private_pg: PgCluster) -> str:
    """A migrated database of the test's own on the private cluster."""
    url = private_pg.url(private_pg.create_database())

    async def upgrade() -> None:
        db = Database.open(url)
        try:
            await db.upgrade()
        finally:
            await db.close()

    asyncio.run(upgrade())
    return url


# -- the processes -------------------------------------------------------------------------------
def minyi_command() -> list[str]:
    script = Path(sys.executable).parent / "minyi"
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]


@dataclass
class Rig:
    """minyi serve + minyi worker subprocesses, the simulator in this event loop."""

    settings: Settings
    config: Path
    logs: Path
    sim: SimulatorState
    web_port: int
    db: Database
    procs: dict[str, asyncio.subprocess.Process] = field(default_factory=dict)
    http: aiohttp.ClientSession | None = None
    posts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    async def _spawn(self, name: str, *args: str) -> asyncio.subprocess.Process:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MINYI_")}
        env["MINYI_CONFIG"] = str(self.config)
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115, ASYNC230 - tiny, local
        proc = await asyncio.create_subprocess_exec(
            *minyi_command(), *args, cwd=REPO, env=env, stdout=log, stderr=log)
        log.close()
        self.procs[name] = proc
        return proc

    def log_of(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    async def start_web(self) -> None:
        proc = await self._spawn("web", "serve", "--host", "127.0.0.1",
                                 "--port", str(self.web_port))
        deadline = asyncio.get_running_loop().time() + 60
        assert self.http is not None
        while True:
            assert proc.returncode is None, f"minyi serve exited:\n{self.log_of('web')}"
            try:
                async with self.http.get(f"{self.base}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"minyi serve not healthy in 60 s:\n{self.log_of('web')}")
            await asyncio.sleep(0.1)

    async def start_worker(self) -> None:
        await self._spawn("worker", "worker", "--id", "fault-worker")

    def assert_running(self) -> None:
        """Recovery means the same processes, never a restart by hand."""
        for name, proc in self.procs.items():
            assert proc.returncode is None, f"{name} exited ({proc.returncode}):\n" \
                                            f"{self.log_of(name)[-3000:]}"

    async def healthz(self) -> tuple[int, dict[str, Any]]:
        assert self.http is not None
        async with self.http.get(f"{self.base}/healthz") as response:
            return response.status, await response.json()

    async def until_healthy(self, within: float = 60.0) -> None:
        await until(lambda: self._healthy(), "the web process to report healthy", within)

    async def _healthy(self) -> bool:
        try:
            status, _ = await self.healthz()
        except aiohttp.ClientError:
            return False
        return status == 200

    async def say(self, openid: str, text: str) -> dict[str, Any]:
        """A resident writes (WeChat's retries included); what came back. Every post is kept
        in `self.posts` for the checks at the end."""
        return await self.send(openid, "text", content=text)

    async def send(self, openid: str, kind: str, **fields: Any) -> dict[str, Any]:
        """Any message through the simulator, kept in `self.posts`."""
        result = await self.sim.send(openid, kind, **fields)
        self.posts.append({"openid": openid, "text": fields.get("content", f"[{kind}]"),
                           **result})
        return result

    async def complain(self, openid: str, text: str, *, limit: int = 15) -> str:
        """A resident reports `text` (problem, place and phone in one message) and confirms
        the summary, sending a message again whenever it was not taken (WeChat's "暂时无法提供
        服务", our apology, "登记时出了点问题") as a person would; the slip number."""
        outgoing = text
        replies = []
        for _ in range(limit):
            result = await self.say(openid, outgoing)
            reply = result["reply_text"] or ""
            replies.append(reply or result["error"])
            number = SLIP_NUMBER.search(reply)
            if number and "交办单号" in reply:
                return number.group(0)
            if "请核对" in reply:
                outgoing = "确认"
            else:
                await asyncio.sleep(0.3)  # not taken: the same words again, a moment later
        raise AssertionError(f"{openid} got no slip after {limit} messages: {replies}")

    async def staff_token(self) -> str:
        """A write token of an administrator (the API as a department system uses it)."""
        directory = StaffDirectory(self.db)
        member = await directory.create_user(f"admin{uuid.uuid4().hex[:6]}",
                                             password="fault-test-password-1", role="admin")
        _, token = await directory.create_token(member.id, name="faults", scope="write")
        return token

    async def act(self, token: str, number: str, action: str, **body: Any) -> None:
        """Staff take a step on a slip through the web process's API, pressing the button
        again after a server error; the version makes a step that did go through the first
        time come back 409 instead of happening twice."""
        assert self.http is not None
        headers = {"Authorization": f"Bearer {token}"}
        url = f"{self.base}/api/v1/slips/{number}"
        failures: list[str] = []
        for _ in range(30):
            try:
                async with self.http.get(url, headers=headers) as response:
                    if response.status >= 500:
                        raise aiohttp.ClientResponseError(
                            response.request_info, (), status=response.status)
                    assert response.status == 200, await response.text()
                    version = (await response.json())["version"]
                async with self.http.post(f"{url}/actions/{action}", headers=headers,
                                          json={**body, "expected_version": version}) as response:
                    if response.status < 300:
                        return
                    if response.status == 409 and failures:
                        return  # the earlier press went through
                    if response.status < 500:
                        raise AssertionError(f"{action} on {number}: {response.status} "
                                             f"{await response.text()}")
                    failures.append(str(response.status))
            except aiohttp.ClientError as exc:
                failures.append(type(exc).__name__)
            await asyncio.sleep(0.3)
        raise AssertionError(f"{action} on {number} failed 30 times: {failures}")

    def delivered(self) -> Counter[tuple[str, str]]:
        """(openid, text) of every message pushed to a resident, counted."""
        seen: Counter[tuple[str, str]] = Counter()
        for entry in self.sim.sent:
            data = entry["data"]
            text = (data["text"]["content"] if entry["channel"] == "custom"
                    else data["data"]["remark"]["value"])
            seen[(entry["openid"], text)] += 1
        return seen

    async def check_nothing_lost(self) -> None:
        """Every message the resident got an answer to is recorded once, with that answer;
        no message is recorded that was never sent."""
        answered = {int(p["msg_id"]): p for p in self.posts
                    if p["status"] == 200 and not p["error"]}
        async with self.db.session() as session:
            rows = (await session.execute(
                select(Message.wechat_msg_id, Message.reply, Resident.openid)
                .join(Resident, Resident.id == Message.resident_id)
                .where(Message.direction == "in", Message.msg_type != "event"))).all()
        recorded = Counter(row.wechat_msg_id for row in rows)
        assert [m for m, n in recorded.items() if n > 1] == []
        by_id = {row.wechat_msg_id: row for row in rows}
        sent = {int(p["msg_id"]) for p in self.posts}
        assert set(by_id) <= sent, "a message recorded that nobody sent"
        for msg_id, post in answered.items():
            assert msg_id in by_id, f"answered but not recorded: {post['text']!r}"
            row = by_id[msg_id]
            assert row.openid == post["openid"]
            assert (row.reply or "") == (post["reply_text"] or ""), post["text"]

    async def outbox_settled(self, within: float = 60.0) -> None:
        async def settled() -> bool:
            self.assert_running()
            try:
                async with self.db.session() as session:
                    open_rows = (await session.execute(
                        select(func.count()).where(OutboxRow.status.not_in(FINAL)))).scalar_one()
            except Exception:  # noqa: BLE001 - the database may be on its way back
                return False
            return open_rows == 0

        await until(settled, "every notification to be delivered", within)
        await self.sim.drain()


async def until(check: Any, what: str, within: float = 60.0) -> None:
    """Poll `check()` until it is true; fail after `within` seconds (generous: no timing is
    asserted, this only bounds a hang)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {within} s waiting for {what}")
        await asyncio.sleep(0.05)


def write_config(path: Path, settings: Settings) -> None:
    path.write_text(yaml.safe_dump(settings.model_dump(mode="json", exclude={"source"}),
                                   allow_unicode=True), encoding="utf-8")


@pytest.fixture
async def make_rig(tmp_path: Path) -> AsyncIterator[Any]:
    """`await make_rig(database_url, redis_url, **setting_overrides)` → a Rig with the
    simulator up and the config written; the test starts the processes it wants."""
    made: list[tuple[Rig, TestServer]] = []

    async def factory(database_url: str, redis_url: str, **overrides: Any) -> Rig:
        web_port = free_port()
        server = TestServer(
            create_simulator_app(sim_config(f"http://127.0.0.1:{web_port}/wechat")),
            host="127.0.0.1")
        await server.start_server()
        settings = make_settings(**{
            **FAST,
            "database.url": database_url,
            "redis.url": redis_url,
            "redis.prefix": "faults",
            "wechat.api_base": str(server.make_url("")).rstrip("/"),
            "delivery.poll_seconds": 0.1,
            "delivery.api_timeout_seconds": 1.0,
            "delivery.lease_seconds": 5.0,
            "delivery.retry.max_attempts": 40,
            "delivery.retry.max_seconds": 0.5,
            "logging.level": "INFO",
            **overrides,
        })
        config = tmp_path / f"config-{len(made)}.yaml"
        write_config(config, settings)
        rig = Rig(settings, config, tmp_path, server.app[SIMULATOR_STATE], web_port,
                  Database.open(database_url, pool_size=2))
        rig.http = aiohttp.ClientSession()
        made.append((rig, server))
        return rig

    yield factory
    for rig, server in made:
        if rig.http is not None:
            await rig.http.close()  # no idle connection for the web process to wait for
        await server.close()
        for proc in rig.procs.values():  # a clean stop is tested elsewhere
            if proc.returncode is None:
                proc.kill()
            await proc.wait()
        await rig.db.close()
