"""Messages that arrive while a slip is open and no form runs: added to that slip."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from dialogs.actions.base import KitAction, metadata

FOLLOWUP = "action_followup"


class ActionFollowup(KitAction):
    NAME = FOLLOWUP

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        slip = await self.kit.desk.open_slip_of(tracker.sender_id)
        if slip is None:
            self.say(dispatcher, "chat.fallback")
            return []
        meta = metadata(tracker)
        kind = meta.get("msg_type")
        text = str(tracker.latest_message.get("text") or "").strip() or None
        media: list[dict[str, str]] = []
        if kind in ("image", "voice") and meta.get("media_id"):
            media.append({"type": kind, "media_id": str(meta["media_id"])})
        if kind == "location":
            label = meta.get("label") or "地图上的位置"
            text = f"位置：{label}（{meta.get('lat')}, {meta.get('lon')}）"
        await self.kit.desk.add_followup(tracker.sender_id, slip.number, text, media)
        if kind == "text" or (kind == "voice" and text):
            self.say(dispatcher, "followup.added", number=slip.number)
            return [SlotSet("followup_text", text)]
        what = {"image": "followup.photo", "voice": "followup.voice",
                "location": "followup.location"}.get(str(kind), "followup.photo")
        self.say(dispatcher, "followup.media", what=self.kit.texts.say(what), number=slip.number)
        return [SlotSet("followup_text", None)]
