"""Conversation benchmark: replays the scenarios of bench/scenarios.yaml through WeChat.

Every scenario is a resident talking to the real webhook (bot.app.create_app, SQLite and
in-process stores by default) over real HTTP, with messages signed and encrypted by the
simulator's WeChatPeer; the WeChat simulator app is mounted as in `minyi demo`. After each
step the slips of that resident are read from the database. Printed: slips issued, resident
turns to a slip (median, max) and every failed scenario with its transcript.

    python bench/dialogs.py                 # all scenarios
    python bench/dialogs.py --tag ci        # the subset the tests run
    python bench/dialogs.py --id emergency-fire -v

Checks on every reply: at most one question; the step's `expect` / `expect_not` / `first`
texts. Per scenario: the number of slips issued, `max_turns` to the first slip, and fields
of the last slip (`slip:`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import re
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from aiohttp import web
from sqlalchemy import select

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bot.app import create_app  # noqa: E402
from bot.cli import warm_up  # noqa: E402
from bot.config import Settings, load_settings  # noqa: E402
from bot.simulator import SimulatorConfig, WeChatPeer, mount_simulator  # noqa: E402
from bot.slips.actor import Actor  # noqa: E402
from bot.slips.models import Slip  # noqa: E402
from bot.slips.service import SlipService  # noqa: E402
from handlers import conversation, keys  # noqa: E402

SCENARIOS = Path(__file__).with_name("scenarios.yaml")
SLIP_NUMBER = re.compile(r"JB\d{13}")
QUESTION_MARKS = re.compile(r"[?？]")
STEP_KINDS = ("say", "voice", "photo", "location", "click", "subscribe", "wait_minutes",
              "staff_close", "staff_reply", "repeat")


# -- scenarios ---------------------------------------------------------------------------------
@dataclass
class Scenario:
    id: str
    about: str
    steps: list[dict[str, Any]]
    tags: tuple[str, ...] = ()
    known_phone: str | None = None
    slips: int | None = None
    max_turns: int | None = None
    slip: dict[str, Any] = field(default_factory=dict)


def load_scenarios(
    path: Path = SCENARIOS, *, tags: set[str] | None = None, ids: set[str] | None = None
) -> list[Scenario]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out: list[Scenario] = []
    seen: set[str] = set()
    for index, raw in enumerate(data["scenarios"]):
        where = f"{path.name}: scenarios[{index}]"
        if raw["id"] in seen:
            raise ValueError(f"{where}: id {raw['id']!r} appears twice")
        seen.add(raw["id"])
        for n, step in enumerate(raw["steps"]):
            if not any(kind in step for kind in STEP_KINDS):
                raise ValueError(f"{where}.steps[{n}]: needs one of {', '.join(STEP_KINDS)}")
        scenario = Scenario(
            id=raw["id"],
            about=raw.get("about", ""),
            steps=raw["steps"],
            tags=tuple(raw.get("tags") or ()),
            known_phone=raw.get("known_phone"),
            slips=raw.get("slips"),
            max_turns=raw.get("max_turns"),
            slip=raw.get("slip") or {},
        )
        if tags and not tags & set(scenario.tags):
            continue
        if ids and scenario.id not in ids:
            continue
        out.append(scenario)
    return out


# -- the running webhook -----------------------------------------------------------------------
class Site:
    """The webhook and the simulator on an ephemeral port, with a peer that posts like WeChat."""

    def __init__(self, app: web.Application, runner: web.AppRunner, base: str,
                 peer: WeChatPeer, session: aiohttp.ClientSession) -> None:
        self.app = app
        self.runner = runner
        self.base = base
        self.peer = peer
        self.session = session
        self.offset = 0.0

    @classmethod
    @contextlib.asynccontextmanager
    async def running(cls, settings: Settings, *, triage: Any = None) -> AsyncIterator[Site]:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        wechat = settings.wechat
        config = SimulatorConfig(
            token=wechat.token, appid=wechat.appid, secret=wechat.secret,
            aes_key=wechat.aes_key or None, webhook_url=f"{base}/wechat",
            encryption=wechat.encryption, retries=0,
        )
        settings = settings.with_overrides(**{"wechat.api_base": f"{base}/simulator"})
        app = create_app(settings, migrate=True)
        if triage is not None:
            app[conversation.TRIAGE] = triage
        # as `minyi serve` does: the classifier is loaded before the first message, not within
        # its reply budget (on a busy CI machine the load once took longer than the budget and
        # the first reply came late, empty)
        app.on_startup.append(warm_up)
        mount_simulator(app, config)  # WeChat's side, as in `minyi demo`
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.SockSite(runner, sock).start()
        session = aiohttp.ClientSession()
        try:
            yield cls(app, runner, base, WeChatPeer(config, session), session)
        finally:
            await session.close()
            await runner.cleanup()

    def advance(self, minutes: float) -> None:
        """Move the conversation clock forward (idle timeouts) without waiting."""
        self.offset += minutes * 60
        offset = self.offset
        self.app[conversation.ENGINE].clock = lambda: time.time() + offset

    async def slips_of(self, openid: str) -> list[Slip]:
        database = self.app[keys.DATABASE]
        async with database.session() as session:
            rows = await session.execute(select(Slip).where(Slip.openid == openid)
                                         .order_by(Slip.id))
            return list(rows.scalars())

    def service(self) -> SlipService:
        return SlipService(self.app[keys.DATABASE], settings=self.app[keys.SETTINGS])

    async def staff(self, number: str, action: str, **data: Any) -> None:
        """Take a staff action on a slip as an administrator (dispatching first if needed)."""
        service = self.service()
        admin = Actor(kind="staff", id="bench", name="基准测试", role="admin")
        view = await service.get(number, admin)
        if view.status == "accepted":
            departments = service.engine.departments  # type: ignore[attr-defined]
            await service.act(number, "dispatch", admin, data={"department": next(iter(
                departments))})
        if action == "close":
            for step in ("sign", "start"):
                with contextlib.suppress(Exception):
                    await service.act(number, step, admin)
            await service.act(number, "close", admin, data={"result": data.get("result",
                                                                               "已经修好了")})
        elif action == "reply":
            await service.act(number, "reply", admin, note=data.get("note", "我们明天上午派人去看"))


class Chat:
    """One resident's side of a conversation."""

    def __init__(self, site: Site, openid: str) -> None:
        self.site = site
        self.openid = openid
        self.last_xml: str | None = None
        self.sent_texts: list[str] = []
        self.reply_seconds: list[float] = []

    async def send(self, step: dict[str, Any]) -> tuple[str, str]:
        """Post one step; returns (what was sent, the reply text or '')."""
        peer = self.site.peer
        if "say" in step:
            text = str(step["say"])
            self.sent_texts.append(text)
            return text, await self._post(peer.text_xml(self.openid, text))
        if "voice" in step:
            voice = step["voice"] or {}
            heard = voice.get("recognition")
            if heard:
                self.sent_texts.append(heard)
            xml = peer.voice_xml(self.openid, voice.get("media_id", "VOICE1"), recognition=heard)
            return f"[语音] {heard or '（无识别结果）'}", await self._post(xml)
        if "photo" in step:
            media = str(step["photo"])
            return "[照片]", await self._post(peer.image_xml(self.openid, media,
                                                             f"http://pic/{media}"))
        if "location" in step:
            loc = step["location"]
            xml = peer.location_xml(self.openid, loc["lat"], loc["lon"],
                                    label=loc.get("label", ""))
            return f"[位置] {loc.get('label', '')}", await self._post(xml)
        if "click" in step:
            xml = peer.event_xml(self.openid, "CLICK", event_key=str(step["click"]))
            return f"[菜单] {step['click']}", await self._post(xml)
        if "subscribe" in step:
            return "[关注]", await self._post(peer.event_xml(self.openid, "subscribe"))
        if "repeat" in step:
            assert self.last_xml is not None, "repeat needs an earlier message"
            return "[重发上一条]", await self._post(self.last_xml)
        raise ValueError(f"not a message step: {step}")

    async def _post(self, xml: str) -> str:
        self.last_xml = xml
        result = await self.site.peer.post(xml, retry=False)
        self.reply_seconds.append(result.elapsed)
        if not result.ok:
            raise RuntimeError(f"WeChat would show an error: {result.error}")
        return str((result.reply or {}).get("Content") or "")

    def questions_in(self, reply: str) -> int:
        """Question marks the bot wrote (the resident's own words quoted back do not count)."""
        for text in sorted(self.sent_texts, key=len, reverse=True):
            reply = reply.replace(text, "")
        return len(QUESTION_MARKS.findall(reply))


