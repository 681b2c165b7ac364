"""From a verified message to its reply: dedupe, record, route, cache, answer in time.

WeChat re-posts a message it got no answer to within 5 s (up to three times). The key
(FromUserName+MsgId, or FromUserName+CreateTime+Event for events) is claimed in the store
with a short lease that the owner renews while it works:
- a retry of an answered message gets the same reply again (store cache, or the database
  when the store lost it);
- a retry of one still in progress waits for it; if the owner died, its lease lapses and the
  retry takes over;
- nothing is processed twice: the database's unique dedupe key backs the store up.
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
from bot.stores import ClaimState, Stores
from bot.wechat.protocol import Inbound
from handlers.router import MessageRouter
from knowledge.replies import Replies

log = logging.getLogger(__name__)

SUCCESS = ""  # cached form of WeChat's `success` (no reply)
LEASE_SECONDS = 6.0
POLL_SECONDS = 0.05

LateReplySink = Callable[[Recorded, str], Awaitable[None]]


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
        outcome, reply = await self._answer(inbound)
        self._metrics.replies.labels(outcome).inc()
        self._metrics.reply_seconds.observe(time.perf_counter() - started)
        return reply

    async def _answer(self, inbound: Inbound) -> tuple[str, str]:
        budget = self._settings.wechat.reply_budget_seconds
        key = inbound.dedupe_key
        loop = asyncio.get_running_loop()
        deadline = loop.time() + budget
        while True:
            claim = await self._stores.claim(key, LEASE_SECONDS)
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
        remaining = max(0.05, deadline - loop.time())
        try:
            _, reply = await asyncio.wait_for(asyncio.shield(task), remaining)
            return ("reply" if reply else "success"), reply
        except TimeoutError:
            log.warning("reply budget exceeded for %s; answering later", _masked(inbound.openid))
            task.add_done_callback(self._deliver_late)
            return "late", SUCCESS

    async def _admitted(self, inbound: Inbound) -> tuple[Recorded | None, str]:
        """Process once a slot is free; our claim is renewed while the message waits."""
        renewer = asyncio.create_task(self._renew(inbound.dedupe_key))
        try:
            async with self._slots:
                return await self._process(inbound)
        finally:
            renewer.cancel()

    async def _process(self, inbound: Inbound) -> tuple[Recorded | None, str]:
        key = inbound.dedupe_key
        renewer = asyncio.create_task(self._renew(key))
        try:
            # If the store lost this key (a restart), the message may have been answered
            # before: the database's unique key catches that below and the first reply
            # stands. Running the dialog again then is harmless: its state was in the
            # same lost store, and a slip is issued once per message key.
            reply = await self._reply_for(inbound)
            recorded = await self._log.record_exchange(
                _record_of(inbound), reply, subscribed=_subscription(inbound)
            )
            reply = recorded.reply or SUCCESS
            await self._stores.finish(key, reply, self._settings.wechat.dedupe_ttl_seconds)
            return recorded, reply
        except BaseException:
            with contextlib.suppress(Exception):
                await self._stores.abandon(key)
            raise
        finally:
            renewer.cancel()

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

    async def _renew(self, key: str) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            while True:
                await asyncio.sleep(LEASE_SECONDS / 3)
                await self._stores.renew(key, LEASE_SECONDS)

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
