"""Danger to life or property: tell the resident to call 110/119/120 first, then record.

The slip is issued at once from what the message holds (and the phone we know), without the
usual questions and confirmation: the resident may well put the phone down to call for help,
and the duty officer must hear of it anyway. Anything they add later attaches to the slip; a report
they were filling in is dropped (they are told to give the emergency's place next).
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from dialogs.actions.base import KitAction, clear_draft, entity_values, metadata
from dialogs.ports import SlipDraft

log = logging.getLogger(__name__)

EMERGENCY = "action_emergency"


class ActionEmergency(KitAction):
    NAME = EMERGENCY

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        text = str(tracker.latest_message.get("text") or "").strip()
        triage = self.kit.classify(text)
        # a resident in danger themselves ("我不想活了") gets the rule's words for them
        advice = (triage or {}).get("advice") or self.kit.texts.say("emergency.advice")
        dispatcher.utter_message(text=advice)
        meta = metadata(tracker)
        places = [e for e in tracker.latest_message.get("entities") or []
                  if e.get("entity") == "place"]
        phones = entity_values(tracker, "phone")
        times = entity_values(tracker, "time")
        phone = phones[0] if phones else tracker.get_slot("contact_phone") or None
        if phone is None:
            try:
                phone = await self.kit.desk.known_phone(tracker.sender_id)
            except Exception:  # noqa: BLE001 - never delay an emergency for a phone number
                phone = None
        draft = SlipDraft(
            openid=tracker.sender_id,
            description=text,
            idempotency_key=str(meta.get("dedupe_key") or f"{tracker.sender_id}:emergency"),
            location_text=places[0]["value"] if places else None,
            area=places[0].get("additional_info") if places else None,
            phone=phone,
            occurred_text=" ".join(times) or None,
        )
        try:
            issued = await self.kit.desk.issue(draft)
        except Exception:
            log.exception("could not record an emergency slip")
            return []
        self.say(dispatcher, "emergency.issued", number=issued.number)
        if not places:
            self.say(dispatcher, "ask.emergency_location" if phone else
                     "ask.emergency_location_phone")
        elif not phone:
            self.say(dispatcher, "ask.emergency_phone")
        # The emergency takes over: what the resident says next (where it is) belongs to it,
        # not to a report they may have been filling in.
        return [*clear_draft(), SlotSet("last_slip", issued.number)]