# -- running -----------------------------------------------------------------------------------
@dataclass
class Outcome:
    scenario: Scenario
    problems: list[str] = field(default_factory=list)
    transcript: list[tuple[str, str]] = field(default_factory=list)
    turns_to_slip: int | None = None
    slips: int = 0
    seconds: float = 0.0
    reply_seconds: list[float] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


async def run_scenario(site: Site, scenario: Scenario) -> Outcome:
    outcome = Outcome(scenario)
    started = time.perf_counter()
    openid = f"o{scenario.id[:12]}-{uuid.uuid4().hex[:12]}"
    chat = Chat(site, openid)
    if scenario.known_phone:
        await site.app[conversation.ENGINE].kit.desk.remember_phone(openid, scenario.known_phone)
    turns = 0
    try:
        for index, step in enumerate(scenario.steps):
            if "wait_minutes" in step:
                site.advance(float(step["wait_minutes"]))
                continue
            if "staff_close" in step or "staff_reply" in step:
                slips = await site.slips_of(openid)
                if not slips:
                    outcome.problems.append(f"step {index}: no slip for staff to act on")
                    break
                if "staff_close" in step:
                    await site.staff(slips[-1].number, "close")
                else:
                    await site.staff(slips[-1].number, "reply", note=str(step["staff_reply"]))
                continue
            turns += 1
            sent, reply = await chat.send(step)
            outcome.transcript.append((sent, reply))
            _check_reply(outcome, index, step, chat, reply)
            count = len(await site.slips_of(openid))
            if count and outcome.turns_to_slip is None:
                outcome.turns_to_slip = turns
    except Exception as exc:  # noqa: BLE001 - a broken scenario is reported, not fatal
        outcome.problems.append(f"error: {type(exc).__name__}: {exc}")
    outcome.reply_seconds = chat.reply_seconds
    slips = await site.slips_of(openid)
    outcome.slips = len(slips)
    _check_slips(outcome, scenario, slips)
    outcome.seconds = time.perf_counter() - started
    return outcome


