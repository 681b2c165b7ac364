"""kill -9 of `minyi worker` at a random moment: how often is a notification lost or sent
twice, under each `delivery.in_doubt` policy?

    .venv/bin/python bench/delivery_kill.py [--trials 10] [--rows 120] [--residents 12]
                                            [--policy skip|resend]

Each trial: a fresh PostgreSQL database, the WeChat simulator in this process, `rows`
notifications to `residents` residents (half inside the 48-hour chat window, half outside:
template messages), a worker process killed with SIGKILL at a random moment while it sends,
a second worker that finishes the job. The simulator's record says what the residents got.
Prints, per policy, the in-doubt calls, the lost and the duplicated notifications by the
channel of their first delivery (a chat message sent again may go out as a template when the
resident's chat quota is used up).
Needs PostgreSQL and Redis (the test command starts them).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import sys
import tempfile
import uuid
from collections import Counter
from pathlib import Path

import asyncpg
import yaml
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select

from bot.config import load_settings
from bot.delivery.models import DeliveryAttempt
from bot.outbox import Notice, OutboxRow, OutboxStatus, enqueue
from bot.simulator import SIMULATOR_STATE, SimulatorConfig, create_simulator_app
from bot.storage import Database
from bot.storage.messages import upsert_resident
from bot.storage.types import utcnow

REPO = Path(__file__).resolve().parents[1]
PG = os.environ.get("MINYI_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("MINYI_TEST_REDIS", "redis://127.0.0.1:6379/15")
APPID, SECRET, TOKEN = "wxbenchdelivery01", "bench-secret", "benchtoken"
AES = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def minyi() -> list[str]:
    script = Path(sys.executable).parent / "minyi"
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]


async def trial(policy: str, rows: int, residents: int, rng: random.Random) -> dict[str, int]:
    name = f"minyi_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(PG)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = PG.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + "/" + name
    server = TestServer(create_simulator_app(SimulatorConfig(
        token=TOKEN, appid=APPID, secret=SECRET, aes_key=AES,
        webhook_url="http://127.0.0.1:9/wechat", push_job_events=False)), host="127.0.0.1")
    await server.start_server()
    sim = server.app[SIMULATOR_STATE]
    settings = load_settings(environ={}).with_overrides(**{
        "database.url": url, "redis.url": REDIS, "redis.prefix": name,
        "wechat.appid": APPID, "wechat.secret": SECRET, "wechat.token": TOKEN,
        "wechat.aes_key": AES, "wechat.api_base": str(server.make_url("")).rstrip("/"),
        "delivery.in_doubt": policy, "delivery.api_timeout_seconds": 1.0,
        "delivery.connect_timeout_seconds": 0.5, "delivery.lease_seconds": 5.0,
        "delivery.poll_seconds": 0.05, "delivery.retry.base_seconds": 0.05,
        "delivery.retry.max_seconds": 0.5, "delivery.retry.max_attempts": 30,
        "delivery.templates.default.template_id": "TPL_BENCH", "logging.format": "text",
    })
    db = Database.open(url)
    procs: list[asyncio.subprocess.Process] = []
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.yaml"
        config.write_text(yaml.safe_dump(settings.model_dump(mode="json", exclude={"source"}),
                                         allow_unicode=True), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("MINYI_")}
        env["MINYI_CONFIG"] = str(config)
        try:
            await db.upgrade()
            openids = [f"oBenchKill{n:03d}{uuid.uuid4().hex[:15]}" for n in range(residents)]
            async with db.session() as session:
                for n, openid in enumerate(openids):
                    sim.add_resident(openid)
                    if n % 2 == 0:
                        sim.note_incoming(openid, {"MsgType": "text"})
                    await upsert_resident(session, openid, at=utcnow(), touch=n % 2 == 0)
                for n in range(rows):
                    openid = openids[n % residents]
                    await enqueue(session, Notice(kind="reply", text=f"{openid}#{n}",
                                                  idempotency_key=f"{openid}#{n}",
                                                  openid=openid))

            async def start(worker: str) -> asyncio.subprocess.Process:
                proc = await asyncio.create_subprocess_exec(
                    *minyi(), "worker", "--id", worker, "--no-scheduler", cwd=REPO, env=env,
                    stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
                procs.append(proc)
                return proc

            first = await start("killed")
            kill_after = rng.randint(1, rows - 1)
            while len(sim.sent) < kill_after:  # noqa: ASYNC110 - polls the simulator
                await asyncio.sleep(0)
            await asyncio.sleep(rng.random() * 0.01)
            first.send_signal(signal.SIGKILL)
            await first.wait()
            async with db.session() as session:
                in_doubt = dict(Counter((await session.execute(
                    select(DeliveryAttempt.channel).where(DeliveryAttempt.outcome.is_(None))
                )).scalars()))
            second = await start("second")
            while True:
                if second.returncode is not None:
                    raise RuntimeError(f"the second worker exited ({second.returncode})")
                async with db.session() as session:
                    left = (await session.execute(select(func.count()).where(
                        OutboxRow.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING))
                    ))).scalar_one()
                if not left:
                    break
                await asyncio.sleep(0.1)
            await sim.drain()
        finally:
            for proc in procs:
                if proc.returncode is None:
                    proc.kill()
                    await proc.wait()
            await db.close()
            await server.close()
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()
    got = Counter()
    channel_of: dict[str, str] = {}
    for entry in sim.sent:
        data = entry["data"]
        text = data["text"]["content"] if entry["channel"] == "custom" else \
            data["data"]["remark"]["value"]
        got[text] += 1
        channel_of.setdefault(text, entry["channel"])  # the first delivery's channel
    wanted = {f"{openids[n % residents]}#{n}" for n in range(rows)}
    lost = [t for t in wanted if t not in got]
    lost_custom = [t for t in lost if openids.index(t.split("#")[0]) % 2 == 0]
    twice = [t for t, n in got.items() if n > 1]
    return {
        "in_doubt_custom": in_doubt.get("custom", 0),
        "in_doubt_template": in_doubt.get("template", 0),
        "lost_custom": len(lost_custom),
        "lost_template": len(lost) - len(lost_custom),
        "twice_custom": len([t for t in twice if channel_of[t] == "custom"]),
        "twice_template": len([t for t in twice if channel_of[t] == "template"]),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--rows", type=int, default=120)
    parser.add_argument("--residents", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--policy", action="append", choices=["skip", "resend"],
                        help="in_doubt policy to measure (repeat; default both)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    for policy in args.policy or ["skip", "resend"]:
        total: Counter[str] = Counter()
        for _ in range(args.trials):
            total.update(await trial(policy, args.rows, args.residents, rng))
        print(f"in_doubt={policy}: {args.trials} kills, {args.trials * args.rows} notifications")
        print(f"  calls in doubt at the kill: chat {total['in_doubt_custom']}, "
              f"template {total['in_doubt_template']}")
        print(f"  lost: chat {total['lost_custom']}, template {total['lost_template']}")
        print(f"  sent twice: chat {total['twice_custom']}, template {total['twice_template']}")


if __name__ == "__main__":
    asyncio.run(main())
