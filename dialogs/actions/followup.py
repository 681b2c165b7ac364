"""Messages that arrive while a slip is open and no form runs: added to that slip."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from dialogs.actions.base import KitAction, entity_values, metadata, place_details
from dialogs.actions.status import deadline_lines
from dialogs.ports import SlipStatus
from dialogs.text import link_note, mask_phone

FOLLOWUP = "action_followup"
EMERGENCY = "特急"


class ActionFollowup(KitAction):
    NAME = FOLLOWUP

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        slip = await self.kit.desk.open_slip_of(tracker.sender_id)
        if slip is None:
            self.say_fallback(dispatcher, tracker)
            return []
        meta = metadata(tracker)
        kind = meta.get("msg_type")
        text = str(tracker.latest_message.get("text") or "").strip() or None
        media: list[dict[str, str]] = []
        if kind in ("image", "voice", "video") and meta.get("media_id"):
            media.append({"type": kind, "media_id": str(meta["media_id"])})
        details = self._details(tracker, kind, meta)
        if (text and kind in ("text", "voice") and not details and self.kit.nlu.urges(text)
                and self.kit.urgency(text) != EMERGENCY):
            # (a danger told with it, "咋个还没得人来 我爸还在地上", is a follow-up: the slip
            # is raised to 特急 and the resident told whom to ring)
            return await self._urge(dispatcher, tracker, slip, text)
        if kind == "location":
            label = meta.get("label") or "地图上的位置"
            text = f"位置：{label}（{meta.get('lat')}, {meta.get('lon')}）"
        if kind == "link":
            text = link_note(meta.get("title"), meta.get("url")) or None
        await self.kit.desk.add_followup(tracker.sender_id, slip.number, text, media, details)
        if kind == "text" or (kind == "voice" and text):
            place, phone = details.get("location_text"), details.get("phone")
            if place and text and self.kit.nlu.has_problem_word(text):
                # a problem told with its place ("鲤鱼池小区3栋楼下的路灯坏了") may be another
                # one: not announced as the open slip's place, and the way to file it apart
                # is said
                self.say(dispatcher, "followup.added_with_place", place=place,
                         number=slip.number)
            elif place and phone:
                self.say(dispatcher, "followup.place_phone_added", place=place,
                         phone=mask_phone(phone), number=slip.number)
            elif place:
                self.say(dispatcher, "followup.place_added", place=place, number=slip.number)
            elif phone:
                # "13500001111" after an emergency slip that had no number to call back
                self.say(dispatcher, "followup.phone_added", phone=mask_phone(phone),
                         number=slip.number)
            else:
                self.say(dispatcher, "followup.added", number=slip.number)
            return [SlotSet("followup_text", text)]
        what = {"image": "followup.photo", "voice": "followup.voice", "video": "followup.video",
                "location": "followup.location", "link": "followup.link"
                }.get(str(kind), "followup.photo")
        self.say(dispatcher, "followup.media", what=self.kit.texts.say(what), number=slip.number)
        return [SlotSet("followup_text", None)]

    async def _urge(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, slip: SlipStatus, text: str
    ) -> list[dict[str, Any]]:
        """催办 ("能不能快点", "麻烦催一下"): recorded on the slip with the resident's words, its
        lead department told; then where it stands and its time limits. Again within the
        policy's urge_gap_hours (the slip knows when it was last urged) it is not counted
        twice: the words are added to the slip instead."""
        try:
            status, counted = await self.kit.desk.urge(tracker.sender_id, slip.number, text)
        except (LookupError, ValueError):
            await self.kit.desk.add_followup(tracker.sender_id, slip.number, text, [])
            self.say(dispatcher, "followup.added", number=slip.number)
            return [SlotSet("followup_text", text)]
        if not counted:
            self.say(dispatcher, "followup.urged_again", number=status.number,
                     lead=status.lead or "承办单位")
            return [SlotSet("followup_text", text)]
        lines = [self.kit.texts.say("followup.urged", number=status.number,
                                    lead=status.lead or "承办单位")]
        lines += deadline_lines(self.kit.texts, status, self.kit.clock())
        dispatcher.utter_message(text="\n".join(lines))
        return [SlotSet("followup_text", text)]

    def _details(self, tracker: Tracker, kind: Any, meta: dict[str, Any]) -> dict[str, str]:
        """A place and a phone number the message holds, for a slip that lacks them."""
        entities = tracker.latest_message.get("entities") or []
        place = next((e for e in entities if e.get("entity") == "place"), None)
        text, area = "", None
        if place is not None:
            text, area = str(place.get("value") or ""), place.get("additional_info")
        elif kind == "location" and self.kit.places is not None:
            try:
                found = self.kit.places.near(float(meta["lat"]), float(meta["lon"]))
            except (KeyError, TypeError, ValueError):
                found = None
            text = str(meta.get("label") or "")
            area = found.to_dict() if found is not None else None
        details = place_details(text, area)
        phones = entity_values(tracker, "phone")
        if phones:
            details["phone"] = str(phones[0])
        return details
