"""The simulator's records of residents, faults and media, and WeChat's window rules."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

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
class Remembered:
    response: dict[str, Any]
    at: float
