"""Everything the simulated WeChat remembers: residents, windows, tokens, faults, records."""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from aiohttp import web

from bot.simulator.config import SimulatorConfig
from bot.simulator.messages import describe_incoming, describe_reply, parse_xml
from bot.simulator.peer import UNAVAILABLE_NOTICE, PostResult, WeChatPeer
from bot.simulator.tokens import TokenBook

API_NAMES = (
    "token",
    "stable_token",
    "custom/send",
    "template/send",
    "subscribe/bizsend",
    "media/get",
)
MESSAGE_WINDOW = 48 * 3600.0  # a resident's message opens 48 h ...
MESSAGE_QUOTA = 5  # ... for at most 5 customer-service messages
EVENT_WINDOW = 60.0  # follow / menu click / scan: 3 messages within 1 minute
EVENT_QUOTA = 3
EVENTS_OPENING_WINDOW = frozenset(
    {"subscribe", "CLICK", "SCAN", "scancode_push", "scancode_waitmsg"}
)
CLIENT_MSG_ID_TTL = 600.0  # same openid + client_msg_id is sent once within 10 minutes
MEDIA_TTL = 3 * 24 * 3600.0  # temporary media live three days
MESSAGE_TYPES = ("text", "image", "voice", "video", "shortvideo", "location", "link", "event")


class ResidentError(ValueError):
    """A resident action the simulator refuses (unknown type, missing field)."""


class NotFollowingError(ResidentError):
    """The resident unfollowed the account; WeChat lets them write only after following."""


@dataclass
class Window:
    opened_at: float
    expires_at: float
    limit: int
    used: int = 0


@dataclass
class Resident:
    openid: str
    first_seen: float
    subscribed: bool = True
    message_window: Window | None = None
    event_window: Window | None = None
    refuses_templates: bool = False  # template/send -> 43101
    refuses_subscribe_messages: bool = False  # subscribe/bizsend -> 43101

    def to_json(self, now: float) -> dict[str, Any]:
        def window(w: Window | None) -> dict[str, Any] | None:
            if w is None:
                return None
            return {
                "open": now < w.expires_at,
                "expires_in": max(0, int(w.expires_at - now)),
                "used": w.used,
                "limit": w.limit,
            }

        return {
            "openid": self.openid,
            "subscribed": self.subscribed,
            "message_window": window(self.message_window),
            "event_window": window(self.event_window),
            "refuses_templates": self.refuses_templates,
            "refuses_subscribe_messages": self.refuses_subscribe_messages,
        }


@dataclass
class Fault:
    """An injected failure: the next `count` calls to `api` (or any, "*") wait `delay`
    seconds, then answer `errcode` (or HTTP `http_status`); no errcode and no status means
    only slow. count < 0 means every call until the faults are cleared."""

    api: str = "*"
    errcode: int | None = None
    count: int = 1
    delay: float = 0.0
    http_status: int | None = None
    hits: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class MediaItem:
    media_id: str
    kind: str  # image | thumb | voice | video
    openid: str
    created_at: float


