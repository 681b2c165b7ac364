"""Everything the simulated WeChat remembers: residents, windows, tokens, faults, records."""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.simulator import residents
from bot.simulator.config import SimulatorConfig
from bot.simulator.models import (
    API_NAMES,
    CLIENT_MSG_ID_TTL,
    EVENT_QUOTA,
    EVENT_WINDOW,
    EVENTS_OPENING_WINDOW,
    MEDIA_TTL,
    MESSAGE_QUOTA,
    MESSAGE_WINDOW,
    Fault,
    MediaItem,
    Remembered,
    Resident,
    Window,
)
from bot.simulator.peer import PostResult, WeChatPeer
from bot.simulator.tokens import TokenBook


@dataclass
class SimulatorState:
    """The simulator's memory. Tests may read and drive it directly (see SIMULATOR_STATE)."""

    config: SimulatorConfig
    clock: Callable[[], float] = time.time
    peer: WeChatPeer | None = None
    base_url: str = ""  # where the simulator is reachable; learned from requests
    offset: float = 0.0
    tokens: TokenBook = field(init=False)
    residents: dict[str, Resident] = field(init=False)
    chat: list[dict[str, Any]] = field(init=False)
    calls: list[dict[str, Any]] = field(init=False)
    sent: list[dict[str, Any]] = field(init=False)
    posts: list[dict[str, Any]] = field(init=False)
    faults: list[Fault] = field(init=False)
    media: dict[str, MediaItem] = field(init=False)
    _client_msgs: dict[tuple[str, str], Remembered] = field(init=False)
    _tasks: set[asyncio.Task[Any]] = field(init=False, default_factory=set)

    def __post_init__(self) -> None:
        self.tokens = TokenBook(self.config.token_ttl, self.now)
        self._seq = itertools.count(1)
        self._msgids = itertools.count(random.randrange(2 * 10**9, 3 * 10**9))
        self._media_ids = itertools.count(1)
        self.reset()

    # -- time -------------------------------------------------------------------------------

    def now(self) -> float:
        """Simulated time: the wall clock plus whatever `advance` added."""
        return self.clock() + self.offset

    def advance(self, seconds: float) -> float:
        """Move the simulator's clock forward (tokens, windows, dedupe, media see it; the
        timestamps posted to the webhook stay real so its signature checks still pass)."""
        self.offset += seconds
        return self.offset

    def reset(self) -> None:
        """Forget residents, records, faults, media and dedupe; issued tokens stay valid so a
        running bot is not disturbed."""
        self.residents = {}
        self.chat = []
        self.calls = []
        self.sent = []
        self.posts = []
        self.faults = []
        self.media = {}
        self._client_msgs = {}

    def next_seq(self) -> int:
        return next(self._seq)

    def next_msgid(self) -> int:
        return next(self._msgids)

    # -- residents --------------------------------------------------------------------------

    def add_resident(self, openid: str, *, subscribed: bool = True) -> Resident:
        resident = self.residents.get(openid)
        if resident is None:
            resident = self.residents[openid] = Resident(openid, self.now(), subscribed)
        return resident

    def remember(
        self,
        openid: str,
        *,
        subscribed: bool,
        last_message_at: float | None,
        lines: list[dict[str, Any]],
    ) -> Resident:
        """A follower the account had before this simulator started (the demo was restarted):
        WeChat still knows them, their 48-hour window (its customer-service sends counted
        from `lines`) and their chat. `lines`: chat entries without seq/openid, oldest first,
        as `log` makes them."""
        resident = self.add_resident(openid, subscribed=subscribed)
        resident.subscribed = subscribed
        if last_message_at is not None and self.now() < last_message_at + MESSAGE_WINDOW:
            used = sum(1 for line in lines if line.get("kind") == "push"
                       and line.get("channel") == "custom" and line["at"] >= last_message_at)
            resident.message_window = Window(last_message_at, last_message_at + MESSAGE_WINDOW,
                                             MESSAGE_QUOTA, min(used, MESSAGE_QUOTA))
        for line in lines:
            self.chat.append({"channel": None, "msgtype": None, "data": {}, **line,
                              "seq": self.next_seq(), "openid": openid})
        return resident

    def set_resident(self, openid: str, **flags: bool) -> Resident:
        """Change `subscribed`, `refuses_templates` or `refuses_subscribe_messages`."""
        resident = self.add_resident(openid)
        for name, value in flags.items():
            if name not in ("subscribed", "refuses_templates", "refuses_subscribe_messages"):
                raise ValueError(f"unknown resident flag {name!r}")
            setattr(resident, name, bool(value))
        return resident

    def note_incoming(self, openid: str, msg: Mapping[str, Any]) -> Resident:
        """Apply what a message or event means for the resident's windows and following."""
        now = self.now()
        resident = self.add_resident(openid)
        if msg.get("MsgType") != "event":
            resident.subscribed = True
            resident.message_window = Window(now, now + MESSAGE_WINDOW, MESSAGE_QUOTA)
            return resident
        event = str(msg.get("Event") or "")
        if event == "unsubscribe":
            resident.subscribed = False
            resident.message_window = resident.event_window = None
        elif event in EVENTS_OPENING_WINDOW:
            if event == "subscribe":
                resident.subscribed = True
            resident.event_window = Window(now, now + EVENT_WINDOW, EVENT_QUOTA)
        return resident

    def take_custom_quota(self, openid: str) -> int:
        """Use one customer-service send for `openid`; 0, or the errcode WeChat gives."""
        resident = self.residents.get(openid)
        if resident is None:
            return 40003
        if not resident.subscribed:
            return 43004
        now = self.now()
        active = [
            w
            for w in (resident.message_window, resident.event_window)
            if w is not None and now < w.expires_at
        ]
        if not active:
            return 45015
        left = [w for w in active if w.used < w.limit]
        if not left:
            return 45047
        min(left, key=lambda w: w.expires_at).used += 1
        return 0

    # -- faults -----------------------------------------------------------------------------

    def add_fault(
        self,
        api: str = "*",
        errcode: int | None = None,
        count: int = 1,
        delay: float = 0.0,
        http_status: int | None = None,
    ) -> Fault:
        if api != "*" and api not in API_NAMES:
            raise ValueError(f"api must be one of {API_NAMES} or '*', not {api!r}")
        if delay < 0:
            raise ValueError("delay must not be negative")
        if count == 0:
            raise ValueError("count must be positive, or negative for 'until cleared'")
        fault = Fault(api, errcode, count, float(delay), http_status)
        self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        self.faults = []

    def take_fault(self, api: str) -> Fault | None:
        """The first fault that applies to this call, counted as used."""
        for fault in self.faults:
            if fault.api in ("*", api) and fault.count != 0:
                if fault.count > 0:
                    fault.count -= 1
                fault.hits += 1
                return fault
        return None

    # -- records ----------------------------------------------------------------------------

    def log(
        self,
        openid: str,
        role: str,
        kind: str,
        text: str,
        *,
        channel: str | None = None,
        msgtype: str | None = None,
        data: Mapping[str, Any] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Append one line to a resident's chat: role resident|account|system, kind
        message|event|reply|push|notice, channel passive|custom|template|subscribe."""
        entry = {
            "seq": self.next_seq(),
            "openid": openid,
            "at": self.now(),
            "role": role,
            "kind": kind,
            "channel": channel,
            "msgtype": msgtype,
            "text": text,
            "data": dict(data or {}),
            **extra,
        }
        self.chat.append(entry)
        return entry

    def record_call(self, call: dict[str, Any]) -> dict[str, Any]:
        call = {"seq": self.next_seq(), "at": self.now(), **call}
        self.calls.append(call)
        return call

    def deliver(
        self,
        openid: str,
        channel: str,
        msgtype: str,
        text: str,
        payload: Mapping[str, Any],
        **extra: Any,
    ) -> dict[str, Any]:
        """A pushed message reached the resident: into the sent list and the chat."""
        entry = self.log(
            openid,
            "account",
            "push",
            text,
            channel=channel,
            msgtype=msgtype,
            data=payload,
            **extra,
        )
        self.sent.append(entry)
        return entry

    def chat_for(self, openid: str, after: int = 0) -> list[dict[str, Any]]:
        return [e for e in self.chat if e["openid"] == openid and e["seq"] > after]

    def sent_messages(
        self, openid: str | None = None, channel: str | None = None
    ) -> list[dict[str, Any]]:
        return [
            e
            for e in self.sent
            if (openid is None or e["openid"] == openid)
            and (channel is None or e["channel"] == channel)
        ]

    # -- media and dedupe -------------------------------------------------------------------

    def issue_media(self, kind: str, openid: str) -> str:
        media_id = f"SIM_{kind.upper()}_{next(self._media_ids):06d}_{random.getrandbits(40):010x}"
        self.media[media_id] = MediaItem(media_id, kind, openid, self.now())
        return media_id

    def find_media(self, media_id: str) -> MediaItem | None:
        item = self.media.get(media_id)
        if item is None or self.now() - item.created_at > MEDIA_TTL:
            return None
        return item

    def recall_client_msg(self, openid: str, client_msg_id: str) -> dict[str, Any] | None:
        seen = self._client_msgs.get((openid, client_msg_id))
        if seen is None or self.now() - seen.at > CLIENT_MSG_ID_TTL:
            return None
        return seen.response

    def remember_client_msg(
        self, openid: str, client_msg_id: str, response: dict[str, Any]
    ) -> None:
        self._client_msgs[(openid, client_msg_id)] = Remembered(response, self.now())

    # -- background work --------------------------------------------------------------------

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def drain(self) -> None:
        """Wait until background posts (job-finish events) are done."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # -- posting to the webhook -------------------------------------------------------------

    # -- resident actions and platform events (bot/simulator/residents.py) ------------------

    async def send(
        self,
        openid: str,
        type: str = "text",
        *,
        retry: bool = True,
        base_url: str | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """A resident does something: post it to the webhook like WeChat, log both sides.

        Fields by type: text `content`; voice `recognition` (omit = no element); location
        `lat`, `lon`, `scale`, `label`; link `title`, `description`, `url`; event `event`,
        `event_key`, `extra`; any message `msg_id` (to replay one).
        """
        return await residents.send_as_resident(
            self, openid, type, retry=retry, base_url=base_url, **fields
        )

    async def post_event(
        self, openid: str, event: str, extra: Mapping[str, Any], delay: float = 0.05
    ) -> PostResult:
        """Post a platform event (a job finished) to the webhook, shortly after the API call."""
        return await residents.post_platform_event(self, openid, event, extra, delay)


SIMULATOR_STATE: web.AppKey[SimulatorState] = web.AppKey("simulator_state", SimulatorState)
