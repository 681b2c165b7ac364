"""The resident's verdict on a closed slip: 1 满意 / 2 基本满意 / 3 不满意 (then why)."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from dialogs.actions.base import KitAction
from dialogs.text import cjk_count, local_time

SURVEY = "action_survey"
SURVEY_REASON = "action_survey_reason"

VERDICTS = {"survey_satisfied": "满意", "survey_basic": "基本满意", "survey_unsatisfied": "不满意"}
_VERDICT_WORDS = re.compile(
    r"^\s*[123一二三]?\s*[，,。.、:：]?\s*"
    r"(?:(?:很|非常|十分|不太|太|不怎么|不咋个|不咋|不大|不是很|不是太|没那么|不算)?"
    r"(?:不满意|基本满意|满意)[哦啊呀嘛的了哈]*)?"
)


class ActionSurvey(KitAction):
    NAME = SURVEY

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        text = str(tracker.latest_message.get("text") or "")
        # the words first: "不咋个满意" is a survey_unsatisfied answer however it was parsed
        verdict = self.kit.nlu.survey_verdict(text)[0] or VERDICTS.get(str(intent))
        waiting = await self.kit.desk.awaiting_survey(tracker.sender_id)
        if verdict is None or waiting is None:
            self.say(dispatcher, "survey.nothing")
            return []
        solved = self.kit.nlu.solved(text)
        if verdict == "不满意":
            reason = _VERDICT_WORDS.sub("", text, count=1).strip(" ，,。.")
            if cjk_count(reason) < 2:
                self.say(dispatcher, "ask.survey_reason")
                return [SlotSet("survey_slip", waiting.number)]
            return await record_unsatisfied(self, dispatcher, tracker, waiting.number, reason)
        await self.kit.desk.record_survey(tracker.sender_id, waiting.number, verdict, solved, None)
        self.say(dispatcher, "survey.thanks", number=waiting.number, verdict=verdict)
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
        return await record_unsatisfied(self, dispatcher, tracker, str(number), reason)


async def record_unsatisfied(
    action: KitAction, dispatcher: CollectingDispatcher, tracker: Tracker, number: str,
    reason: str,
) -> list[dict[str, Any]]:
    kit = action.kit
    solved = kit.nlu.solved(reason)
    status = await kit.desk.record_survey(tracker.sender_id, number, "不满意", solved,
                                          reason or None)
    if status.is_open is False:
        # Reopened too often already: the verdict is recorded and a supervisor decides.
        action.say(dispatcher, "survey.thanks", number=status.number, verdict="不满意")
        return [SlotSet("survey_slip", None)]
    # The one message the resident gets about the reopening (the desk pushes no notice
    # besides): who handles the slip now and its new deadline.
    due = kit.texts.say("survey.reopened_due", due=local_time(status.due_at)) \
        if status.due_at is not None else ""
    action.say(dispatcher, "survey.reopened", number=status.number,
               department=status.lead or "工作人员", due=due)
    return [SlotSet("survey_slip", None)]
