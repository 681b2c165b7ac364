"""A resident's conversation as a Rasa-shaped tracker, and how it is stored.

The engine plays Rasa core's part: it records the resident's message as a `user` event,
applies the events the actions return (slot, active_loop, followup, restart, …) and keeps the
result in the conversation store. Stored state carries a version; a state this code cannot
read (older or newer format, damaged) starts a fresh conversation instead of failing every
message.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import orjson

from dialogs.domain import initial_slots

STATE_VERSION = 1
MAX_EVENTS = 60  # older events are dropped when saving: the form only looks at recent ones
# slots that mean the conversation holds something unfinished (see Conversation.unfinished)
_UNFINISHED_SLOTS = ("awaiting_confirmation", "submission_key", "resume_pending", "survey_slip")


@dataclass
class Conversation:
    sender_id: str
    slots: dict[str, Any] = field(default_factory=initial_slots)
    events: list[dict[str, Any]] = field(default_factory=list)
    active_loop: dict[str, Any] = field(default_factory=dict)
    latest_message: dict[str, Any] = field(default_factory=dict)
    latest_action_name: str | None = None
    updated_at: float | None = None  # when the resident last wrote (epoch seconds)

    # -- storage -------------------------------------------------------------------------
    @classmethod
    def restore(cls, sender_id: str, stored: dict[str, Any] | None) -> tuple[Conversation, str]:
        """The stored conversation, or a fresh one; the second value says which and why."""
        if stored is None:
            return cls(sender_id), "new"
        if stored.get("version") != STATE_VERSION:
            return cls(sender_id), f"unreadable version {stored.get('version')!r}"
        try:
            slots = initial_slots()
            saved = stored["slots"]
            if not isinstance(saved, dict):
                raise TypeError("slots")
            slots.update({k: v for k, v in saved.items() if k in slots})
            conversation = cls(
                sender_id=sender_id,
                slots=slots,
                events=list(stored.get("events") or []),
                active_loop=dict(stored.get("active_loop") or {}),
                latest_message=dict(stored.get("latest_message") or {}),
                latest_action_name=stored.get("latest_action_name"),
                updated_at=float(stored["updated_at"]) if stored.get("updated_at") else None,
            )
        except (KeyError, TypeError, ValueError) as exc:
            return cls(sender_id), f"damaged state ({exc})"
        return conversation, "restored"

    def dump(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "sender_id": self.sender_id,
            "slots": self.slots,
            "events": _kept(self.events),
            "active_loop": self.active_loop,
            "latest_message": self.latest_message,
            "latest_action_name": self.latest_action_name,
            "updated_at": self.updated_at,
        }

    # -- the tracker actions see -----------------------------------------------------------
    def tracker(self) -> dict[str, Any]:
        """Rasa's TrackerState, for one action run. rasa-sdk's Tracker changes the slots dict
        and appends to the events list it gets (add_slots), so those are copies: the slots a
        deep one (values may be lists or dicts), the events a new list of the same event dicts,
        which neither rasa-sdk nor our actions change. Deep-copying sixty events for every
        action was 7 % of the webhook's CPU."""
        return {
            "sender_id": self.sender_id,
            "slots": _json_copy(self.slots),
            "latest_message": dict(self.latest_message),
            "events": self.events[-MAX_EVENTS:],
            "paused": False,
            "followup_action": None,
            "active_loop": dict(self.active_loop),
            "latest_action_name": self.latest_action_name,
            "latest_event_time": self.events[-1].get("timestamp") if self.events else None,
            "latest_input_channel": "wechat",
        }

    @property
    def form(self) -> str | None:
        return self.active_loop.get("name") or None

    def slot(self, name: str) -> Any:
        return self.slots.get(name)

    @property
    def unfinished(self) -> bool:
        """Something the resident would lose with this conversation: a draft, a summary
        awaiting 确认, a resume question, an issuing under way, a "不满意" reason owed."""
        return bool(self.form or any(self.slots.get(name) for name in _UNFINISHED_SLOTS))

    def reply_to(self, message_id: str | None) -> str | None:
        """The texts already said in answer to this message, when it is in the conversation
        (a WeChat retry after the stores lost its dedupe key); None when it is not."""
        if not message_id:
            return None
        for index, event in enumerate(self.events):
            if event.get("event") == "user" and event.get("message_id") == message_id:
                said = []
                for later in self.events[index + 1:]:
                    if later.get("event") == "user":
                        break
                    if later.get("event") == "bot" and later.get("text"):
                        said.append(str(later["text"]).strip())
                return "\n\n".join(said)
        return None

    # -- recording -------------------------------------------------------------------------
    def record_user(self, parse: dict[str, Any], metadata: dict[str, Any], at: float) -> None:
        message = {**parse, "metadata": metadata}
        self.latest_message = message
        self.events.append(
            {
                "event": "user",
                "timestamp": at,
                "text": parse.get("text"),
                "parse_data": {k: v for k, v in message.items() if k != "metadata"},
                "input_channel": "wechat",
                "message_id": metadata.get("dedupe_key"),
                "metadata": metadata,
            }
        )
        self.updated_at = at

    def record_slots(self, values: dict[str, Any], at: float | None = None) -> None:
        """Slot candidates as `slot` events, so the form's validation sees them."""
        stamp = at if at is not None else time.time()
        self.apply([{"event": "slot", "name": k, "value": v, "timestamp": stamp}
                    for k, v in values.items()])

    def record_action(self, name: str, at: float | None = None) -> None:
        self.latest_action_name = name
        self.events.append({"event": "action", "name": name,
                            "timestamp": at if at is not None else time.time()})

    def apply(self, events: list[dict[str, Any]]) -> list[str]:
        """Apply events returned by an action; returns follow-up actions they ask for."""
        followups = []
        for event in events:
            kind = event.get("event")
            if kind == "slot":
                self.slots[event["name"]] = _copied(event.get("value"))
            elif kind == "active_loop":
                name = event.get("name")
                self.active_loop = {"name": name} if name else {}
            elif kind == "restart":
                self.slots = initial_slots()
                self.active_loop = {}
            elif kind == "reset_slots":
                self.slots = initial_slots()
            elif kind == "followup" and event.get("name"):
                followups.append(str(event["name"]))
            self.events.append(event)
        return followups


def _kept(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events worth storing: the last MAX_EVENTS, less the `slot` events of earlier
    turns. Those only said how the slots came to hold what `slots` holds now (Rasa's forms
    read the slot events since the latest action, never older ones), and each repeated the
    whole value: a triage result of 2 KB each time it was set, 40 % of a stored
    conversation that Redis, the durable copy and every turn's parsing carried."""
    events = events[-MAX_EVENTS:]
    last_user = next(
        (i for i in range(len(events) - 1, -1, -1) if events[i].get("event") == "user"), None
    )
    if not last_user:
        return events
    return [e for e in events[:last_user] if e.get("event") != "slot"] + events[last_user:]


# orjson where it gives what json gives; anything it would treat differently (datetimes and
# dataclasses it would serialise, non-string keys, integers past 64 bits) takes the json path.
_ORJSON_STRICT = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _copied(value: Any) -> Any:
    """A slot value the conversation may keep: scalars as they are, the rest copied (the
    state is JSON; copy.deepcopy here was 3 % of the webhook's CPU)."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return _json_copy(value)


def _json_copy(value: Any) -> Any:
    try:
        return orjson.loads(orjson.dumps(value, option=_ORJSON_STRICT))
    except TypeError:
        return json.loads(json.dumps(value, ensure_ascii=False))
