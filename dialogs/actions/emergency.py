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

from dialogs.actions.base import (
    KitAction,
    clear_draft,
    entity_values,
    metadata,
    place_details,
)
from dialogs.ports import SlipDraft

log = logging.getLogger(__name__)

EMERGENCY = "action_emergency"
PLACE_OFFERED = "action_place_offered"


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
        known = None if places else await self._known_place(tracker)
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
        if known:
            # the place of the report being filled in, or of their open slip: "是" is enough
            self.say(dispatcher, "ask.emergency_location_known" if phone else
                     "ask.emergency_location_known_phone", place=known["place"])
        elif not places:
            self.say(dispatcher, "ask.emergency_location" if phone else
                     "ask.emergency_location_phone")
        elif not phone:
            self.say(dispatcher, "ask.emergency_phone")
        # The emergency takes over: what the resident says next (where it is) belongs to it,
        # not to a report they may have been filling in.
        offer = {"number": issued.number, **known} if known else None
        return [*clear_draft(), SlotSet("last_slip", issued.number),
                SlotSet("place_offer", offer)]

    async def _known_place(self, tracker: Tracker) -> dict[str, Any] | None:
        """Where the resident is likely to be, when the danger's message does not say: the
        place of the report they were filling in, else that of their newest open slip.
        Offered as a question ("是在…吗"), never taken for granted."""
        location = tracker.get_slot("location")
        if isinstance(location, dict) and location.get("text"):
            return {"place": str(location["text"]), "area": location.get("area")}
        try:
            slip = await self.kit.desk.open_slip_of(tracker.sender_id)
        except Exception:  # noqa: BLE001 - never delay an emergency for a guess of its place
            log.warning("could not look up the open slip's place", exc_info=True)
            return None
        if slip is None or not getattr(slip, "place", None):
            return None
        return {"place": slip.place, "area": slip.area}


class ActionPlaceOffered(KitAction):
    """ "是" to "是在…吗" after an emergency slip: that place (and its street and community)
    is added to the emergency slip, and the resident told so."""

    NAME = PLACE_OFFERED

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        offer = tracker.get_slot("place_offer") or {}
        number, place = offer.get("number"), offer.get("place")
        if not number or not place:
            self.say_fallback(dispatcher, tracker)
            return [SlotSet("place_offer", None)]
        details = place_details(str(place), offer.get("area"))
        said = str(tracker.latest_message.get("text") or "").strip()
        rest = self.kit.nlu.yes_and_more(said)
        note = f"居民确认地点：{place}" + (f"。{rest}" if rest else "")
        try:
            await self.kit.desk.add_followup(tracker.sender_id, str(number), note, [], details)
        except (LookupError, ValueError):
            self.say_fallback(dispatcher, tracker)
            return [SlotSet("place_offer", None)]
        self.say(dispatcher, "followup.place_added", place=place, number=number)
        return [SlotSet("place_offer", None)]

