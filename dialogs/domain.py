"""The dialog domain: slots, the intake form, intents and actions, in Rasa's domain format.

The in-process engine passes this dict to every action call; `minyi actions --domain` prints
it as YAML for a Rasa deployment that wants to use the same actions.
"""

from __future__ import annotations

from typing import Any

FORM = "complaint_form"
VALIDATE_FORM = f"validate_{FORM}"

# Slots the form may ask for. Optional ones start as ""/[] so the form never asks for them,
# yet they are validated when a message fills them.
ASKED = ("description", "location", "employer", "contact_phone")
OPTIONAL = ("occurred", "photos", "voices", "videos", "links")
FORM_SLOTS = (*OPTIONAL, *ASKED)

# name -> (Rasa slot type, initial value)
SLOTS: dict[str, tuple[str, Any]] = {
    "description": ("text", None),
    # {"text", "lat", "lon", "area"}; {"text": None, …, "unknown": True}: the resident could
    # not say where (filed without a place, 待核实)
    "location": ("any", None),
    "employer": ("text", None),
    "contact_phone": ("text", None),  # "" = the resident chose not to give one
    "occurred": ("text", ""),
    "photos": ("list", []),
    "voices": ("list", []),
    "videos": ("list", []),  # media ids of videos and short videos
    "links": ("list", []),  # [{"title", "url"}]: shared links, kept with the description
    "problem_kind": ("text", None),
    "triage": ("any", None),
    "employer_unknown": ("bool", None),  # asked once what they know of an unknown employer
    "question_added": ("bool", None),  # a question said when the phone was asked: kept
    "detail_added": ("bool", None),  # more about the problem said when the phone was asked
    "phone_offered": ("text", None),  # the remembered phone we offered back ("" = declined)
    "last_rejected": ("text", None),  # a slot whose last answer was not usable
    # why the last place was not taken: {"kind": "elsewhere", "place", "district"} (another
    # district's), {"kind": "several", "places", "text"} (two places: which one?) or
    # {"kind": "unsure"} (the resident could not or would not say: asked once more)
    "place_issue": ("any", None),
    # "我要举报" sent alone: the words start the description the next message gives
    "request_marker": ("text", None),
    "awaiting_confirmation": ("bool", False),
    "submission_key": ("text", None),  # set before issuing; a replay reuses it
    "submission_failed": ("bool", False),  # issuing failed and the resident was told so
    "last_slip": ("text", None),  # slip issued in this conversation
    "followup_text": ("text", None),  # last text added to an open slip ("新问题" reuses it)
    "survey_slip": ("text", None),  # slip whose "不满意" reason we are waiting for
    # {"number", "stashed": {"parse", "metadata"}}: a message that came after the why had gone
    # unanswered past the idle timeout, asked about: that slip's reason, or a new problem?
    "reason_offer": ("any", None),
    "stashed": ("any", None),  # message that arrived with the resume prompt
    "next_report": ("any", None),  # another problem told mid-intake: taken after this one
    # the place the problem told before this one was at (two problems in one message): offered
    # when this one's place is asked ("回复“一样”就行")
    "place_hint": ("text", None),
    "rated_slip": ("any", None),  # {"number", "verdict", "at"}: the last rating, to change
    "rerate_offer": ("any", None),  # {"number", "verdict"}: a change of it asked about
    "withdraw_offer": ("any", None),  # {"numbers", "reason"}: open slips offered for 撤回
    # {"number", "place", "area"}: after an emergency slip issued without a place, the place
    # of the report being filled in or of an open slip, offered ("是在…吗")
    "place_offer": ("any", None),
    "resume_pending": ("bool", False),
    "requested_slot": ("any", None),
}

# Slots that belong to one draft complaint: cleared by cancel, restart and after issuing.
DRAFT_SLOTS = (
    *FORM_SLOTS, "problem_kind", "triage", "phone_offered", "last_rejected", "place_issue",
    "awaiting_confirmation", "submission_key", "submission_failed", "requested_slot", "stashed", "resume_pending",
    "next_report", "request_marker", "place_hint",
)

INTENTS = (
    "greet", "report", "new_report", "query_status", "my_slips", "slip_question", "cancel", "restart", "confirm",
    "deny", "correct", "help", "thanks", "wait", "faq", "chitchat", "abuse", "survey_satisfied", "survey_basic",
    "survey_unsatisfied", "nlu_fallback",
)
ENTITIES = ("phone", "place", "time", "slip_number", "employer", "faq")


def initial_slots() -> dict[str, Any]:
    return {name: (list(value) if isinstance(value, list) else value)
            for name, (_, value) in SLOTS.items()}


def draft_reset() -> dict[str, Any]:
    initial = initial_slots()
    return {name: initial[name] for name in DRAFT_SLOTS}


def domain(action_names: list[str]) -> dict[str, Any]:
    """The domain dict actions receive (and a Rasa deployment can load)."""
    return {
        "version": "3.1",
        "intents": list(INTENTS),
        "entities": list(ENTITIES),
        "slots": {
            name: {
                "type": kind,
                "initial_value": value,
                "influence_conversation": False,
                "mappings": [{"type": "custom"}],
            }
            for name, (kind, value) in SLOTS.items()
            if name != "requested_slot"
        },
        "forms": {FORM: {"required_slots": list(FORM_SLOTS)}},
        "actions": sorted(action_names),
        "responses": {},
        "session_config": {"session_expiration_time": 0, "carry_over_slots_to_new_session": True},
    }
