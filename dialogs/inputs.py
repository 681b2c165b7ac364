"""One message from a resident as the conversation sees it (no WeChat objects here)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True, kw_only=True)
class Incoming:
    openid: str
    kind: str  # text | voice | image | video | location | link | event
    dedupe_key: str  # FromUserName+MsgId (events: +CreateTime+Event): idempotency of a submission
    text: str = ""  # the text, or what WeChat recognised in a voice note
    media_id: str | None = None
    lat: float | None = None
    lon: float | None = None
    label: str | None = None  # a location's label
    event: str | None = None  # subscribe | scan | click …
    event_key: str | None = None
    title: str | None = None  # a shared link's title
    url: str | None = None  # a shared link's address

    @property
    def recognised_voice(self) -> bool:
        return self.kind == "voice" and bool(self.text.strip())

    def metadata(self) -> dict[str, Any]:
        """What actions may read from `tracker.latest_message["metadata"]`."""
        meta: dict[str, Any] = {"msg_type": self.kind, "dedupe_key": self.dedupe_key}
        for name in ("media_id", "lat", "lon", "label", "event", "event_key", "title", "url"):
            value = getattr(self, name)
            if value is not None:
                meta[name] = value
        if self.kind == "voice":
            meta["recognition"] = self.text
        return meta
