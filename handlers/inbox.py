"""From a verified message to its reply: dedupe, record, route, cache, answer in time.

WeChat re-posts a message it got no answer to within 5 s (up to three times). The key
(FromUserName+MsgId, or FromUserName+CreateTime+Event for events) is claimed in the store
with a short lease that the owner renews while it works:
- a retry of an answered message gets the same reply again (store cache, or the database
  when the store lost it);
- a retry of one still in progress waits for it; if the owner died, its lease lapses and the
  retry takes over;
- nothing is processed twice: the database's unique dedupe key backs the store up.

When the store cannot be reached (Redis restarting), the claim is tried again for up to
STORE_PATIENCE seconds; after that the message is recorded in the database with a polite
reply asking the resident to send it again in a minute (their words are kept for staff), and
only if the database fails too does WeChat get a 503.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.config import Settings
from bot.metrics import Metrics
from bot.storage.messages import InboundRecord, MessageLog, Recorded
from bot.stores import Claim, ClaimState, Stores
from bot.stores.renewal import Renewal
from bot.wechat.protocol import Inbound
from handlers.router import MessageRouter
from knowledge.replies import Replies

log = logging.getLogger(__name__)

SUCCESS = ""  # cached form of WeChat's `success` (no reply)
# A claim lapses this long after its owner's last renewal (every third of it): a WeChat
# re-post of a message whose web process died takes it over within the reply budget (4 s),
# not after it (with 6 s the re-post waited, answered `success` and the message was lost:
# tests/deploy). Keep it below wechat.reply_budget_seconds.
LEASE_SECONDS = 3.0
POLL_SECONDS = 0.05
STORE_PATIENCE = 2.0  # seconds of a reply budget spent waiting for an unreachable store

LateReplySink = Callable[[Recorded, str], Awaitable[None]]


class StoresUnavailable(Exception):
    """The stores could not be reached within STORE_PATIENCE."""


@dataclass(frozen=True, slots=True)
class Turn:
    """What a handler gets besides the message itself."""

    inbound: Inbound
    replies: Replies
    settings: Settings
    services: dict[str, Any]


class Inbox:
    def __init__(
        self,
        *,
        settings: Settings,
        stores: Stores,
        log_: MessageLog,
        router: MessageRouter,
        replies: Replies,
        services: dict[str, Any] | None = None,
        late_reply: LateReplySink | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._settings = settings
        self._stores = stores
        self._log = log_
        self._router = router
        self._replies = replies
        self._services = services or {}
        self._late_reply = late_reply
        self._metrics = metrics or Metrics()
        self._background: set[asyncio.Task[Any]] = set()
        self._slots = asyncio.Semaphore(settings.wechat.max_concurrent_messages)

    async def answer(self, inbound: Inbound) -> str:
        """The reply text for WeChat ('' means `success`)."""
        started = time.perf_counter()
        self._metrics.messages.labels(_type_label(inbound)).inc()
        try:
            outcome, reply = await self._answer(inbound)
        except StoresUnavailable:
            outcome, reply = await self._answer_without_stores(inbound)
        self._metrics.replies.labels(outcome).inc()
        self._metrics.reply_seconds.observe(time.perf_counter() - started)
        return reply

    async def _answer(self, inbound: Inbound) -> tuple[str, str]:
        budget = self._settings.wechat.reply_budget_seconds
        key = inbound.dedupe_key
        loop = asyncio.get_running_loop()
        deadline = loop.time() + budget
        while True:
            claim = await self._claim(key)
            if claim.state is ClaimState.DONE:
                return "duplicate", claim.reply or SUCCESS
            if claim.state is ClaimState.NEW:
                break
            # Someone else is on it: wait for their answer, or for their lease to lapse.
            while loop.time() < deadline:
                await asyncio.sleep(POLL_SECONDS)
                seen = await self._stores.peek(key)
                if seen.state is ClaimState.DONE:
                    return "duplicate", seen.reply or SUCCESS
                if seen.state is ClaimState.NEW:
                    break
            else:
                return "waited", SUCCESS
        task = asyncio.create_task(self._admitted(inbound))
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        # asyncio.wait, not wait_for: the work goes on past the budget (answered later)
        await asyncio.wait((task,), timeout=max(0.05, deadline - loop.time()))
        if not task.done():
            log.warning("reply budget exceeded for %s; answering later", _masked(inbound.openid))
            task.add_done_callback(self._deliver_late)
            return "late", SUCCESS
        _, reply = task.result()
        return ("reply" if reply else "success"), reply

    async def _claim(self, key: str) -> Claim:
        """The store's claim, tried again while the store cannot be reached, for at most
        STORE_PATIENCE seconds (a Redis restart); then StoresUnavailable."""
        loop = asyncio.get_running_loop()
        give_up = loop.time() + min(STORE_PATIENCE, self._settings.wechat.reply_budget_seconds / 2)
        pause = 0.05
        while True:
            try:
                async with asyncio.timeout(max(0.05, give_up - loop.time())):
                    return await self._stores.claim(key, LEASE_SECONDS)
            except Exception as exc:  # noqa: BLE001 - any failure of the store counts
                if loop.time() + pause >= give_up:
                    raise StoresUnavailable(str(exc) or type(exc).__name__) from exc
                await asyncio.sleep(pause)
                pause = min(pause * 2, 0.5)

    async def _answer_without_stores(self, inbound: Inbound) -> tuple[str, str]:
        """The message is kept (the database's dedupe key makes a repeat harmless) and the
        resident is asked, plainly, to send it again shortly; the conversation is not run
        without its store. If the database fails as well, the caller answers 503."""
        log.error("stores unreachable: %s's message kept, resident asked to send it again",
                  _masked(inbound.openid))
        recorded = await self._log.record_exchange(
            _record_of(inbound), self._replies.say("unavailable"),
            subscribed=_subscription(inbound),
        )
        return "unavailable", recorded.reply or SUCCESS

    async def _admitted(self, inbound: Inbound) -> tuple[Recorded | None, str]:
        """Process once a slot is free; our claim is renewed while the message waits."""
        key = inbound.dedupe_key

        async def renew() -> bool:
            await self._stores.renew(key, LEASE_SECONDS)
            return True

        renewal = Renewal(LEASE_SECONDS / 3, renew, "the claim on a message")
        try:
            async with self._slots:
                return await self._process(inbound)
        finally:
            renewal.stop()

    async def _process(self, inbound: Inbound) -> tuple[Recorded | None, str]:
        key = inbound.dedupe_key
        try:
            # If the store lost this key (a restart), the message may have been answered
            # before: the database's unique key catches that below and the first reply
            # stands. The dialog does not take it twice either: a conversation restored
            # from its durable copy answers a message it already holds as before, and a
            # slip is issued once per message key.
            reply = await self._reply_for(inbound)
            recorded = await self._log.record_exchange(
                _record_of(inbound), reply, subscribed=_subscription(inbound)
            )
        except BaseException:
            with contextlib.suppress(Exception):
                await self._stores.abandon(key)
            raise
        reply = recorded.reply or SUCCESS
        try:
            await self._stores.finish(key, reply, self._settings.wechat.dedupe_ttl_seconds)
        except Exception:  # noqa: BLE001 - recorded is answered: the database has the reply
            log.warning("reply recorded but not cached in the stores", exc_info=True)
        return recorded, reply

    async def _reply_for(self, inbound: Inbound) -> str:
        allowed = await self._stores.hit(
            f"msg:{inbound.openid}",
            limit=self._settings.limits.messages_per_minute,
            window_seconds=60,
        )
        if not allowed:
            return self._replies.say("too_fast")
        turn = Turn(inbound, self._replies, self._settings, self._services)
        return await self._router.dispatch(inbound.message, turn) or SUCCESS

    def _deliver_late(self, task: asyncio.Task[tuple[Recorded | None, str]]) -> None:
        if task.cancelled() or task.exception() is not None:
            return
        recorded, reply = task.result()
        if recorded is None or not recorded.is_new or not reply:
            return
        if self._late_reply is None:
            log.warning("late reply not delivered: no delivery channel configured")
            return
        sent = asyncio.create_task(self._late_reply(recorded, reply))
        self._background.add(sent)
        sent.add_done_callback(self._background.discard)

    async def drain(self) -> None:
        """Wait for work still running (shutdown)."""
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)


def _record_of(inbound: Inbound) -> InboundRecord:
    fields = inbound.fields
    msg = inbound.message
    content = fields.get("Content") or fields.get("Recognition") or None
    msg_id = fields.get("MsgId")
    return InboundRecord(
        openid=inbound.openid,
        msg_type=msg.type,
        dedupe_key=inbound.dedupe_key,
        wechat_msg_id=int(msg_id)
        if isinstance(msg_id, str) and msg_id.isdigit() and len(msg_id) < 20
        else None,
        event=str(fields.get("Event"))[:64] if msg.type == "event" else None,
        content=content if isinstance(content, str) else None,
        payload={
            k: v for k, v in fields.items() if k not in ("ToUserName", "FromUserName", "Content")
        },
    )


def _type_label(inbound: Inbound) -> str:
    fields = inbound.fields
    if str(fields.get("MsgType", "")).lower() == "event":
        return "event:" + str(fields.get("Event", "")).lower()[:32]
    return str(inbound.message.type)[:32]


def _subscription(inbound: Inbound) -> bool | None:
    if inbound.message.type != "event":
        return None
    event = str(inbound.fields.get("Event", "")).lower()
    return {"subscribe": True, "unsubscribe": False}.get(event)


def _masked(openid: str) -> str:
    return openid[:4] + "***" + openid[-2:] if len(openid) > 8 else "***"