def _check_reply(outcome: Outcome, index: int, step: dict[str, Any], chat: Chat,
                 reply: str) -> None:
    where = f"step {index + 1}"
    if chat.questions_in(reply) > 1:
        outcome.problems.append(f"{where}: the reply asks more than one question")
    for text in _as_list(step.get("expect")):
        if text not in reply:
            outcome.problems.append(f"{where}: reply lacks {text!r}")
    for text in _as_list(step.get("expect_not")):
        if text in reply:
            outcome.problems.append(f"{where}: reply should not contain {text!r}")
    any_of = _as_list(step.get("expect_any"))
    if any_of and not any(text in reply for text in any_of):
        outcome.problems.append(f"{where}: reply has none of {any_of}")
    first = step.get("first")
    if first and not reply.lstrip().startswith(str(first)):
        outcome.problems.append(f"{where}: reply should start with {first!r}")
    before = step.get("before")  # {"this": "119", "that": "？"}: this appears before that
    if before:
        this, that = str(before["this"]), str(before["that"])
        at_this = reply.find(this)
        at_that = reply.find(that)
        if at_this < 0 or (at_that >= 0 and at_that < at_this):
            outcome.problems.append(f"{where}: {this!r} should come before {that!r}")


def _check_slips(outcome: Outcome, scenario: Scenario, slips: list[Slip]) -> None:
    if scenario.slips is not None and len(slips) != scenario.slips:
        outcome.problems.append(f"{len(slips)} slip(s) issued, expected {scenario.slips}")
    if scenario.max_turns is not None:
        turns = outcome.turns_to_slip
        if turns is None or turns > scenario.max_turns:
            outcome.problems.append(
                f"slip after {turns} turn(s), expected at most {scenario.max_turns}"
            )
    if scenario.slip and slips:
        last = slips[-1]
        for name, expected in scenario.slip.items():
            actual = getattr(last, name)
            if isinstance(expected, str) and expected.startswith("~"):
                if expected[1:] not in str(actual or ""):
                    outcome.problems.append(f"slip {name}={actual!r} lacks {expected[1:]!r}")
            elif actual != expected:
                outcome.problems.append(f"slip {name}={actual!r}, expected {expected!r}")


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


async def run_all(settings: Settings, scenarios: list[Scenario], *,
                  triage: Any = None) -> list[Outcome]:
    async with Site.running(settings, triage=triage) as site:
        return [await run_scenario(site, s) for s in scenarios]


def figures(outcomes: list[Outcome]) -> dict[str, Any]:
    turns = [o.turns_to_slip for o in outcomes if o.turns_to_slip is not None]
    waits = sorted(s for o in outcomes for s in o.reply_seconds)
    return {
        "replies": len(waits),
        "reply_ms_median": round(statistics.median(waits) * 1000, 1) if waits else None,
        "reply_ms_p95": round(waits[math.ceil(0.95 * len(waits)) - 1] * 1000, 1) if waits else None,
        "reply_ms_max": round(waits[-1] * 1000, 1) if waits else None,
        "scenarios": len(outcomes),
        "passed": sum(o.ok for o in outcomes),
        "slips_issued": sum(o.slips for o in outcomes),
        "turns_median": statistics.median(turns) if turns else None,
        "turns_max": max(turns) if turns else None,
        "failed": [o.scenario.id for o in outcomes if not o.ok],
    }


