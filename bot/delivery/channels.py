"""Which way a notice reaches the resident, and what a template message carries.

WeChat allows customer-service messages (plain chat text) only within 48 hours of the
resident's last message, and at most 5 in that window (45015 / 45047 otherwise). After that a
notice has to go as a template message, or a subscription message where the account has
them. Everything here is plain code over values the worker reads from the database.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from bot.config import DeliverySettings, TemplateSpec

CUSTOM = "custom"
TEMPLATE = "template"
SUBSCRIBE = "subscribe"

CHINA = timezone(timedelta(hours=8), "CST")  # no daylight saving in China
TITLE_CHARS = 20


@dataclass(frozen=True, slots=True)
class Window:
    """What is known about a resident's customer-service window."""

    last_message_at: datetime | None  # resident.last_message_at: opens the window
    counted_from: datetime | None = None  # window the stored count belongs to
    counted: int = 0

    def is_open(self, now: datetime, hours: float) -> bool:
        return self.last_message_at is not None and now < self.last_message_at + timedelta(
            hours=hours
        )

    @property
    def used(self) -> int:
        """Messages used in the current window: the stored count only if it belongs to it
        (a new message from the resident opens a new window and the count restarts)."""
        if self.last_message_at is None or self.counted_from != self.last_message_at:
            return 0
        return self.counted

    def custom_allowed(self, now: datetime, settings: DeliverySettings) -> bool:
        return (
            self.is_open(now, settings.custom_window_hours)
            and self.used < settings.custom_per_window
        )


def spec_for(kind: str, specs: Mapping[str, TemplateSpec]) -> TemplateSpec | None:
    """The template configured for this kind of notice, else the default one. A kind
    configured with an empty template_id has none (it does not fall back to the default)."""
    spec = specs.get(kind)
    if spec is None:
        spec = specs.get("default")
    return spec if spec is not None and spec.template_id.strip() else None


def plan(kind: str, window: Window, settings: DeliverySettings, now: datetime) -> list[str]:
    """Channels to try, in order: the chat while the window allows, then the fallbacks that
    are configured for this kind."""
    channels = [CUSTOM] if window.custom_allowed(now, settings) else []
    for channel in settings.fallback:
        specs = settings.templates if channel == TEMPLATE else settings.subscribe
        if spec_for(kind, specs) is not None and channel not in channels:
            channels.append(channel)
    return channels


def fallbacks(kind: str, settings: DeliverySettings) -> list[str]:
    """The configured non-chat channels for this kind, in order."""
    return [
        channel
        for channel in settings.fallback
        if spec_for(kind, settings.templates if channel == TEMPLATE else settings.subscribe)
    ]


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def notice_context(
    *,
    kind: str,
    text: str,
    template_data: Mapping[str, Any] | None,
    created_at: datetime,
    public_url: str,
) -> dict[str, Any]:
    """The names a template's fields may use. The slip service puts ready template fields
    (first, keyword1.., remark; knowledge/notices.yaml) in template_data; a notice without
    them (a late dialog reply, say) gets first = its first line, keyword1 = number,
    keyword2 = status, keyword3 = time, remark = its text."""
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    title = first_line[:TITLE_CHARS]
    time = created_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
    number = str((template_data or {}).get("number") or "")
    status = str((template_data or {}).get("status") or "")
    context: dict[str, Any] = {
        "kind": kind,
        "text": text,
        "title": title,
        "number": number,
        "status": status,
        "time": time,
        "public_url": public_url.rstrip("/"),
        "first": title,
        "keyword1": number,
        "keyword2": status,
        "keyword3": time,
        "remark": text,
    }
    for key, value in (template_data or {}).items():
        if isinstance(key, str) and value is not None:
            context[key] = value if isinstance(value, str | int | float) else str(value)
    return context


def _format(pattern: str, context: Mapping[str, Any]) -> str:
    try:
        return string.Formatter().vformat(pattern, (), _Blank(context))
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        return pattern  # a broken pattern shows as written rather than dropping the notice


def render(spec: TemplateSpec, context: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    """(`data` for template/send or bizsend, the link) for a notice."""
    data = {name: {"value": _format(pattern, context)} for name, pattern in spec.fields.items()}
    return data, _format(spec.url, context) if spec.url else ""
