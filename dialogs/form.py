"""The intake form's validation: `validate_complaint_form`.

Rasa (or our engine) records what a message said as `slot` events; this action checks each
value, normalises it, and names the next slot to ask for. What is required depends on the
kind of problem (`required_slots`). A rejected value is set back to None and
`last_rejected` names the slot, so the question that follows is the "say it again" form —
validators never ask questions themselves (one question per reply).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from dialogs.domain import OPTIONAL, VALIDATE_FORM
from dialogs.kit import DialogKit
from dialogs.text import cjk_count, cut_at_sentence, normalize, told_again

MAX_MEDIA = 9
MAX_LINKS = 5
LINK_TITLE = 120  # characters of a shared link's title that are kept
LINK_URL = 500  # characters of its address
# A description longer than this is cut after its last whole sentence, marked with "…"
# (the summary shows less: SUMMARY_TEXT in actions/intake.py).
MAX_TEXT = 2000


def _rejected(slot: str, why: str | None = None) -> dict[str, Any]:
    return {slot: None, "last_rejected": why or slot}


def _accepted(tracker: Tracker, slot: str) -> dict[str, Any]:
    """Clears this slot's earlier rejection, never another slot's that the same message
    brought ("解放碑的路灯坏了，电话…": the phone is fine, the question that follows still says
    whose 解放碑 is)."""
    rejected = tracker.get_slot("last_rejected")
    return {"last_rejected": None} if not rejected or rejected.startswith(slot) else {}


class ValidateComplaintForm(FormValidationAction):
    def __init__(self, kit: DialogKit) -> None:
        self.kit = kit

    def name(self) -> str:
        return VALIDATE_FORM

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        kind = self.kit.intake.get(tracker.get_slot("problem_kind"))
        description = tracker.get_slot("description")
        if tracker.get_slot("problem_kind") is None and description:
            kind = self.kit.intake.kind_for(description, self.kit.classify(description),
                                            self.kit.nlu.is_plain_question(description),
                                            self.kit.nlu.has_problem_word(description))
        return [*kind.needs, *OPTIONAL]

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        events = await super().get_validation_events(dispatcher, tracker, domain)
        said = tracker.slots_to_validate().get("location")
        if said is None or any(e.get("name") == "location" for e in events):
            return events
        # A place told for a kind that needs none (a 咨询: "我住鲤鱼池小区3栋" to the phone
        # question): rasa-sdk validates only the required slots, so it was dropped. Kept when
        # it is a place staff can use; one that is not is let go, never asked about.
        trial = CollectingDispatcher()
        result = self.validate_location(said, trial, tracker, domain)
        place = result.get("location")
        if result.get("last_rejected") == "location_broad":
            # "我住在观音桥街道": too broad for a spot to go to, but for a question it says
            # whose office answers; kept as said
            trial = CollectingDispatcher()
            place = self._place(tracker, trial, str(result["place_issue"]["text"]))["location"]
        if isinstance(place, dict) and place.get("text"):
            dispatcher.messages.extend(trial.messages)
            events.append(SlotSet("location", place))
        return events

    # -- slots -----------------------------------------------------------------------------
    def validate_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "").strip()
        if len(text) > MAX_TEXT:
            text = cut_at_sentence(text, MAX_TEXT - 1) + "…"
        if len(normalize(text)) < 2 or _is_noise(text):
            # "0??", "啊啊": nothing staff could act on
            return _rejected("description")
        nlu = self.kit.nlu
        if nlu.announces_only(text):
            # "我要反映个事情": the problem is still to come; asked for as at the start
            marker = nlu.request_marker_of(text)
            return {"description": None, "last_rejected": "description_announced",
                    **({"request_marker": marker} if marker else {})}
        if nlu.says_only_where(text):
            # "鲤鱼池小区3栋", "我是鲤鱼池的 我们那个楼": the place is kept, the problem asked for
            return {"description": None, "last_rejected": "description_where"}
        if nlu.chases_only(text):
            # "我反映了好多次了 一直没人处理" with no slip open: sorry, and what is it?
            return {"description": None, "last_rejected": "description_chased"}
        text = self._with_request_marker(tracker, text)
        triage = self.kit.classify(text)
        kind = self.kit.intake.kind_for(text, triage, self.kit.nlu.is_plain_question(text),
                                        self.kit.nlu.has_problem_word(text))
        return {"description": text, "triage": triage, "problem_kind": kind.name,
                **_accepted(tracker, "description")}

    def _with_request_marker(self, tracker: Tracker, text: str) -> str:
        """"我要举报" sent alone, then the problem: the description starts with those words,
        as when they come in one message ("我要举报，…"), unless the problem says them."""
        marker = str(tracker.get_slot("request_marker") or "")
        verb = marker.removeprefix("我要").removeprefix("我想")
        if not marker or (verb and verb in normalize(text)[: len(marker) + 4]):
            return text
        return f"{marker}，{text}"

    def validate_location(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        places = self.kit.places
        if isinstance(value, dict) and value.get("lat") is not None:
            lat, lon = float(value["lat"]), float(value["lon"])
            place = places.near(lat, lon) if places else None
            if place is not None and not place.inside:
                return {"location": None, "last_rejected": "location_outside"}
            label = str(value.get("label") or value.get("text") or "").strip()
            text = label or (place.text if place else "") or "地图上的位置"
            if value.get("area") is None and place is not None:
                area = place.to_dict()
            else:
                area = value.get("area")
            if _is_media_message(tracker, "location") and _had_description(tracker):
                dispatcher.utter_message(text=self.kit.texts.say("chat.location_added",
                                                                 label=text))
            return {"location": {"text": text, "lat": lat, "lon": lon, "area": area},
                    "last_rejected": None, "place_issue": None}
        if isinstance(value, dict):
            value = value.get("text")
        nlu = self.kit.nlu
        # "建新北路12号，不留电话": what it says about the resident is not part of the place,
        # nor is a "谢谢" after it
        text = nlu.without_polite_words(
            nlu.without_contact_clauses(str(value or "").strip()))[:120]
        issue = tracker.get_slot("place_issue") or {}
        if issue.get("kind") == "several" and not nlu.names_place(text) and nlu.says_both(text):
            # "两处都有", after "which of the two?": both are kept, staff see both
            return self._place(tracker, dispatcher, str(issue.get("text") or text))
        if nlu.announces_only(text):
            # "我要反映个事情" said to the place question: no place
            return _rejected("location")
        if nlu.acknowledges(text) and not nlu.names_place(text):
            # "好的", "知道了", "确认": no place (after another district's place was explained,
            # the explanation is said again)
            return _rejected("location", "location_elsewhere" if issue.get("kind") == "elsewhere"
                             else "location")
        if issue.get("kind") == "broad" and (
            nlu.unsure_of_place(text) or not nlu.names_place(text)
        ):
            # asked for more than a street's name: "说不清", "好的", or an answer that names
            # no place keeps the street said before (its office finds the spot)
            return self._place(tracker, dispatcher, str(issue.get("text") or text))
        if nlu.unsure_of_place(text):
            # "不留", "不知道", "你们自己去看嘛": not a place. Asked once more, with examples of
            # what helps; the second time it is filed without one (staff check where)
            if issue.get("kind") == "unsure":
                return self._no_place(dispatcher)
            return {"location": None, "last_rejected": "location_refused",
                    "place_issue": {"kind": "unsure"}}
        if nlu.is_vague_place(text):
            # "就在我们小区", "我家楼下": where only to the resident. Asked once more for a name
            # or a road; said again, kept as said (staff check where)
            if issue.get("kind") == "vague":
                return self._place(tracker, dispatcher, text)
            return {"location": None, "last_rejected": "location_vague",
                    "place_issue": {"kind": "vague"}}
        if len(normalize(text)) < 2 or (
            not nlu.names_place(text) and (nlu.is_question(text) or nlu.has_problem_word(text))
        ):
            # another question or more about the problem ("公积金怎么提取"), not where
            return _rejected("location")
        if not nlu.names_place(text) and _is_noise(text):
            # "asdkjh 啊啊啊": nothing anyone could find
            return _rejected("location")
        if _is_complaint(nlu, text, str(tracker.get_slot("description") or "")):
            # the problem told again ("我们小区门口那个下水道堵了，污水漫到路上了"): a 门口 in
            # it names no place staff could go to
            return _rejected("location")
        several = nlu.entities.several_places(text)
        answer = str(tracker.latest_message.get("text") or "")
        asked = tracker.get_slot("requested_slot") == "location"
        if not several and answer and (asked or "description" in tracker.slots_to_validate()):
            # the whole answer (or the first message, which told the problem too), when its
            # best place was taken out of it ("观音桥还有寸滩", "观音桥和寸滩都停水了")
            whole = nlu.without_contact_clauses(answer)
            several = nlu.entities.several_places(whole)
            if several and asked:
                text = whole.strip()[:120]
            elif several:  # the places, without the problem told with them
                norm = normalize(whole)
                start = norm.find(several[0])
                end = norm.rfind(several[-1]) + len(several[-1])
                text = norm[start:end] if 0 <= start < end else text
        if several:
            # two separate places: which one? (a stretch or crossing between two is one place)
            return {"location": None, "last_rejected": "location_several",
                    "place_issue": {"kind": "several", "places": several[:3], "text": text}}
        other = places.elsewhere(text) if places is not None else None
        if other is not None and (not answer or places.elsewhere(answer) is not None):
            # (the whole message may say it is ours: "江北区的解放碑路3号")
            # "解放碑": another district's; not filed for ours unless they give a place of ours
            return {"location": None, "last_rejected": "location_elsewhere",
                    "place_issue": {"kind": "elsewhere", "place": other.text,
                                    "district": getattr(other, "district", None) or ""}}
        street = self._only_a_street(tracker, text) if issue.get("kind") != "broad" else None
        if street:
            # "观音桥街道": square kilometres. Asked once for a road, an estate or a landmark;
            # said again (or "说不清"), the street is kept (its office finds the spot)
            return {"location": None, "last_rejected": "location_broad",
                    "place_issue": {"kind": "broad", "text": text, "place": street}}
        return self._place(tracker, dispatcher, text)

    def _only_a_street(self, tracker: Tracker, text: str) -> str | None:
        """The street office or town ``text`` names when that is all it says of the place,
        for a problem at a spot (not "停水" across the street); else None."""
        places = self.kit.places
        found = places.find_all(text) if places is not None else []
        if not found or any(m.kind != "street" or not m.inside for m in found):
            return None
        nlu = self.kit.nlu
        if nlu.is_area_wide(f"{tracker.get_slot('description') or ''} {text}"):
            return None
        if cjk_count(nlu.place_detail(text, [m.text for m in found])) >= 2:
            return None
        return str(found[0].street or found[0].text)

    def _no_place(self, dispatcher: CollectingDispatcher) -> dict[str, Any]:
        """Filed without a place: the slip says so (待核实) and staff check where."""
        dispatcher.utter_message(text=self.kit.texts.say("chat.location_unknown"))
        return {"location": {"text": None, "lat": None, "lon": None, "area": None,
                             "unknown": True},
                "last_rejected": None, "place_issue": None}

    def _place(self, tracker: Tracker, dispatcher: CollectingDispatcher, text: str
               ) -> dict[str, Any]:
        """A place in words, taken: with the area of ours it names, if any."""
        places = self.kit.places
        place = places.find(text) if places else None
        area = place.to_dict() if place is not None and place.inside else None
        if (
            tracker.get_slot("requested_slot") == "contact_phone"
            and "contact_phone" not in tracker.slots_to_validate()
        ):
            # said instead of a phone number: the question that follows asks for it again
            dispatcher.utter_message(text=self.kit.texts.say("chat.location_noted", label=text))
        return {"location": {"text": text, "lat": None, "lon": None, "area": area},
                "last_rejected": None, "place_issue": None}

    def validate_employer(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "").strip()[:80]
        nlu = self.kit.nlu
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if nlu.acknowledges(text) or intent in ("confirm", "deny"):
            # "确认", "好的": no employer (it was filed as 单位：确认)
            return _rejected("employer")
        said = nlu.without_unknown_clauses(text)
        if cjk_count(said) < 2 and tracker.get_slot("requested_slot") == "employer":
            # "不知道公司名字，就是鱼嘴那个工地": the entity found was "不知道公司"; what the
            # answer does tell is the rest of it
            whole = nlu.without_contact_clauses(str(tracker.latest_message.get("text") or ""))
            said = nlu.without_unknown_clauses(whole)[:80] or said
        if len(normalize(said)) < 2:
            if said != text or nlu.is_unknown(text):
                # "不知道公司名字": asked once what they do know; said again, filed as not
                # known (staff find out)
                if tracker.get_slot("employer_unknown"):
                    return {"employer": self.kit.texts.say("chat.employer_unknown"),
                            "employer_unknown": None, **_accepted(tracker, "employer")}
                return {"employer": None, "last_rejected": "employer_unknown",
                        "employer_unknown": True}
            return _rejected("employer")
        return {"employer": said, "employer_unknown": None, **_accepted(tracker, "employer")}

    def validate_contact_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value == "":
            return {"contact_phone": "", **_accepted(tracker, "contact_phone")}
        text = str(value or "")
        if self.kit.nlu.declines_phone(text):
            return {"contact_phone": "", **_accepted(tracker, "contact_phone")}
        phone = self.kit.nlu.entities.phone_of(text)
        if phone is None:
            return _rejected("contact_phone")
        return {"contact_phone": phone, **_accepted(tracker, "contact_phone")}

    def validate_occurred(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {"occurred": str(value or "").strip()[:60]}

    def _media_added(
        self, slot: str, kind: str, said: str, value: Any, dispatcher: CollectingDispatcher,
        tracker: Tracker,
    ) -> dict[str, Any]:
        """Photos and videos: the count so far, said when one arrives after the description
        (as the first thing, the question that follows already says it arrived)."""
        items = _media_list(value)
        if items and _is_media_message(tracker, kind) and _had_description(tracker):
            dispatcher.utter_message(text=self.kit.texts.say(said, count=len(items)))
        return {slot: items}

    def validate_photos(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._media_added("photos", "image", "chat.photo_added", value, dispatcher,
                                 tracker)

    def validate_voices(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        voices = _media_list(value)
        meta = tracker.latest_message.get("metadata") or {}
        if voices and meta.get("msg_type") == "voice" and not meta.get("recognition") \
                and _had_description(tracker):
            dispatcher.utter_message(text=self.kit.texts.say("chat.voice_unclear"))
        return {"voices": voices}

    def validate_videos(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._media_added("videos", "video", "chat.video_added", value, dispatcher,
                                 tracker)

    def validate_links(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        links = _link_list(value)
        if links and _is_media_message(tracker, "link") and _had_description(tracker):
            dispatcher.utter_message(text=self.kit.texts.say("chat.link_added"))
        return {"links": links}


_FILLERS = set("啊哦嗯呀哈呢吧嘛额呃唉哎噢喔啦咯嘞哟")


def _is_noise(text: str) -> bool:
    """No two different Chinese characters besides interjections: letters typed at random,
    "啊啊啊", "嗯嗯"."""
    chars = {c for c in text if "\u4e00" <= c <= "\u9fff"} - _FILLERS
    return len(chars) < 2


COMPLAINT_CHARS = 12  # a sentence this long about a problem, with no place named, is no place


def _is_complaint(nlu: Any, text: str, description: str) -> bool:
    if any(e["entity"] == "place" for e in nlu.entities.extract(text)):
        return False
    if not nlu.has_problem_word(text):
        return False
    return cjk_count(text) >= COMPLAINT_CHARS or told_again(text, description)


def _link_list(value: Any) -> list[dict[str, str]]:
    """Shared links as {"title", "url"}, each address once, trimmed; at most MAX_LINKS."""
    items = value if isinstance(value, list) else []
    seen: list[dict[str, str]] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        title = " ".join(str(item.get("title") or "").split())[:LINK_TITLE]
        url = "".join(str(item.get("url") or "").split())[:LINK_URL]
        if (title or url) and all((s["url"] or s["title"]) != (url or title) for s in seen):
            seen.append({"title": title, "url": url})
    return seen[:MAX_LINKS]


def _media_list(value: Any) -> list[str]:
    items = value if isinstance(value, list) else []
    seen: list[str] = []
    for item in items:
        if isinstance(item, str) and item and item not in seen:
            seen.append(item)
    return seen[:MAX_MEDIA]


def _had_description(tracker: Tracker) -> bool:
    """The draft had a description before this message (not one it just brought)."""
    return bool(tracker.get_slot("description")) and "description" not in (
        tracker.slots_to_validate()
    )


def _is_media_message(tracker: Tracker, kind: str) -> bool:
    return (tracker.latest_message.get("metadata") or {}).get("msg_type") == kind
