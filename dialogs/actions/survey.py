"""The resident's verdict on a closed slip: 1 满意 / 2 基本满意 / 3 不满意 (then why)."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from dialogs.actions.base import KitAction, metadata, turn_time
from dialogs.actions.status import URGENT, contact_text
from dialogs.ports import SlipStatus
from dialogs.text import cjk_count, local_time, normalize, without_emoji_codes

SURVEY = "action_survey"
SURVEY_REASON = "action_survey_reason"
ASK_SURVEY = "action_ask_survey"
ASK_RERATE = "action_ask_rerate"
RERATE_OFFERED = "action_rerate_offered"
KEEP_RATING = "action_keep_rating"
ASK_REASON_OR_NEW = "action_ask_reason_or_new"
REASON_OFFERED = "action_reason_offered"

VERDICTS = {"survey_satisfied": "满意", "survey_basic": "基本满意", "survey_unsatisfied": "不满意"}
_VERDICT_WORDS = re.compile(
    r"^\s*(?:[123一二三](?!般))?\s*[，,。.、:：]?\s*"
    r"(?:(?:其实|说实话|老实说)?我?(?:很|非常|十分|不太|太|不怎么|不咋个|不咋|不大|不是很|不是太|"
    r"没那么|不算|还是)?"
    r"(?:不满意|基本满意|满意|一般般|一般|还行|还可以|凑合|马马虎虎)[哦啊呀嘛的了哈吧]*)?"
)
# A rating given in the last few days may still be changed ("其实我不满意，又脏了"): in so
# many words at once; with a bare "1" or "2" only after a "是" to the change asked about, with a
# bare "3" only once the resident says why (ASK_RERATE, ActionSurvey, policy).
RERATE_SECONDS = 3 * 24 * 3600


def said_reason(text: str) -> str:
    """What a survey answer says besides the verdict ("3 还是脏" → "还是脏", "还行吧 就是来得
    有点慢" → "就是来得有点慢")."""
    return _VERDICT_WORDS.sub("", text, count=1).strip(" ，,。.")


def gives_reason(text: str) -> bool:
    """A "不满意" answer says why as well ("3 还是脏"), so the why need not be asked."""
    return cjk_count(said_reason(text)) >= 2


def comment_of(text: str, nlu: Any) -> str | None:
    """What a 满意 / 基本满意 answer says besides the verdict ("还行吧 就是来得有点慢" → "就是
    来得有点慢"), to keep with it; None when that is only whether the problem was solved ("1
    已解决": recorded as such), thanks ("1 很满意 谢谢你们") or an emoji ("[好的]")."""
    rest = without_emoji_codes(said_reason(text)).strip(" ，,。.!！")
    bare = normalize(rest)
    thanks = next((rule.exact for rule in nlu.rules if rule.name == "thanks"), ())
    for word in (*nlu.solved_words, *nlu.unsolved_words, *sorted(thanks, key=len, reverse=True)):
        bare = bare.replace(word, "")
    return rest if cjk_count(rest) >= 2 and cjk_count(bare) >= 2 else None


def recently_rated(rated: Any, now: float) -> dict[str, Any] | None:
    """The rating this conversation recorded in the last RERATE_SECONDS, if any."""
    if not isinstance(rated, dict) or not rated.get("number"):
        return None
    at = rated.get("at")
    return rated if isinstance(at, int | float) and 0 <= now - at <= RERATE_SECONDS else None


def rated(number: str, verdict: str, now: float) -> dict[str, Any]:
    return {"number": number, "verdict": verdict, "at": now}


WAITING, CHANGING, REOPENED, FINAL = "waiting", "changing", "reopened", "final"


async def survey_target(action: KitAction, tracker: Tracker) -> tuple[SlipStatus | None, str]:
    """The slip a verdict is for, and why: the one waiting for it (WAITING), else the one
    rated lately (CHANGING; FINAL when it has been archived since, and its rating can no
    longer change), else the resident's open slip that someone else reopened while the survey
    was out (REOPENED: another resident whose problem was merged into it said 不满意, or staff
    reviewed it)."""
    desk = action.kit.desk
    waiting = await desk.awaiting_survey(tracker.sender_id)
    if waiting is not None:
        return waiting, WAITING
    recent = recently_rated(tracker.get_slot("rated_slip"), turn_time(tracker))
    if recent is not None:
        status = await desk.status(str(recent["number"]), tracker.sender_id)
        if status is not None and status.is_open is False:
            return status, FINAL if status.final else CHANGING
    reopened = await desk.open_slip_of(tracker.sender_id)
    if reopened is not None and reopened.reopen_count:
        return reopened, REOPENED
    return None, WAITING


class ActionSurvey(KitAction):
    NAME = SURVEY

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        text = str(tracker.latest_message.get("text") or "")
        # the words first: "不咋个满意" is a survey_unsatisfied answer however it was parsed
        verdict = self.kit.nlu.survey_verdict(text)[0] or VERDICTS.get(str(intent))
        waiting, why = await survey_target(self, tracker)
        if verdict is None or waiting is None:
            self.say(dispatcher, "survey.nothing")
            return []
        if why == REOPENED:
            return await self._reopened(dispatcher, tracker, waiting, verdict, text)
        if why == FINAL:
            return archived(self, dispatcher, waiting.number)
        recent = recently_rated(tracker.get_slot("rated_slip"), turn_time(tracker))
        if why == CHANGING and recent is not None and verdict == recent.get("verdict"):
            # the same rating again: nothing to change or record twice
            self.say(dispatcher, "survey.same", number=waiting.number, verdict=verdict)
            return []
        solved = self.kit.nlu.solved(text)
        if verdict == "不满意":
            if not gives_reason(text):
                if why == CHANGING and recent is not None:
                    # the rating given before stands until they say why ("不改" keeps it)
                    self.say(
                        dispatcher,
                        "ask.survey_reason_change",
                        number=waiting.number,
                        old=recent.get("verdict"),
                    )
                else:
                    self.say(dispatcher, "ask.survey_reason")
                return [SlotSet("survey_slip", waiting.number)]
            return await record_unsatisfied(self, dispatcher, tracker, waiting.number,
                                            said_reason(text))
        # "还行吧，就是来得有点慢": what they say besides the verdict is kept with it
        comment = comment_of(text, self.kit.nlu)
        try:
            await self.kit.desk.record_survey(tracker.sender_id, waiting.number, verdict,
                                              solved, comment)
        except (LookupError, ValueError):
            self.say(dispatcher, "survey.nothing")
            return [SlotSet("rated_slip", None)]
        lines = [self.kit.texts.say("survey.changed" if why == CHANGING else "survey.thanks",
                                    number=waiting.number, verdict=verdict)]
        if comment:
            lines.append(self.kit.texts.say("survey.noted"))
        dispatcher.utter_message(text="".join(lines))
        return [SlotSet("rated_slip", rated(waiting.number, verdict, turn_time(tracker)))]

    async def _reopened(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, slip: SlipStatus,
        verdict: str, text: str,
    ) -> list[dict[str, Any]]:
        """The answer to a survey whose slip was reopened meanwhile by someone else: the
        handling it rated is being redone, so there is nothing to rate now; the resident is
        told so and will be asked again when it is finished. What they said besides the
        verdict ("3 还是脏") reaches the handler as a follow-up."""
        if verdict == "不满意" and gives_reason(text):
            try:
                await self.kit.desk.add_followup(tracker.sender_id, slip.number, text, [])
            except (LookupError, ValueError):
                pass  # the slip no longer takes follow-ups: the reply below still holds
        self.say(dispatcher, "survey.reopened_by_other", number=slip.number,
                 department=slip.lead or "工作人员")
        return []


class ActionAskRerate(ActionSurvey):
    """A bare "1" or "2" for a slip rated lately with another verdict: days later it may
    answer something else, or be a slip of the finger, so the change is asked about ("是"
    makes it: RERATE_OFFERED). Anything but a change of a closed slip's rating is answered as
    ActionSurvey answers it."""

    NAME = ASK_RERATE

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        text = str(tracker.latest_message.get("text") or "")
        verdict = self.kit.nlu.survey_verdict(text)[0]
        slip, why = await survey_target(self, tracker)
        recent = recently_rated(tracker.get_slot("rated_slip"), turn_time(tracker))
        if slip is None or why != CHANGING or recent is None or verdict in (None, "不满意"):
            return await super().run(dispatcher, tracker, domain)
        self.say(
            dispatcher,
            "ask.rerate",
            number=slip.number,
            old=recent.get("verdict"),
            verdict=verdict,
        )
        return [SlotSet("rerate_offer", {"number": slip.number, "verdict": verdict})]


class ActionRerateOffered(KitAction):
    """ "是" to ASK_RERATE: the rating changes to the one offered."""

    NAME = RERATE_OFFERED

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        offer = tracker.get_slot("rerate_offer") or {}
        number, verdict = str(offer.get("number") or ""), offer.get("verdict")
        recent = recently_rated(tracker.get_slot("rated_slip"), turn_time(tracker))
        events = [SlotSet("rerate_offer", None)]
        # the slip the change was asked about: still this resident's, closed, rated lately
        slip = None
        if number and recent is not None and recent.get("number") == number:
            slip = await self.kit.desk.status(number, tracker.sender_id)
        if slip is None or slip.is_open is not False or verdict not in VERDICTS.values():
            self.say(dispatcher, "survey.nothing")
            return events
        if slip.final:
            return [*events, *archived(self, dispatcher, slip.number)]
        try:
            await self.kit.desk.record_survey(tracker.sender_id, slip.number, verdict, None, None)
        except (LookupError, ValueError):
            self.say(dispatcher, "survey.nothing")
            return [*events, SlotSet("rated_slip", None)]
        self.say(dispatcher, "survey.changed", number=slip.number, verdict=verdict)
        return [*events, SlotSet("rated_slip", rated(slip.number, verdict, turn_time(tracker)))]


class ActionKeepRating(KitAction):
    """ "不改", "打错了" (or "取消") to the why of a bare "3" for a slip rated lately: the
    rating given before stands, and the resident is told so. "取消" to the why of a first
    "不满意": nothing is recorded, and the slip still waits for its rating."""

    NAME = KEEP_RATING

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        recent = recently_rated(tracker.get_slot("rated_slip"), turn_time(tracker)) or {}
        number = tracker.get_slot("survey_slip") or recent.get("number")
        if recent.get("number") == number and recent.get("verdict"):
            self.say(dispatcher, "survey.kept", number=number, verdict=recent.get("verdict"))
        else:
            self.say(dispatcher, "survey.later", number=number)
        return [SlotSet("survey_slip", None)]


class ActionAskSurvey(KitAction):
    """A message not understood while a slip waits for its verdict: the survey again."""

    NAME = ASK_SURVEY

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        waiting = await self.kit.desk.awaiting_survey(tracker.sender_id)
        if waiting is None:
            self.say_fallback(dispatcher, tracker)
            return []
        self.say(dispatcher, "ask.survey", number=waiting.number)
        return []


class ActionSurveyReason(KitAction):
    NAME = SURVEY_REASON

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        number = tracker.get_slot("survey_slip")
        reason = str(tracker.latest_message.get("text") or "").strip()
        if not number:
            self.say(dispatcher, "survey.nothing")
            return []
        if self.kit.nlu.survey_verdict(reason)[0] == "不满意" and not gives_reason(reason):
            # "3" said again: not satisfied, nothing more to say; the slip reopens without
            # a reason rather than with "3" for the staff to read
            reason = ""
        return await record_unsatisfied(self, dispatcher, tracker, str(number), reason)


class ActionAskReasonOrNew(KitAction):
    """The why of a "不满意" asked long ago (past the idle timeout), and now a message that may
    as well tell a new problem: which is it? The message is kept (`reason_offer`): "是" makes
    it the reason (REASON_OFFERED), "新问题" starts a new report with it (policy)."""

    NAME = ASK_REASON_OR_NEW

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        number = tracker.get_slot("survey_slip")
        latest = tracker.latest_message
        kept = {"parse": {k: v for k, v in latest.items() if k != "metadata"},
                "metadata": metadata(tracker)}
        self.say(dispatcher, "ask.reason_or_new", number=number)
        return [SlotSet("reason_offer", {"number": number, "stashed": kept})]


class ActionReasonOffered(KitAction):
    """ "是" to ASK_REASON_OR_NEW: the message kept is the reason, and the slip reopens with it
    (as a reason given at once would)."""

    NAME = REASON_OFFERED

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        offer = tracker.get_slot("reason_offer") or {}
        number = tracker.get_slot("survey_slip")
        stashed = offer.get("stashed") or {}
        reason = str((stashed.get("parse") or {}).get("text") or "").strip()
        events = [SlotSet("reason_offer", None)]
        if not number or offer.get("number") != number or not reason:
            self.say(dispatcher, "survey.nothing")
            return [*events, SlotSet("survey_slip", None)]
        return [*events, *await record_unsatisfied(self, dispatcher, tracker, str(number),
                                                   reason)]


def archived(
    action: KitAction, dispatcher: CollectingDispatcher, number: str
) -> list[dict[str, Any]]:
    """A rating for a slip rated lately and archived since: it can no longer change (已归档 is
    final), so the resident is told that, and that a problem still there is taken as a new
    report (the next message starts one), rather than asked why and then told nothing."""
    action.say(dispatcher, "survey.archived", number=number)
    return [SlotSet("rated_slip", None)]


async def record_unsatisfied(
    action: KitAction, dispatcher: CollectingDispatcher, tracker: Tracker, number: str,
    reason: str,
) -> list[dict[str, Any]]:
    kit = action.kit
    solved = kit.nlu.solved(reason)
    try:
        status = await kit.desk.record_survey(tracker.sender_id, number, "不满意", solved,
                                              reason or None)
    except (LookupError, ValueError):
        # archived while the why was asked for: the resident is told where it stands
        current = await kit.desk.status(number, tracker.sender_id)
        if current is not None and current.final:
            return [SlotSet("survey_slip", None), *archived(action, dispatcher, number)]
        action.say(dispatcher, "survey.nothing")
        return [SlotSet("survey_slip", None), SlotSet("rated_slip", None)]
    if status.is_open is False:
        # Reopened too often already: the verdict is recorded and a supervisor decides.
        action.say(dispatcher, "survey.thanks", number=status.number, verdict="不满意")
        return [SlotSet("survey_slip", None),
                SlotSet("rated_slip", rated(status.number, "不满意", turn_time(tracker)))]
    # The one message the resident gets about the reopening (the desk pushes no notice
    # besides): who handles the slip now and its new deadline; for a 特急 or 紧急 slip the
    # contact promised instead (as the reopened notice's urgent text).
    if status.urgency in URGENT:
        due = contact_text(kit.texts, status, kit.clock(), "survey.reopened_contact",
                           "survey.reopened_soon")
    elif status.due_at is not None:
        due = kit.texts.say("survey.reopened_due", due=local_time(status.due_at))
    else:
        due = ""
    action.say(dispatcher, "survey.reopened", number=status.number,
               department=status.lead or "工作人员", due=due)
    return [SlotSet("survey_slip", None), SlotSet("rated_slip", None)]
