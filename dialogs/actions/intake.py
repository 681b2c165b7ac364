"""The end of the intake: the summary to confirm, then issuing the slip."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from dialogs.actions.base import KitAction, clear_draft, metadata
from dialogs.actions.status import URGENT
from dialogs.domain import FORM
from dialogs.ports import IssuedSlip, SlipDraft
from dialogs.text import cut_at_sentence, link_note, local_date, local_time, mask_phone, shorten

log = logging.getLogger(__name__)

SUMMARY = "action_complaint_summary"
SUBMIT = "action_submit_complaint"
KEEP_NEXT = "action_keep_next_report"
NOTE_NEXT = "action_note_next_report"
SUMMARY_TEXT = 150  # characters of the description the summary shows


def area_label(area: dict[str, Any] | None) -> str | None:
    if not area:
        return None
    parts = [area.get("street"), area.get("community")]
    return " ".join(p for p in parts if p) or None


class ActionComplaintSummary(KitAction):
    NAME = SUMMARY

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        texts = self.kit.texts
        slot = tracker.get_slot
        description = str(slot("description") or "")
        shown = cut_at_sentence(description, SUMMARY_TEXT)
        lines = [texts.say("summary.head")]
        if shown == description:
            lines.append(texts.say("summary.description", value=description))
        else:
            # a long message: the start of it, and that all of it is kept
            lines.append(texts.say("summary.description_long", value=shown,
                                   count=len(description)))
        location = slot("location")
        if isinstance(location, dict) and location.get("text"):
            lines.append(texts.say("summary.location", value=location["text"]))
            area = area_label(location.get("area"))
            if area and area not in location["text"]:
                lines.append(texts.say("summary.area", value=area))
        elif isinstance(location, dict) and location.get("unknown"):
            lines.append(texts.say("summary.location_unknown"))
        if slot("employer"):
            lines.append(texts.say("summary.employer", value=slot("employer")))
        if slot("occurred"):
            lines.append(texts.say("summary.occurred", value=slot("occurred")))
        phone = slot("contact_phone")
        if phone:
            lines.append(texts.say("summary.contact_phone", value=mask_phone(phone)))
        elif phone == "":
            lines.append(texts.say("summary.phone_declined"))
        if slot("photos"):
            lines.append(texts.say("summary.photos", value=len(slot("photos"))))
        if slot("voices"):
            lines.append(texts.say("summary.voices", value=len(slot("voices"))))
        if slot("videos"):
            lines.append(texts.say("summary.videos", value=len(slot("videos"))))
        if slot("links"):
            lines.append(texts.say("summary.links", value=len(slot("links"))))
        # the example of a correction is one the resident could make to this summary
        has_place = isinstance(location, dict) and bool(location.get("text"))
        lines.append(texts.say("summary.tail" if has_place else "summary.tail_no_place"))
        dispatcher.utter_message(text="\n".join(lines))
        return [SlotSet("awaiting_confirmation", True), SlotSet("requested_slot", None),
                ActiveLoop(None)]


def with_links(description: str, links: Any) -> str:
    """The description with the links the resident shared, as text staff can read."""
    lines = [link_note(link.get("title"), link.get("url"))
             for link in links or [] if isinstance(link, dict)]
    lines = [line for line in lines if line]
    return "\n".join([description, *lines]) if lines else description


def draft_of(tracker: Tracker, key: str) -> SlipDraft:
    slot = tracker.get_slot
    location = slot("location") if isinstance(slot("location"), dict) else {}
    media = [{"type": "image", "media_id": m} for m in slot("photos") or []]
    media += [{"type": "voice", "media_id": m} for m in slot("voices") or []]
    media += [{"type": "video", "media_id": m} for m in slot("videos") or []]
    description = str(slot("description") or "")
    return SlipDraft(
        openid=tracker.sender_id,
        # staff read the shared links with the description; triage classifies the resident's
        # own words only (a shared article's title must not pick the category)
        description=with_links(description, slot("links")),
        triage_text=description,
        idempotency_key=key,
        location_text=location.get("text"),
        area=location.get("area"),
        lat=location.get("lat"),
        lon=location.get("lon"),
        phone=slot("contact_phone") or None,
        occurred_text=slot("occurred") or None,
        media=media,
        triage=None,  # the slip service classifies it, with the area it now knows
        employer=slot("employer") or None,
    )


def contact_line(kit_texts: Any, response_due_at: datetime | None, now: datetime,
                 *, phone: bool = True) -> str:
    """The quick contact an urgent slip's resident is promised: "工作人员会在24小时内（11月26日
    10:00前）与您联系"; "尽快" when the time is unknown or already gone. Without a `phone`
    to call, staff answer in the chat ("…在微信里回复您")."""
    wechat = "" if phone else "_wechat"
    if response_due_at is None:
        return kit_texts.say(f"issued.contact_soon{wechat}")
    if response_due_at.tzinfo is None:
        response_due_at = response_due_at.replace(tzinfo=UTC)
    left = (response_due_at - now).total_seconds()
    if left <= 0:
        return kit_texts.say(f"issued.contact_soon{wechat}")
    # the service set the deadline a moment before this: 23.99 hours are the policy's 24
    return kit_texts.say(f"issued.contact{wechat}", hours=max(1, round(left / 3600)),
                         response=local_time(response_due_at))


def issued_lines(
    kit_texts: Any, issued: IssuedSlip, *, urgency: str | None = None,
    now: datetime | None = None, phone: bool = True,
) -> list[str]:
    """The slip number, its departments and its time limits. A 特急 or 紧急 slip leads with
    the contact promised within hours, and its completion deadline follows, plain; an
    ordinary slip gives the completion deadline with the response time in brackets."""
    lines = [kit_texts.say("issued.head", number=issued.number)]
    urgent = urgency in URGENT
    if urgent:
        lines.append(contact_line(kit_texts, issued.response_due_at, now or datetime.now(UTC),
                                  phone=phone))
    if issued.departments and not issued.low_confidence:
        lines.append(kit_texts.say("issued.departments", departments="、".join(issued.departments)))
    else:
        lines.append(kit_texts.say("issued.queue"))
    if issued.due_at is not None:
        due = kit_texts.say("issued.due", due=local_time(issued.due_at))
        if issued.response_due_at is not None and not urgent:
            response = kit_texts.say("issued.response" if phone else "issued.response_wechat",
                                     response=local_time(issued.response_due_at))
            due = f"{due}（{response}）"
        lines.append(due)
    return lines


class ActionSubmitComplaint(KitAction):
    NAME = SUBMIT

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        key = tracker.get_slot("submission_key") or metadata(tracker).get("dedupe_key")
        if not tracker.get_slot("description") or not key:
            self.say(dispatcher, "control.nothing_to_confirm")
            return [SlotSet("awaiting_confirmation", False)]
        draft = draft_of(tracker, str(key))
        try:
            issued = await self.kit.desk.issue(draft)
        except Exception:
            log.exception("issuing a slip failed; the draft is kept for another try")
            self.say(dispatcher, "control.issue_failed")
            # the key stays: if the slip was written after all, "确认" again finds it
            return [SlotSet("submission_key", key), SlotSet("awaiting_confirmation", True),
                    SlotSet("submission_failed", True)]
        if draft.phone:
            try:
                await self.kit.desk.remember_phone(draft.openid, draft.phone)
            except Exception:  # noqa: BLE001 - the slip is issued; the phone is a convenience
                log.exception("could not remember the resident's phone")
        # the slip's own urgency when the desk tells it, else the intake's triage of the
        # description (the triage's 紧急 advice said the contact promise: it now leads)
        urgency = issued.urgency or (tracker.get_slot("triage") or {}).get("urgency")
        lines = issued_lines(self.kit.texts, issued, urgency=urgency, now=self.kit.clock(),
                             phone=bool(draft.phone))
        if urgency == "特急":
            # the danger showed only in the whole report (a detail added to the form, a
            # correction): the resident hears the emergency numbers now, before the rest
            lines.insert(1, issued.advice or self.kit.texts.say("emergency.advice"))
        elif urgency == "紧急":
            # a burst pipe, a power cut: what they can do until someone comes, after the
            # contact promise
            guidance = str((tracker.get_slot("triage") or {}).get("guidance") or "")
            if guidance:
                lines.insert(2, self.kit.texts.say("issued.guidance", guidance=guidance))
        if issued.earlier:
            done = (self.kit.texts.say("issued.earlier_done",
                                       date=local_date(issued.earlier_resolved_at))
                    if issued.earlier_resolved_at else "")
            lines.append(self.kit.texts.say("issued.earlier", number=issued.earlier, done=done))
        lines.append(self.kit.texts.say("issued.how_to_query"))
        dispatcher.utter_message(text="\n".join(lines))
        events = [*clear_draft(), SlotSet("last_slip", issued.number)]
        other = next_report_text(self.kit, tracker.get_slot("next_report"))
        if other:
            # the other problem told meanwhile: the form starts on it (the engine fills it
            # from the kept message) and asks its first question
            self.say(dispatcher, "chat.next_report_started", text=other)
            events.append(FollowupAction(FORM))
        return events


def next_report_text(kit: Any, stashed: Any) -> str:
    """The other problem a kept message tells, shortened for a reply ('' for none)."""
    parse = stashed.get("parse") if isinstance(stashed, dict) else None
    text = str((parse or {}).get("text") or "")
    return shorten(kit.nlu.second_problem(text) or text, 30) if text else ""


class ActionNoteNextReport(KitAction):
    """A first message that told two problems: the second (already kept in `next_report`)
    is taken once this one is issued; the resident is told so."""

    NAME = NOTE_NEXT

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        other = next_report_text(self.kit, tracker.get_slot("next_report"))
        if other:
            self.say(dispatcher, "chat.next_report_kept", text=other)
        return []


class ActionKeepNextReport(KitAction):
    """Another problem told while this one is being taken ("等一哈，还有个事，我们小区停水两天
    了"): kept, and taken as the next report once this one is issued."""

    NAME = KEEP_NEXT

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        latest = tracker.latest_message
        stashed = {"parse": {k: v for k, v in latest.items() if k != "metadata"},
                   "metadata": metadata(tracker)}
        self.say(dispatcher, "chat.next_report_kept", text=next_report_text(self.kit, stashed))
        return [SlotSet("next_report", stashed)]