@dataclass
class _Remembered:
    response: dict[str, Any]
    at: float


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
    _client_msgs: dict[tuple[str, str], _Remembered] = field(init=False)
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
        self._client_msgs[(openid, client_msg_id)] = _Remembered(response, self.now())

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

    def _peer(self) -> WeChatPeer:
        if self.peer is None:
            raise RuntimeError("the simulator has no WeChatPeer yet (is the app started?)")
        return self.peer

    def _record_post(self, openid: str, msg: Mapping[str, Any], result: PostResult) -> None:
        self.posts.append(
            {
                "seq": self.next_seq(),
                "at": self.now(),
                "openid": openid,
                "msgtype": msg.get("MsgType"),
                "event": msg.get("Event"),
                "msg_id": msg.get("MsgId"),
                "status": result.status,
                "attempts": result.attempts,
                "elapsed_ms": round(result.elapsed * 1000, 1),
                "error": result.error,
                "reply": result.reply,
            }
        )

    def build_message(
        self, openid: str, type: str, fields: Mapping[str, Any], base_url: str | None = None
    ) -> str:
        """The XML WeChat would post for a resident action; image/voice/video get media ids."""
        peer = self._peer()
        msg_id = fields.get("msg_id")
        msg_id = int(msg_id) if msg_id not in (None, "") else None
        base = (base_url if base_url is not None else self.base_url).rstrip("/")
        if type == "text":
            content = str(fields.get("content") or "")
            if not content.strip():
                raise ResidentError("文字消息不能为空")
            return peer.text_xml(openid, content, msg_id=msg_id)
        if type == "image":
            media_id = self.issue_media("image", openid)
            pic_url = f"{base}/media/download?media_id={media_id}"
            return peer.image_xml(openid, media_id, pic_url, msg_id=msg_id)
        if type == "voice":
            recognition = fields.get("recognition")
            return peer.voice_xml(
                openid,
                self.issue_media("voice", openid),
                msg_id=msg_id,
                recognition=None if recognition is None else str(recognition),
            )
        if type in ("video", "shortvideo"):
            return peer.video_xml(
                openid,
                self.issue_media("video", openid),
                self.issue_media("thumb", openid),
                short=type == "shortvideo",
                msg_id=msg_id,
            )
        if type == "location":
            try:
                lat, lon = float(fields["lat"]), float(fields["lon"])
            except (KeyError, TypeError, ValueError) as exc:
                raise ResidentError("位置消息需要 lat 和 lon 两个数") from exc
            return peer.location_xml(
                openid,
                lat,
                lon,
                scale=int(fields.get("scale") or 15),
                label=str(fields.get("label") or ""),
                msg_id=msg_id,
            )
        if type == "link":
            return peer.link_xml(
                openid,
                str(fields.get("title") or ""),
                str(fields.get("description") or ""),
                str(fields.get("url") or ""),
                msg_id=msg_id,
            )
        if type == "event":
            event = str(fields.get("event") or "")
            if not event:
                raise ResidentError("事件需要 event 名称，例如 subscribe、CLICK")
            key = fields.get("event_key")
            extra = fields.get("extra") or {}
            if not isinstance(extra, Mapping):
                raise ResidentError("extra 必须是对象")
            return peer.event_xml(
                openid, event, event_key=None if key is None else str(key), extra=extra
            )
        raise ResidentError(f"不认识的消息类型 {type!r}，可用：{'、'.join(MESSAGE_TYPES)}")

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
        openid = str(openid or "").strip()
        if not openid:
            raise ResidentError("需要居民的 openid")
        resident = self.residents.get(openid)
        subscribing = type == "event" and fields.get("event") == "subscribe"
        if resident is not None and not resident.subscribed and not subscribing:
            raise NotFollowingError("这位居民已取消关注，请先关注公众号再发消息")
        xml = self.build_message(openid, type, fields, base_url)
        msg = parse_xml(xml)
        self.note_incoming(openid, msg)
        kind = "event" if msg.get("MsgType") == "event" else "message"
        entry = self.log(
            openid,
            "resident",
            kind,
            describe_incoming(msg),
            msgtype=str(msg.get("MsgType")),
            data=msg,
        )
        result = await self._peer().post(xml, retry=retry)
        self._record_post(openid, msg, result)
        if result.error:
            self.log(openid, "system", "notice", UNAVAILABLE_NOTICE, data={"error": result.error})
        elif result.reply is not None:
            self.log(
                openid,
                "account",
                "reply",
                describe_reply(result.reply),
                channel="passive",
                msgtype=str(result.reply.get("MsgType")),
                data=result.reply,
            )
        return {
            "seq": entry["seq"],
            "msg_id": msg.get("MsgId"),
            "xml": xml,
            "status": result.status,
            "attempts": result.attempts,
            "elapsed_ms": round(result.elapsed * 1000, 1),
            "error": result.error,
            "reply": result.reply,
            "reply_text": describe_reply(result.reply) if result.reply else None,
        }

    async def post_event(
        self, openid: str, event: str, extra: Mapping[str, Any], delay: float = 0.05
    ) -> PostResult:
        """Post a platform event (job finished) to the webhook, shortly after the API call."""
        await asyncio.sleep(delay)
        peer = self._peer()
        xml = peer.event_xml(openid, event, extra=extra)
        result = await peer.post(xml)
        self._record_post(openid, parse_xml(xml), result)
        return result


SIMULATOR_STATE: web.AppKey[SimulatorState] = web.AppKey("simulator_state", SimulatorState)
