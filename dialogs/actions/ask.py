"""`action_ask_<slot>`: the one question of a turn, worded for what just happened."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from dialogs.actions.base import KitAction, metadata
from dialogs.domain import ASKED
from dialogs.kit import DialogKit
from dialogs.text import mask_phone

_COUNT = {2: "两", 3: "三"}


class AskSlot(KitAction):
    def __init__(self, kit: DialogKit, slot: str) -> None:
        super().__init__(kit)
        self.slot = slot

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        rejected = tracker.get_slot("last_rejected")
        events: list[dict[str, Any]] = [SlotSet("requested_slot", self.slot)]
        if rejected:
            events.append(SlotSet("last_rejected", None))
        if tracker.get_slot("detail_added"):
            # "楼梯的灯 坏了好久了", said instead of a number: added to the report, whichever
            # question comes next (the place, when the added words now call for one)
            self.say(dispatcher, "ask.detail_added")
            events.append(SlotSet("detail_added", None))
        ask = getattr(self, f"_ask_{self.slot}")
        events.extend(await ask(dispatcher, tracker, rejected))
        return events

    async def _ask_description(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, rejected: str | None
    ) -> list[dict[str, Any]]:
        meta = metadata(tracker)
        kind = meta.get("msg_type")
        if rejected == "description":
            self.say(dispatcher, "ask.description_again")
        elif rejected == "description_chased":
            self.say(dispatcher, "ask.description_chased")
        elif rejected == "description_where":
            location = tracker.get_slot("location")
            place = location.get("text") if isinstance(location, dict) else None
            if place:
                self.say(dispatcher, "ask.description_where_place", place=place)
            else:
                self.say(dispatcher, "ask.description_where")
        elif kind == "image":
            self.say(dispatcher, "ask.description_after_photo")
        elif kind == "video":
            self.say(dispatcher, "ask.description_after_video")
        elif kind == "link":
            self.say(dispatcher, "ask.description_after_link")
        elif kind == "voice" and not meta.get("recognition"):
            self.say(dispatcher, "ask.description_after_voice")
        elif kind == "location":
            location = tracker.get_slot("location") or {}
            label = location.get("text") if isinstance(location, dict) else None
            self.say(dispatcher, "ask.description_after_location",
                     label=label or meta.get("label") or "地图上的位置")
        else:
            self.say(dispatcher, "ask.description")
        return []

    async def _ask_location(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, rejected: str | None
    ) -> list[dict[str, Any]]:
        issue = tracker.get_slot("place_issue") or {}
        if rejected == "location_outside":
            self.say(dispatcher, "ask.location_outside")
        elif rejected == "location_elsewhere" and issue.get("kind") == "elsewhere":
            place, other = str(issue.get("place") or ""), str(issue.get("district") or "")
            if not place or place in other:  # "渝北区", "渝北": the district itself
                self.say(dispatcher, "ask.location_elsewhere_district", elsewhere=other)
            else:
                self.say(dispatcher, "ask.location_elsewhere", place=place, elsewhere=other)
        elif rejected == "location_several" and issue.get("kind") == "several":
            names = [f"“{p}”" for p in issue.get("places") or []]
            self.say(dispatcher, "ask.location_which",
                     places="、".join(names[:-1]) + "和" + names[-1], count=_COUNT[len(names)])
        elif rejected == "location":
            self.say(dispatcher, "ask.location_again")
        elif rejected == "location_refused":
            self.say(dispatcher, "ask.location_needed")
        elif rejected == "location_vague":
            self.say(dispatcher, "ask.location_vague")
        elif issue.get("kind") == "broad" and rejected in ("location_broad", None):
            # asked again after a question in between: still the street's detail
            self.say(dispatcher, "ask.location_broad", place=issue.get("place") or "这个地方")
        elif tracker.get_slot("place_hint"):
            self.say(dispatcher, "ask.location_same", place=tracker.get_slot("place_hint"))
        else:
            self.say(dispatcher, "ask.location")
        return []

    async def _ask_employer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, rejected: str | None
    ) -> list[dict[str, Any]]:
        if rejected == "employer_unknown":
            self.say(dispatcher, "ask.employer_unknown")
        else:
            self.say(dispatcher,
                     "ask.employer_again" if rejected == "employer" else "ask.employer")
        return []

    async def _ask_contact_phone(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, rejected: str | None
    ) -> list[dict[str, Any]]:
        if rejected == "contact_phone":
            self.say(dispatcher, "ask.contact_phone_invalid")
            return []
        if rejected == "contact_phone_wechat":
            self.say(dispatcher, "ask.contact_phone_wechat")
            return []
        offered = tracker.get_slot("phone_offered")
        events: list[dict[str, Any]] = []
        if tracker.get_slot("question_added"):
            # "在哪里办", asked instead of a number: kept with the question, answered with it
            self.say(dispatcher, "ask.question_added")
            events.append(SlotSet("question_added", None))
        elif offered is None and self._is_question(tracker):
            # a question to be answered later: the resident is told it is taken down, and by
            # whom it will be answered, before the number is asked for
            self.say(dispatcher, "ask.question_noted", department=self._lead(tracker))
        if offered is None:
            known = await self.kit.desk.known_phone(tracker.sender_id)
            if known:
                self.say(dispatcher, "ask.contact_phone_known", masked=mask_phone(known))
                return [*events, SlotSet("phone_offered", known)]
            self.say(dispatcher, "ask.contact_phone")
            return [*events, SlotSet("phone_offered", "")]
        if offered:
            self.say(dispatcher, "ask.contact_phone_known", masked=mask_phone(offered))
        else:
            self.say(dispatcher, "ask.contact_phone")
        return events

    def _is_question(self, tracker: Tracker) -> bool:
        """The report is a question (咨询) that needs no place: "低保怎么申请"."""
        triage = tracker.get_slot("triage") or {}
        kind = self.kit.intake.get(tracker.get_slot("problem_kind"))
        return triage.get("request_type") == "咨询" and "location" not in kind.needs

    @staticmethod
    def _lead(tracker: Tracker) -> str:
        triage = tracker.get_slot("triage") or {}
        if triage.get("low_confidence"):
            return "相关部门"
        lead = next((d for d in triage.get("departments") or []
                     if isinstance(d, dict) and d.get("role") == "主办"), None)
        return str((lead or {}).get("name") or "相关部门")


def ask_actions(kit: DialogKit) -> list[AskSlot]:
    return [AskSlot(kit, slot) for slot in ASKED]
