"""What a stored conversation keeps."""

from __future__ import annotations

from dialogs.state import MAX_EVENTS, Conversation


def _turn(conv: Conversation, text: str, at: float, triage: dict[str, object]) -> None:
    conv.record_user({"text": text, "intent": {"name": "report"}}, {"dedupe_key": text}, at)
    conv.record_action("validate_complaint_form", at)
    conv.record_slots({"description": text, "triage": triage}, at)
    conv.events.append({"event": "bot", "text": "请问具体在什么地方？", "timestamp": at})


def test_earlier_turns_keep_their_words_but_not_their_slot_history() -> None:
    conv = Conversation("oState")
    big = {"explanation": "很长的分类说明" * 100}
    _turn(conv, "小区门口的路灯坏了", 1.0, big)
    _turn(conv, "路面有个大坑", 2.0, big)
    stored = conv.dump()

    restored, how = Conversation.restore("oState", stored)
    assert how == "restored"
    assert restored.slot("description") == "路面有个大坑" and restored.slot("triage") == big
    kinds = [e["event"] for e in stored["events"]]
    assert kinds.count("user") == 2 and kinds.count("bot") == 2
    assert kinds.count("slot") == 2  # this turn's, for a form that validates them
    assert restored.reply_to("小区门口的路灯坏了") == "请问具体在什么地方？"
    assert len(str(stored)) < 2 * len(str(big)) + 2000


def test_only_the_latest_events_are_stored() -> None:
    conv = Conversation("oLong")
    for n in range(MAX_EVENTS):
        _turn(conv, f"第{n}条", float(n), {})
    events = conv.dump()["events"]
    assert len(events) <= MAX_EVENTS
    assert events[-1]["event"] == "bot" and events[-5]["text"] == f"第{MAX_EVENTS - 1}条"
