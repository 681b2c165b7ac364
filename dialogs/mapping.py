"""From a message to slot candidates: the part of Rasa's slot mappings the engine plays.

Entities fill their slots wherever the form is; free text fills the slot that was asked for.
The candidates are handed to `validate_complaint_form`, which keeps, fixes or rejects them.
`resets` are slots the policy clears outright (a correction that names no new value).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from dialogs.inputs import Incoming
from dialogs.nlu import CORRECT, Nlu
from dialogs.state import Conversation
from dialogs.text import normalize, told_again

ENTITY_SLOTS = {"place": "location", "phone": "contact_phone", "employer": "employer"}
NOT_ANSWERS = {"cancel", "restart", "help", "query_status", "my_slips", "faq", "greet",
               "thanks", "chitchat", "abuse"}


@dataclass
class Candidates:
    slots: dict[str, Any] = field(default_factory=dict)
    resets: dict[str, Any] = field(default_factory=dict)


def added_to_description(nlu: Nlu, conv: Conversation, text: str) -> str:
    """The description with ``text`` added after it ("补充一下，" left out)."""
    more = nlu.without_addition_marker(text)
    return f"{conv.slot('description') or ''}；{more}".lstrip("；")


def candidates(
    nlu: Nlu, conv: Conversation, parse: dict[str, Any], msg: Incoming, *, starting: bool
) -> Candidates:
    out = Candidates()
    slots = out.slots
    text = str(parse.get("text") or "").strip()
    intent = parse["intent"]["name"]
    requested = conv.slot("requested_slot") if conv.form else None
    drafting = bool(conv.form or conv.slot("awaiting_confirmation"))

    # media and shared locations
    if msg.kind == "image" and msg.media_id:
        slots["photos"] = [*(conv.slot("photos") or []), msg.media_id]
    if msg.kind == "voice" and msg.media_id:
        slots["voices"] = [*(conv.slot("voices") or []), msg.media_id]
    if msg.kind == "video" and msg.media_id:
        slots["videos"] = [*(conv.slot("videos") or []), msg.media_id]
    if msg.kind == "link" and (msg.url or msg.title):
        # kept with the report (the form adds it to the description), never the report itself
        slots["links"] = [*(conv.slot("links") or []),
                          {"title": msg.title or "", "url": msg.url or ""}]
    if msg.kind == "location" and msg.lat is not None and msg.lon is not None:
        slots["location"] = {"lat": msg.lat, "lon": msg.lon, "label": msg.label or ""}

    # a part of the place corrected ("不对不对 是9栋不是8栋") or a detail of it added ("3号附近
    # 农业银行门口", after "建新东路"): the place changes, not the problem
    if (text and drafting and not starting and intent not in NOT_ANSWERS
            and intent not in ("confirm", "deny")
            and requested not in ("location", "description", "employer")):
        revised = _revised_place(nlu, conv, parse, text)
        if revised:
            slots.update(revised)
            return out

    # a correction of the description replaces it and touches nothing else: "问题改成垃圾站的
    # 垃圾一个星期没人清运了" says neither where nor when
    correction = parse.get("correction") if intent == CORRECT else None
    if (correction is None and text and drafting and not starting
            and requested != "description"
            and nlu.corrects_description(text, parse, str(conv.slot("description") or ""))):
        correction = "description"
    if correction == "description" and not starting and requested != "description":
        slots["description"] = nlu.revise_description(str(conv.slot("description") or ""),
                                                      nlu.without_phones(text, parse) or text)
        return out

    # entities fill their slots wherever the form is
    entities = parse.get("entities") or []
    for entity in entities:
        slot = ENTITY_SLOTS.get(entity.get("entity"))
        if slot and slot not in slots:
            slots[slot] = entity["value"]
    occurred = _when(text, [e for e in entities if e.get("entity") == "time"])
    if occurred:
        slots["occurred"] = occurred
    found = {ENTITY_SLOTS.get(e.get("entity")) for e in entities} - {None}

    if not text or intent in NOT_ANSWERS:
        return out
    report_like = bool(parse.get("report_like"))

    # the description
    if starting or requested == "description":
        # "另外，" goes; "我要举报，" stays (the resident's words say it is a report)
        slots["description"] = nlu.without_phone_refusal(nlu.without_where_from(
            nlu.without_greeting(nlu.without_lead_marker(
                nlu.without_phones(text, parse) or text, keep_request=True))))
    elif (requested == "contact_phone" and not found
          and (conv.slot("triage") or {}).get("request_type") == "咨询"
          and nlu.is_question(text) and not nlu.declines_phone(text)):
        # "在哪里办", asked instead of a number after a question: a question of the same
        # kind, kept with the first (answered together); the number is asked again
        slots["description"] = added_to_description(nlu, conv, text)
        out.resets["question_added"] = True
    elif (requested == "contact_phone" and not found and nlu.phone_is_in_wechat(text)
          and not nlu.declines_phone(text)):
        # "电话就是这个微信的", "就这个号码": not a problem to file. To "还用 138****8000 联系
        # 您吗" it says yes; asked for a number, they are told we cannot see the one they mean
        offered = conv.slot("phone_offered")
        if offered:
            slots["contact_phone"] = offered
        else:
            out.resets["last_rejected"] = "contact_phone_wechat"
        return out
    elif (requested == "location" and drafting and report_like and "location" not in found
          and nlu.has_problem_word(text) and not nlu.names_place(text)
          and not told_again(text, str(conv.slot("description") or ""))):
        # "晚上下楼摔了一跤" to the place question: more about the problem, not a place (it
        # was kept as the place and then lost to the real one); the place is asked again
        slots["description"] = added_to_description(nlu, conv, text)
        out.resets["detail_added"] = True
    elif drafting and report_like and not found and requested in (None, "contact_phone"):
        # more about the problem while something else is asked: add it to the description
        # ("补充一下，晚上很危险" adds "晚上很危险"); said when the phone is asked, the resident
        # is told it is taken down before the question comes again
        slots["description"] = added_to_description(nlu, conv, text)
        if requested == "contact_phone":
            out.resets["detail_added"] = True

    # a correction that names a slot but no new value: ask for that slot again
    target = parse.get("correction") if intent == CORRECT else None
    if target and target not in slots and target != "description":
        out.resets[target] = None if target not in ("occurred",) else ""
        if target == "contact_phone":
            out.resets["phone_offered"] = ""

    # a place said when the phone is asked: the place, in the resident's words, corrected
    if (requested == "contact_phone" and isinstance(slots.get("location"), str)
            and "contact_phone" not in slots and intent != CORRECT
            and not nlu.has_problem_word(text)):
        slots["location"] = _PLACE_LEAD.sub("", text).strip() or slots["location"]

    # The phone turned down aside, not asked for (again): with the place ("建新北路12号，不留
    # 电话"), or in the report itself ("路灯坏了一个星期了，我不留电话", outright refusals only).
    if "contact_phone" not in slots and (
        (requested == "location" and nlu.declines_phone_aside(text))
        or (requested not in ("contact_phone", "location") and nlu.refuses_phone_aside(text))
    ):
        slots["contact_phone"] = ""

    # "一样", to "如果也在“建新北路12号”，回复“一样”就行": the place of the problem before
    hint = conv.slot("place_hint")
    if requested == "location" and hint and "location" not in slots and nlu.says_same_place(text):
        slots["location"] = hint

    # free text answers the slot that was asked for (a place the gazetteer does not know, said
    # with a phone number: the place without the number)
    if (requested == "location" and "location" not in slots and "description" not in slots
            and not found - {"contact_phone"}):
        said = nlu.without_phones(text, parse) if "contact_phone" in found else text
        issue = conv.slot("place_issue") or {}
        if said:
            slots["location"] = said
        elif issue.get("kind") == "broad" and issue.get("text"):
            # only a number, to the question about the spot in a street: the street stands
            slots["location"] = str(issue["text"])
    elif requested == "employer" and "employer" not in slots and not found - {"location"} and (
        len(normalize(text)) <= 12 or not report_like
        or ("location" in found and not nlu.has_problem_word(text))
    ):
        # a worksite is often named by its place ("就是鱼嘴那个工地"): the employer as said
        # (the place is kept as the slip's place too)
        slots["employer"] = text
    elif requested == "contact_phone" and "contact_phone" not in slots:
        offered = conv.slot("phone_offered")
        if intent == "confirm" and offered:
            slots["contact_phone"] = offered
        elif intent == "deny" and not offered and nlu.declines_phone(text):
            slots["contact_phone"] = ""  # "不用了" with no number offered: none is left
        elif intent == "deny":
            out.resets["phone_offered"] = ""
        elif intent == "confirm":
            pass  # "是" with no number offered: the question is asked again
        elif nlu.declines_phone(text):
            slots["contact_phone"] = ""
        elif "description" not in slots and "location" not in slots:
            slots["contact_phone"] = text  # not a number: the form says so and asks again
    return out


def _revised_place(
    nlu: Nlu, conv: Conversation, parse: dict[str, Any], text: str
) -> dict[str, Any]:
    """Slot candidates for a message about a part of the draft's place ({} if it is not one):
    the place as revised (a shared location keeps its point), the description with the part
    corrected where it says it too, and a phone given or turned down with it."""
    location = conv.slot("location")
    if not isinstance(location, dict) or not location.get("text"):
        return {}
    entities = parse.get("entities") or []
    said = nlu.without_phones(text, parse) or text
    revision = nlu.revise_place(str(location["text"]), said, entities)
    if revision is None:
        return {}
    slots: dict[str, Any] = {}
    if location.get("lat") is not None:
        slots["location"] = {**location, "label": revision.text}
    else:
        slots["location"] = revision.text
    description = str(conv.slot("description") or "")
    if revision.wrong and revision.right and revision.wrong in description:
        slots["description"] = description.replace(revision.wrong, revision.right)
    phone = next((e["value"] for e in entities if e.get("entity") == "phone"), None)
    if phone is not None:
        slots["contact_phone"] = phone
    elif nlu.declines_phone_aside(text):
        slots["contact_phone"] = ""
    return slots


# what leads up to a place given in words: "在", "地址是", "地址改成", "地点不对，应该是",
# "我住在"
_PLACE_LEAD = re.compile(
    r"^\s*(?:(?:地点|地址|位置|地方)(?:不对|错了|写错了|说错了)?[：:，,\s]*)?"
    r"(?:改成|改为|改到|换成|换为|换到|应该是|其实是|我家住在|我家住|我家在|我住在|我住|住在|"
    r"就是在|就在|就是|是在|在|是)?[：:，,\s]*"
)


def _when(text: str, times: list[dict[str, Any]]) -> str | None:
    """The first time expression, with the ones right after it ("11月20日" + "晚上8点")."""
    if not times:
        return None
    norm = normalize(text)
    start, end = times[0]["start"], times[0]["end"]
    for entity in times[1:]:
        if entity["start"] != end:
            break
        end = entity["end"]
    return norm[start:end]

