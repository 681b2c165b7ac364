"""validate_complaint_form as rasa-sdk runs it: a Tracker and a CollectingDispatcher in,
SlotSet events and messages out."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from dialogs.domain import FORM, domain, initial_slots
from dialogs.form import ValidateComplaintForm
from dialogs.kit import DialogKit

DOMAIN = domain([])


def tracker(candidates: dict[str, Any], slots: dict[str, Any] | None = None,
            metadata: dict[str, Any] | None = None) -> Tracker:
    """Slots as stored, then this message's candidates as `slot` events after the user event."""
    values = {**initial_slots(), **(slots or {}), **candidates}
    events = [{"event": "user", "text": "x"}, {"event": "action", "name": FORM}]
    events += [{"event": "slot", "name": k, "value": v} for k, v in candidates.items()]
    return Tracker("oForm", values, {"text": "x", "metadata": metadata or {}}, events, False,
                   None, {"name": FORM}, "action_listen")


async def run(kit: DialogKit, t: Tracker) -> tuple[dict[str, Any], list[str]]:
    dispatcher = CollectingDispatcher()
    events = await ValidateComplaintForm(kit).run(dispatcher, t, DOMAIN)
    return ({e["name"]: e["value"] for e in events if e["event"] == "slot"},
            [m["text"] for m in dispatcher.messages])


async def test_a_complete_message_fills_everything_and_requests_nothing(kit: DialogKit) -> None:
    slots, messages = await run(kit, tracker({
        "description": "建新北路12号门口井盖丢了", "location": "建新北路12号门口",
        "contact_phone": "138 1234 5678", "occurred": "两天了",
    }))
    assert slots["contact_phone"] == "13812345678"
    assert slots["location"]["area"]["street"] == "观音桥街道"
    assert slots["problem_kind"] == "place"
    assert slots["requested_slot"] is None
    assert messages == []


async def test_a_place_problem_asks_for_the_location_first(kit: DialogKit) -> None:
    slots, _ = await run(kit, tracker({"description": "路灯坏了三天了"}))
    assert slots["requested_slot"] == "location"


async def test_a_wage_dispute_asks_for_the_employer_not_an_address(kit: DialogKit) -> None:
    slots, _ = await run(kit, tracker({"description": "老板拖欠我们三个月工资"}))
    assert slots["problem_kind"] == "wage"
    assert slots["requested_slot"] == "employer"


async def test_a_policy_question_needs_no_place(kit: DialogKit) -> None:
    slots, _ = await run(kit, tracker({"description": "咨询一下低保怎么申请"}))
    assert slots["requested_slot"] == "contact_phone"


def test_a_question_about_a_problem_somewhere_needs_the_place(kit: DialogKit) -> None:
    """A 咨询 with a problem word in it is about a problem at a place ("我家楼上天天拖椅子，
    声音很大，这个归哪个管"): it was filed without one; a plain question still needs none."""
    asked = {"category": ["政法", "邻里纠纷"], "request_type": "咨询"}
    text = "我想问一下我家楼上天天拖椅子，声音很大，这个归哪个管"
    nlu = kit.nlu
    kind = kit.intake.kind_for(text, asked, nlu.is_plain_question(text), nlu.has_problem_word(text))
    assert "location" in kind.needs
    plain = "请问居住证在哪里办"
    kind = kit.intake.kind_for(plain, asked, nlu.is_plain_question(plain),
                               nlu.has_problem_word(plain))
    assert kind.name == "consultation" and "location" not in kind.needs


async def test_a_wrong_phone_is_rejected_and_marked_for_the_question(kit: DialogKit) -> None:
    slots, messages = await run(kit, tracker({"contact_phone": "1381234"},
                                             {"description": "路灯坏了", "problem_kind": "place",
                                              "location": {"text": "建新北路"}}))
    assert slots["contact_phone"] is None and slots["last_rejected"] == "contact_phone"
    assert slots["requested_slot"] == "contact_phone"
    assert messages == []  # the question that follows says what was wrong


async def test_declining_to_give_a_phone_fills_the_slot(kit: DialogKit) -> None:
    slots, _ = await run(kit, tracker({"contact_phone": "不方便留"},
                                      {"description": "路灯坏了", "problem_kind": "place",
                                       "location": {"text": "建新北路"}}))
    assert slots["contact_phone"] == "" and slots["requested_slot"] is None


async def test_a_shared_location_outside_the_district_is_refused(kit: DialogKit) -> None:
    slots, _ = await run(kit, tracker({"location": {"lat": 23.13, "lon": 113.35, "label": "广州"}},
                                      {"description": "路灯坏了", "problem_kind": "place"}))
    assert slots["location"] is None and slots["last_rejected"] == "location_outside"


async def test_a_shared_location_inside_keeps_its_coordinates(kit: DialogKit) -> None:
    slots, messages = await run(
        kit,
        tracker({"location": {"lat": 29.575, "lon": 106.53, "label": "北城天街"}},
                {"description": "路灯坏了", "problem_kind": "place"},
                {"msg_type": "location"}),
    )
    assert slots["location"]["lat"] == 29.575 and slots["location"]["text"] == "北城天街"
    assert messages == ["位置已收到：北城天街。"]


async def test_i_dont_know_is_not_an_address(kit: DialogKit) -> None:
    slots, _ = await run(kit, tracker({"location": "不知道"}, {"description": "路灯坏了"}))
    # rejected, and the question that follows says why a place is needed
    assert slots["location"] is None and slots["last_rejected"] == "location_refused"


async def test_only_slots_set_after_the_latest_message_are_validated(kit: DialogKit) -> None:
    # a bad phone stored earlier (not a slot event of this message) is left alone
    t = tracker({"occurred": "昨晚"}, {"description": "路灯坏了", "contact_phone": "13812345678",
                                      "location": {"text": "建新北路"}})
    t.events.insert(1, SlotSet("contact_phone", "13812345678"))
    slots, _ = await run(kit, t)
    assert set(slots) == {"occurred", "requested_slot"}
