"""What every Minyi action shares: the kit, and reading the WeChat message behind a turn."""

from __future__ import annotations

import re
import time
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from dialogs.domain import draft_reset
from dialogs.kit import DialogKit
from dialogs.text import cjk_count


class KitAction(Action):
    """An action built with the dialog kit (ports + data). Subclasses set `NAME`."""

    NAME = ""

    def __init__(self, kit: DialogKit) -> None:
        self.kit = kit

    def name(self) -> str:
        return self.NAME

    def say(self, dispatcher: CollectingDispatcher, key: str, **values: Any) -> None:
        dispatcher.utter_message(text=self.kit.texts.say(key, **values))

    def say_fallback(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        """Not understood. A message in English (or another language in Latin letters) gets
        an English line too: the chat only understands Chinese, the 12345 hotline has
        interpreters."""
        text = str(tracker.latest_message.get("text") or "")
        foreign = not cjk_count(text) and len(_LATIN_WORD.findall(text)) >= 2
        self.say(dispatcher, "chat.fallback_foreign" if foreign else "chat.fallback")


_LATIN_WORD = re.compile(r"[A-Za-zÀ-ɏ]{2,}")


def place_details(text: str, area: Any) -> dict[str, str]:
    """A place for a slip that lacks one (SlipDesk.add_followup's details): its words, and
    the street and community of its area (a Place dict) when known."""
    details = {"location_text": text}
    for name in ("street", "community"):
        if isinstance(area, dict) and area.get(name):
            details[name] = str(area[name])
    return {k: v for k, v in details.items() if v}


def turn_time(tracker: Tracker) -> float:
    """When the resident's latest message came (epoch seconds; the engine's clock)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user" and isinstance(event.get("timestamp"), int | float):
            return float(event["timestamp"])
    return time.time()


def metadata(tracker: Tracker) -> dict[str, Any]:
    """WeChat details of the latest message (msg_type, media_id, lat/lon, label, dedupe_key…)."""
    return tracker.latest_message.get("metadata") or {}


def entity_values(tracker: Tracker, kind: str) -> list[Any]:
    return [e.get("value") for e in tracker.latest_message.get("entities") or []
            if e.get("entity") == kind]


def clear_draft() -> list[dict[str, Any]]:
    """Events that forget the draft complaint and stop the form."""
    events = [SlotSet(name, value) for name, value in draft_reset().items()]
    events.append(ActiveLoop(None))
    return events
