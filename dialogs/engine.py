"""The in-process dialog engine: rasa-sdk actions over a tracker kept in the conversation store.

One turn, under the resident's lock (turns of one resident never overlap, across processes):
load the conversation (a fresh one when the stored state is missing, damaged or of another
version) → understand the message → the policy plans the actions → each runs through
rasa-sdk's `ActionExecutor` exactly as Rasa's action server would run it → the events they
return update the tracker → save → one reply text.

The engine plays Rasa core's part for the intake form: it records the slot candidates of a
message as `slot` events right after it, runs `validate_complaint_form`, and then asks the
slot the form requests, or shows the summary when nothing is missing.

Submissions are never replayed into a second slip: before a draft is issued, the dedupe key of
the confirming message is saved in the conversation (`submission_key`) and passed as the
draft's idempotency key. A retry of that message, or any message after a crash in between,
issues with the same key and gets the slip issued the first time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

import rasa_sdk
from rasa_sdk.events import ActiveLoop

from dialogs.actions import action_executor
from dialogs.actions.intake import SUBMIT, SUMMARY
from dialogs.domain import FORM, VALIDATE_FORM, domain
from dialogs.inputs import Incoming
from dialogs.kit import DialogKit
from dialogs.mapping import candidates
from dialogs.policy import Plan, Policy, asks, stashed_incoming
from dialogs.state import Conversation

log = logging.getLogger(__name__)

MAX_STEPS = 8
# The store renews a held conversation lock; this is how long a dead holder (kill -9 of a web
# process) keeps the resident's next messages waiting. Below lock_wait_seconds, so that the
# re-post of the message it held gets the conversation, not "busy" (with 30 s it got "busy",
# and so did every message for half a minute: tests/deploy).
LOCK_TTL_SECONDS = 2.5


class LockTimeoutError(Exception):
    """What the store raises when a lock cannot be taken in time (bot.stores.LockTimeout)."""


class SupersededError(Exception):
    """What the store raises when a turn's write is refused because another holder wrote
    the conversation after this turn read it (bot.stores.StateSuperseded)."""


class HeldState(Protocol):
    """A conversation under its lock (bot.stores.Held)."""

    state: dict[str, Any] | None

    def keep(self, value: dict[str, Any], ttl_seconds: float) -> None: ...
    async def save(self, value: dict[str, Any], ttl_seconds: float) -> None: ...


class ConversationStore(Protocol):
    """The part of bot.stores.Stores the engine uses: a turn holds the conversation (its lock
    and state, read together and written together with the release; a save in the middle of
    a turn, before issuing a slip, writes at once through the held state)."""

    def hold(self, key: str, *, ttl_seconds: float = 30.0, wait_seconds: float = 10.0) -> Any: ...


class ConversationBackup(Protocol):
    """A durable copy of unfinished conversations (bot.storage.drafts.DraftBackup): what the
    store loses in a restart, the resident does not."""

    async def load(self, key: str, max_age_seconds: float) -> dict[str, Any] | None: ...
    async def save(self, key: str, state: dict[str, Any]) -> None: ...
    async def drop(self, key: str) -> None: ...


class DialogEngine:
    def __init__(
        self,
        kit: DialogKit,
        store: ConversationStore,
        *,
        idle_timeout_minutes: float = 30,
        state_ttl_hours: float = 72,
        lock_wait_seconds: float = 3.0,
        lock_errors: tuple[type[BaseException], ...] = (LockTimeoutError,),
        superseded_errors: tuple[type[BaseException], ...] = (SupersededError,),
        clock: Callable[[], float] = time.time,
        backup: ConversationBackup | None = None,
    ) -> None:
        self.kit = kit
        self.store = store
        self.backup = backup
        self.idle_seconds = idle_timeout_minutes * 60
        self.state_ttl = state_ttl_hours * 3600
        self.lock_wait = lock_wait_seconds
        self.lock_errors = lock_errors
        self.superseded_errors = superseded_errors
        self.clock = clock
        self.policy = Policy(kit)
        self.executor = action_executor(kit)
        self.domain = domain(list(self.executor.actions))

    @staticmethod
    def state_key(openid: str) -> str:
        return f"dialog:{openid}"

    # -- a turn ----------------------------------------------------------------------------
    async def handle(self, msg: Incoming) -> str:
        """The reply to one message ('' when there is nothing to say)."""
        key = self.state_key(msg.openid)
        try:
            async with self.store.hold(key, ttl_seconds=LOCK_TTL_SECONDS,
                                       wait_seconds=self.lock_wait) as held:
                return await self._turn(key, msg, held)
        except self.lock_errors:
            log.warning("conversation lock busy; asking the resident to wait")
            return self.kit.texts.say("control.busy")
        except self.superseded_errors:
            # This process stood still past the lock's lease and another one moved the
            # conversation on meanwhile: this turn's result is dropped, the newer state
            # stands. (A WeChat re-post of this very message answered there keeps that
            # answer: the message log holds the first reply.)
            log.warning("conversation moved on while this turn stalled; its result is dropped")
            await self._resync_backup(key)
            return self.kit.texts.say("control.superseded")
        except Exception:
            # the conversation is left as it was before this message; the resident is told
            log.exception("dialog turn failed")
            return self.kit.texts.say("control.error")

    async def _turn(self, key: str, msg: Incoming, held: HeldState) -> str:
        conv, how = Conversation.restore(msg.openid, await self._load(key, held))
        if how not in ("new", "restored"):
            log.info("conversation started afresh: %s", how)
        backed = self.backup is not None and conv.unfinished
        answered = conv.reply_to(msg.dedupe_key)
        now = self.clock()
        idle = conv.updated_at is not None and now - conv.updated_at > self.idle_seconds
        parse = self._parse(msg)
        conv.record_user(parse, msg.metadata(), now)
        responses: list[str] = []
        turn = _Turn(conv, responses, held)

        if (conv.slot("submission_key") and conv.slot("awaiting_confirmation")
                and not conv.slot("submission_failed")):
            # an earlier turn died while issuing (no reply was given): finish it, same key
            await self._run(turn, SUBMIT)
            if parse["intent"]["name"] == "confirm":
                await self._save(key, conv, held, backed=backed, final=True)
                return _join(responses)
        if answered is not None:
            # WeChat's retry of a message this conversation has taken already (the store
            # lost the dedupe key but not the conversation): the same answer, nothing again
            log.info("message already in the conversation; answered as before")
            return answered

        plan = await self.policy.plan(conv, parse, msg, idle=idle)
        await self._execute(key, turn, plan, msg)
        await self._save(key, conv, held, backed=backed, final=True)
        return _join(responses)

    async def _resync_backup(self, key: str) -> None:
        """The durable copy, which the dropped turn wrote before its store write was refused,
        made the stored conversation's again (under the lock, as any turn writes it)."""
        if self.backup is None:
            return
        try:
            async with self.store.hold(key, ttl_seconds=LOCK_TTL_SECONDS,
                                       wait_seconds=self.lock_wait) as held:
                if held.state is None:
                    return  # the store lost it meanwhile: the copy is all there is
                if Conversation.restore("", held.state)[0].unfinished:
                    await self.backup.save(key, held.state)
                else:
                    await self.backup.drop(key)
        except Exception:  # noqa: BLE001 - the next turn with something unfinished rewrites it
            log.warning("durable copy not resynchronised after a dropped turn", exc_info=True)

    async def _load(self, key: str, held: HeldState) -> dict[str, Any] | None:
        stored = held.state
        if stored is None and self.backup is not None:
            stored = await self.backup.load(key, self.state_ttl)
            if stored is not None:
                log.info("conversation restored from its durable copy (the store lost it)")
        return stored

    def _parse(self, msg: Incoming) -> dict[str, Any]:
        if msg.kind == "event":
            name = (msg.event or "event").lower()
            return {"text": f"/{name}", "intent": {"name": name, "confidence": 1.0},
                    "entities": [], "intent_ranking": [], "report_like": False}
        return self.kit.nlu.parse(msg.text)

    async def _execute(self, key: str, turn: _Turn, plan: Plan, msg: Incoming) -> None:
        conv = turn.conv
        if plan.resets:
            conv.record_slots(plan.resets)
        if plan.activate_form:
            conv.apply([ActiveLoop(FORM)])
        queue = list(plan.actions)
        pending = dict(plan.candidates)
        steps = 0
        while queue and steps < MAX_STEPS:
            steps += 1
            name = queue.pop(0)
            if name == FORM:
                if plan.restart_with:
                    pending = self._restart_with(conv, plan.restart_with, msg)
                    plan.restart_with = None
                elif plan.replay:
                    # the form reads the kept message as the one it answers
                    earlier = stashed_incoming(plan.replay, msg)
                    conv.record_user(plan.replay.get("parse") or {}, earlier.metadata(),
                                     self.clock())
                    plan.replay = None
                queue[:0] = await self._form_step(turn, pending)
                pending = {}
                continue
            if name == SUBMIT and plan.submission:
                if not conv.slot("submission_key"):
                    conv.record_slots({"submission_key": msg.dedupe_key})
                await self._save(key, conv, turn.held)  # the key survives a crash in issuing
            queue[:0] = await self._run(turn, name)

    async def _form_step(self, turn: _Turn, slot_candidates: dict[str, Any]) -> list[str]:
        """Rasa's FormAction: candidates → validation → the next question or the summary."""
        conv = turn.conv
        if conv.form != FORM:
            conv.apply([ActiveLoop(FORM)])
        conv.record_action(FORM)
        tracker = conv.tracker()
        for name, value in slot_candidates.items():
            event = {"event": "slot", "name": name, "value": value, "timestamp": self.clock()}
            tracker["events"].append(event)
            tracker["slots"][name] = value
        followups = await self._run(turn, VALIDATE_FORM, tracker=tracker)
        requested = conv.slot("requested_slot")
        if requested:
            return [f"action_ask_{requested}", *followups]
        return [SUMMARY, *followups]

    def _restart_with(
        self, conv: Conversation, stashed: dict[str, Any], msg: Incoming
    ) -> dict[str, Any]:
        """Start the new report from a message kept aside (the resume prompt, a follow-up)."""
        parse = stashed.get("parse") or {}
        earlier = stashed_incoming(stashed, msg)
        conv.record_user(parse, earlier.metadata(), self.clock())
        slots = candidates(self.kit.nlu, conv, parse, earlier, starting=True).slots
        if stashed.get("place_hint") and "location" not in slots:
            conv.record_slots({"place_hint": stashed["place_hint"]})
        carried = stashed.get("contact_phone")
        if isinstance(carried, str) and "contact_phone" not in slots:
            # the phone given for the problem before this one is offered back ("还用…联系
            # 您吗"), as a remembered one is; its turning one down holds for this one too
            if carried:
                conv.record_slots({"phone_offered": carried})
            else:
                slots["contact_phone"] = ""
        return slots

    async def _run(
        self, turn: _Turn, name: str, *, tracker: dict[str, Any] | None = None
    ) -> list[str]:
        if asks(name):
            if turn.asked:
                log.warning("skipped %s: this reply already asks something", name)
                return []
            turn.asked = True
        conv = turn.conv
        if tracker is None:
            conv.record_action(name)
            tracker = conv.tracker()
        result = await self.executor.run(
            {
                "next_action": name,
                "sender_id": conv.sender_id,
                "tracker": tracker,
                "domain": self.domain,
                "version": rasa_sdk.__version__,
            }
        )
        if result is None:
            return []
        followups = conv.apply(result.events)
        for response in result.responses:
            text = response.get("text")
            if text:
                turn.responses.append(str(text))
                conv.events.append({"event": "bot", "text": text, "timestamp": self.clock()})
        return followups

    async def _save(
        self, key: str, conv: Conversation, held: HeldState, *, backed: bool = True,
        final: bool = False,
    ) -> None:
        """The store, and the durable copy while something is unfinished (written first: a
        turn whose copy failed fails whole). `backed`: a copy may exist to be dropped.
        `final`: the turn's end: the store writes it as the lock is released; otherwise at
        once, keeping the lock."""
        state = conv.dump()
        if self.backup is not None:
            if conv.unfinished:
                await self.backup.save(key, state)
            elif backed:
                await self.backup.drop(key)
        if final:
            held.keep(state, self.state_ttl)
        else:
            await held.save(state, self.state_ttl)


class _Turn:
    __slots__ = ("conv", "responses", "asked", "held")

    def __init__(self, conv: Conversation, responses: list[str], held: HeldState) -> None:
        self.conv = conv
        self.responses = responses
        self.asked = False
        self.held = held


def _join(responses: list[str]) -> str:
    return "\n\n".join(r.strip() for r in responses if r.strip())
