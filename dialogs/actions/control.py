"""Cancel, restart, and picking a conversation up again after a long pause."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from dialogs.actions.base import KitAction, clear_draft, metadata
from dialogs.actions.intake import next_report_text
from dialogs.domain import FORM
from dialogs.text import shorten

CANCEL = "action_cancel"
RESTART = "action_restart"
ASK_RESUME = "action_ask_resume"
RESUME = "action_resume"
DROP_DRAFT = "action_drop_draft"
WITHDRAW_OR_CANCEL = "action_withdraw_or_cancel"


def has_draft(tracker: Tracker) -> bool:
    return bool(
        tracker.active_loop_name
        or tracker.get_slot("awaiting_confirmation")
        or tracker.get_slot("description")
        or tracker.get_slot("resume_pending")
    )


class ActionCancel(KitAction):
    NAME = CANCEL

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        other = next_report_text(self.kit, tracker.get_slot("next_report"))
        if other and has_draft(tracker):
            # another problem was kept for after this one: this one goes, that one starts (the
            # engine fills the form from the kept message)
            self.say(dispatcher, "control.cancelled_next", text=other)
            return [*clear_draft(), SlotSet("survey_slip", None), FollowupAction(FORM)]
        if has_draft(tracker) or tracker.get_slot("survey_slip"):
            self.say(dispatcher, "control.cancelled")
        else:
            self.say(dispatcher, "control.cancel_nothing")
        return [*clear_draft(), SlotSet("survey_slip", None)]


class ActionWithdrawOrCancel(KitAction):
    """ "撤回" while a report is being filled in and a slip is open: the report not sent yet,
    or the slip? Both answers are said (the question of the report follows)."""

    NAME = WITHDRAW_OR_CANCEL

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        slip = await self.kit.desk.open_slip_of(tracker.sender_id)
        if slip is None:
            self.say(dispatcher, "control.cancel_or_go_on")
        else:
            self.say(dispatcher, "control.withdraw_or_cancel", number=slip.number)
        return []


class ActionRestart(KitAction):
    """Forgets the draft; the engine then starts the form again (one question follows)."""

    NAME = RESTART

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        self.say(dispatcher, "control.restarted")
        return [*clear_draft(), SlotSet("survey_slip", None)]


# media that arrive with the resume question and are kept: the word for each
_KEPT = {"image": "followup.photo", "voice": "followup.voice", "video": "followup.video"}


def _minutes_ago(tracker: Tracker) -> float:
    stamps = [e.get("timestamp") for e in tracker.events if e.get("event") == "user"]
    stamps = [s for s in stamps if isinstance(s, int | float)]
    return (stamps[-1] - stamps[-2]) / 60 if len(stamps) >= 2 else 0.0


def _ago(minutes: float) -> str:
    if minutes < 60:
        return f"{max(1, int(minutes))}分钟"
    if minutes < 60 * 24:
        return f"{int(minutes // 60)}个小时"
    return f"{int(minutes // (60 * 24))}天"


class ActionAskResume(KitAction):
    """After a long pause in the middle of an intake: continue, or start again? The message
    that arrived is kept (`stashed`) so that "重新开始" can use it as the new report."""

    NAME = ASK_RESUME

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        description = shorten(str(tracker.get_slot("description") or ""), 30)
        meta = metadata(tracker)
        kind = meta.get("msg_type")
        if kind in _KEPT and meta.get("media_id") and not (
            kind == "voice" and meta.get("recognition")
        ):
            # kept for the draft on "继续" (or the new report on "重新开始"): said so
            self.say(dispatcher, "chat.media_kept", what=self.kit.texts.say(_KEPT[kind]))
        self.say(dispatcher, "ask.resume", ago=_ago(_minutes_ago(tracker)),
                 description=description)
        latest = tracker.latest_message
        stashed = {"parse": {k: v for k, v in latest.items() if k != "metadata"},
                   "metadata": metadata(tracker)}
        return [SlotSet("resume_pending", True), SlotSet("stashed", stashed)]


class ActionResume(KitAction):
    NAME = RESUME

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        self.say(dispatcher, "control.resumed")
        return [SlotSet("resume_pending", False), SlotSet("stashed", None)]


class ActionDropDraft(KitAction):
    NAME = DROP_DRAFT

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        self.say(dispatcher, "control.resume_dropped")
        return clear_draft()
