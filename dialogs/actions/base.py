"""What every Minyi action shares: the kit, and reading the WeChat message behind a turn."""

from __future__ import annotations

import time
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from dialogs.domain import draft_reset
from dialogs.kit import DialogKit


class KitAction(Action):
    """An action built with the dialog kit (ports + data). Subclasses set `NAME`."""

    NAME = ""

    def __init__(self, kit: DialogKit) -> None:
        self.kit = kit

    def name(self) -> str:
        return self.NAME

    def say(self, dispatcher: CollectingDispatcher, key: str, **values: Any) -> None:
        dispatcher.utter_message(text=self.kit.texts.say(key, **values))


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