def report(outcomes: list[Outcome], *, verbose: bool = False) -> str:
    f = figures(outcomes)
    lines = [
        f"scenarios: {f['scenarios']}  passed: {f['passed']}  failed: {len(f['failed'])}",
        f"slips issued: {f['slips_issued']}",
        f"turns to a slip: median {f['turns_median']}, max {f['turns_max']}",
        f"reply time over real HTTP ({f['replies']} replies): median {f['reply_ms_median']} ms, "
        f"p95 {f['reply_ms_p95']} ms, max {f['reply_ms_max']} ms",
    ]
    for outcome in outcomes:
        if outcome.ok and not verbose:
            continue
        mark = "ok" if outcome.ok else "FAILED"
        lines.append(f"\n[{mark}] {outcome.scenario.id}: {outcome.scenario.about}")
        for problem in outcome.problems:
            lines.append(f"  ! {problem}")
        for sent, reply in outcome.transcript:
            lines.append(f"  > {sent}")
            lines.extend(f"    {line}" for line in (reply or "(success)").splitlines())
    return "\n".join(lines)


class FlatCategories:
    """A category model that knows nothing (every first-level class equally likely): triage
    then runs on its rules alone. Used when the trained artefact is not there."""

    def __init__(self, labels: list[str]) -> None:
        self.labels = labels

    def predict(self, text: str, top_k: int = 3) -> list[tuple[str, float]]:
        share = 1 / len(self.labels)
        return [(label, share) for label in self.labels[:top_k]]

    def explain(self, text: str, label: str, top_n: int = 5) -> list[tuple[str, float]]:
        return []


def rules_triage() -> Any:
    """The knowledge pack's triage with no trained classifier (urgency, routing, areas)."""
    from knowledge.pack import load_pack
    from knowledge.triage import Triage

    pack = load_pack()
    return Triage(pack, FlatCategories(list(pack.taxonomy.first_level)))


def shipped_or_rules_triage() -> tuple[Any, str]:
    try:
        from knowledge.triage import load_default_triage

        return load_default_triage(), "shipped (rules + trained classifier)"
    except Exception as exc:  # noqa: BLE001 - reported in the output
        return rules_triage(), f"rules only (trained classifier not available: {exc})"


def bench_settings(database_url: str, redis_url: str = "memory://",
                   prefix: str = "minyi-bench") -> Settings:
    return load_settings(environ={}).for_demo().with_overrides(**{
        "database.url": database_url, "redis.url": redis_url, "redis.prefix": prefix,
        "logging.level": "WARNING",
    })


async def forget_redis_keys(url: str, prefix: str) -> int:
    """Delete what a run left in Redis (conversation state, dedupe entries)."""
    from redis.asyncio import Redis

    client = Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
        return len(keys)
    finally:
        await client.aclose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tag", action="append", help="only scenarios with this tag")
    parser.add_argument("--id", action="append", help="only this scenario")
    parser.add_argument("--database", help="SQLAlchemy async URL (default: a temporary SQLite)")
    parser.add_argument("--redis", default="memory://")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every transcript")
    parser.add_argument("--triage", choices=("shipped", "rules"), default="shipped",
                        help="shipped: rules + trained classifier (rules alone when absent)")
    args = parser.parse_args(argv)
    if args.triage == "rules":
        triage, how = rules_triage(), "rules only (--triage rules)"
    else:
        triage, how = shipped_or_rules_triage()
    print(f"triage: {how}")
    scenarios = load_scenarios(tags=set(args.tag or ()) or None, ids=set(args.id or ()) or None)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite+aiosqlite:///{tmp}/bench.db"
        started = time.perf_counter()
        prefix = f"minyi-bench-{uuid.uuid4().hex[:8]}"
        outcomes = asyncio.run(run_all(bench_settings(url, args.redis, prefix), scenarios,
                                       triage=triage))
        elapsed = time.perf_counter() - started
        if args.redis.startswith(("redis://", "rediss://", "unix://")):
            asyncio.run(forget_redis_keys(args.redis, prefix))
    print(report(outcomes, verbose=args.verbose))
    print(f"\nwall time: {elapsed:.1f} s for {len(outcomes)} scenarios")
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
