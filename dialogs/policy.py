"""Which actions answer a message: the rules a Rasa deployment would write as rules/stories.

Order matters and is the whole policy:
1. events (subscribe, menu clicks);
2. 取消 / 重新开始, from any step;
3. danger to life or property: the 110/119/120 advice before anything else;
4. an earlier answer still owed: the resume prompt, a "不满意" reason (owed past the idle
   timeout, a message that may tell a new problem is asked about first: reason or new?);
5. a long pause in the middle of an intake: ask whether to continue;
6. survey answers, and questions that leave the draft alone (status, FAQ, help, greetings) —
   answered, then the pending question is asked again;
7. the summary step: 确认 issues the slip, anything else edits the draft;
8. the form: the message fills slots, the form asks the next question;
9. no draft: media and text join an open slip as follow-ups, or start a new report; a shared
   link joins an open slip, or is answered (a link alone is not a report); what is not
   understood while a survey waits asks for the verdict again.
Every plan asks at most one question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from dialogs.actions.control import (
    ASK_RESUME,
    CANCEL,
    DROP_DRAFT,
    RESTART,
    RESUME,
    WITHDRAW_OR_CANCEL,
)
from dialogs.actions.emergency import EMERGENCY, PLACE_OFFERED
from dialogs.actions.followup import FOLLOWUP
from dialogs.actions.intake import KEEP_NEXT, NOTE_NEXT, SUBMIT, SUMMARY
from dialogs.actions.status import (
    ASK_WITHDRAW,
    KEEP_SLIP,
    MY_SLIPS,
    QUERY_STATUS,
    SLIP_QUESTION,
    WITHDRAW_OFFERED,
    offered_number,
)
from dialogs.actions.survey import (
    ASK_REASON_OR_NEW,
    ASK_RERATE,
    ASK_SURVEY,
    KEEP_RATING,
    REASON_OFFERED,
    RERATE_OFFERED,
    SURVEY,
    SURVEY_REASON,
    gives_reason,
    recently_rated,
)
from dialogs.domain import FORM
from dialogs.inputs import Incoming
from dialogs.kit import DialogKit
from dialogs.mapping import Candidates, added_to_description, candidates
from dialogs.nlu import CORRECT, FALLBACK, REPORT
from dialogs.state import Conversation
from dialogs.text import bare, cjk_count, normalize

EMERGENCY_URGENCY = "特急"
# "撤回", "我要撤销掉": said alone (more words may tell what is withdrawn, or why)
BARE_WITHDRAW_CHARS = 6
SURVEY_INTENTS = ("survey_satisfied", "survey_basic", "survey_unsatisfied")
# intents a survey answer in everyday words does not override
NOT_SURVEY = frozenset({"query_status", "my_slips", "slip_question", "faq", "help", "cancel", "restart",
                        "new_report", "correct"})
# intents answered without touching the draft
INFO = {
    "query_status": QUERY_STATUS,
    "my_slips": MY_SLIPS,
    "slip_question": SLIP_QUESTION,
    "faq": "action_faq",
    "help": "action_help",
    "greet": "action_greet",
    "thanks": "action_thanks",
    "wait": "action_wait",
    "chitchat": "action_chitchat",
    "abuse": "action_abuse",
}
# Answers to ASK_REASON_OR_NEW ("您这条是在说交办单 … 哪里不满意吗？"): "新的", "是新问题",
# "不是，新的", "这是个新的事情" (a new problem); "不是新问题" (the reason); "是上次那个",
# "对，就是那个" (the reason)
_NEW_ONE = re.compile(
    r"^(?:(?:不是|不对)+[的哦啊]?|(?:是|这是)?(?:个|一个)?新的?(?:问题|事|事情|情况)?[的哦啊嘛哈]?)$"
)
_NO_LEAD = re.compile(r"^\s*(?:不是|不对)[的哦啊]?\s*[，,。.！!、\s]+")
_NOT_NEW = re.compile(r"不是(?:个|一个)?新")
_YES_LEAD = re.compile(r"^(?:是|对|嗯|就是)")
# actions that ask the resident something: a plan holds at most one
ASKING_PREFIXES = ("action_ask_",)
ASKING = frozenset({SUMMARY, ASK_RESUME, "action_ask_correction"})


def asks(action: str) -> bool:
    return action in ASKING or action.startswith(ASKING_PREFIXES)


@dataclass
class Plan:
    actions: list[str]
    candidates: dict[str, Any] = field(default_factory=dict)  # slot events for the form
    resets: dict[str, Any] = field(default_factory=dict)  # slots set before anything runs
    activate_form: bool = False
    submission: bool = False  # persist the idempotency key before the first action
    restart_with: dict[str, Any] | None = None  # a stashed message to start a new report with
    # a stashed message whose slot candidates are `candidates`: the form sees it as the
    # latest message (the one that came with the resume question, on "继续")
    replay: dict[str, Any] | None = None


class Policy:
    def __init__(self, kit: DialogKit) -> None:
        self.kit = kit

    async def plan(
        self, conv: Conversation, parse: dict[str, Any], msg: Incoming, *, idle: bool
    ) -> Plan:
        late = await self._late_reason(conv, parse, msg, idle=idle)
        if isinstance(late, Plan):
            plan = late
        else:
            if late:
                conv = replace(conv, slots={**conv.slots, **late})
            plan = await self._plan(conv, parse, msg, idle=idle)
            for name, value in late.items():
                plan.resets.setdefault(name, value)  # no longer waited for
        if conv.slot("withdraw_offer") and not {ASK_WITHDRAW, WITHDRAW_OFFERED,
                                                KEEP_SLIP} & set(plan.actions):
            plan.resets.setdefault("withdraw_offer", None)  # the offer was not taken up
        if conv.slot("rerate_offer") and not {ASK_RERATE, RERATE_OFFERED} & set(plan.actions):
            plan.resets.setdefault("rerate_offer", None)  # the rating stays as it was
        if conv.slot("place_offer") and PLACE_OFFERED not in plan.actions:
            plan.resets.setdefault("place_offer", None)  # another place, or no answer to it
        return plan

    async def _plan(
        self, conv: Conversation, parse: dict[str, Any], msg: Incoming, *, idle: bool
    ) -> Plan:
        intent = parse["intent"]["name"]
        if msg.kind == "event":
            return self._event(conv, msg)
        echo = ["action_voice_heard"] if msg.recognised_voice else []
        drafting = bool(conv.form or conv.slot("awaiting_confirmation"))
        text = str(parse.get("text") or "")

        if conv.slot("withdraw_offer") and not drafting:
            # the answer to "是要撤回交办单 JB…吗": 是 / 2 / the number, or 不是
            if offered_number(self.kit.nlu, conv.slot("withdraw_offer"), parse):
                return Plan([*echo, WITHDRAW_OFFERED])
            if intent in ("deny", "cancel") and not self.kit.nlu.says_not_needed(text):
                return Plan([*echo, KEEP_SLIP])
        offer = conv.slot("rerate_offer")
        if offer and not drafting and not idle and self._takes_rerate(offer, parse):
            # "是" (or the same number again) to "要改成“满意”吗": changed
            return Plan([*echo, RERATE_OFFERED])
        if conv.slot("place_offer") and not drafting and self._takes_place(parse):
            # "是" to "是在“…”吗" after an emergency slip issued without its place
            return Plan([*echo, PLACE_OFFERED])
        if not (drafting or conv.slot("survey_slip") or conv.slot("resume_pending")) and (
            await self._calls_off(parse, msg)
        ):
            # "撤销", "不用办了", "算了 不要你们管了", "取消", "红绿灯已经修好了，你们不用来
            # 了" with no number and nothing being filled in: withdraw the open slip? (asked;
            # several: which one)
            return Plan([*echo, ASK_WITHDRAW])
        if intent == "cancel" and conv.slot("survey_slip"):
            # "取消" to "哪里不满意", the last question asked: nothing is recorded (a rating
            # given before stands; a survey still waiting waits on), and the resident is told
            # so; a report being filled in goes on (its question comes back)
            return Plan([*echo, KEEP_RATING, *(self._reask(conv) if drafting else [])])
        if drafting and self._bare_withdraw(parse):
            # "撤回" while a report is being filled in: with nothing sent it means this report
            # (cancelled, as "取消" is); with a slip open, which of the two is asked
            if await self.kit.desk.open_slip_of(msg.openid) is None:
                return Plan([CANCEL], restart_with=next_report(conv))
            return Plan([*echo, WITHDRAW_OR_CANCEL, *self._reask(conv)])
        if intent == "cancel":
            # a problem kept for after this one starts instead (CANCEL asks for it)
            return Plan([CANCEL], restart_with=next_report(conv))
        if self._danger(parse):
            # the why of a 不满意 is no longer waited for: the emergency's place, sent next,
            # must reach the emergency slip, not reopen the old one as its "reason"
            return Plan([EMERGENCY], resets={"survey_slip": None} if conv.slot("survey_slip")
                        else {})
        if conv.slot("resume_pending"):
            return self._resume_answer(conv, parse, msg, echo)
        if intent == "restart":
            return Plan([RESTART, FORM], activate_form=True)
        if conv.slot("survey_slip") and parse.get("text") and intent not in INFO:
            if self._changing_rating(conv) and self.kit.nlu.keeps_rating(text, intent):
                # "不改", "打错了" to the why of a bare "3" after a rating: it stands
                return Plan([*echo, KEEP_RATING])
            # while a report is being filled in, its question comes back after the why
            return Plan([*echo, SURVEY_REASON, *(self._reask(conv) if drafting else [])])
        if drafting and idle and conv.slot("description"):
            if intent in INFO:
                return Plan([*echo, INFO[intent]])
            return Plan([*echo, ASK_RESUME])
        survey = await self._survey_answer(parse, msg, drafting, conv)
        if survey == ASK_RERATE:
            return Plan([*echo, ASK_RERATE])
        if survey == SURVEY:
            # a bare "不满意" is asked why, and one reply asks one thing: the report's own
            # question comes back after the why is answered (SURVEY_REASON above)
            asks_why = (self.kit.nlu.survey_verdict(text)[0] == "不满意"
                        and not gives_reason(text))
            return Plan([*echo, SURVEY, *([] if asks_why else self._reask(conv))])
        if conv.slot("awaiting_confirmation") and self.kit.nlu.confirms_politely(text, parse):
            # "确认，谢谢", "对的 就是这样 麻烦你们了": the yes, not the thanks or a report
            return self._confirming(conv, parse, msg, echo, polite=True)
        if intent in INFO:
            action = INFO[intent]
            if self._reask(conv) and intent in ("greet", "abuse"):
                action = f"{action}_short"  # the pending question follows
            return Plan([*echo, action, *self._reask(conv)])
        if (drafting and conv.slot("description")
                and conv.slot("requested_slot") != "description"
                and self.kit.nlu.second_problem(str(parse.get("text") or ""))):
            # "还有个事，…": another problem, kept for after this one (never lost, never
            # taken as this one's answer)
            return Plan([*echo, KEEP_NEXT, *self._reask(conv)])
        if conv.slot("awaiting_confirmation"):
            return self._confirming(conv, parse, msg, echo)
        if conv.form:
            found = candidates(self.kit.nlu, conv, parse, msg, starting=False)
            return Plan([*echo, FORM], found.slots, found.resets)
        return await self._no_draft(conv, parse, msg, echo)

    def _takes_place(self, parse: dict[str, Any]) -> bool:
        """ "是", "对 就是那里", "一样": the place offered; not when the message names a place
        (that one is taken as a follow-up) or tells another danger."""
        if any(e.get("entity") == "place" for e in parse.get("entities") or []):
            return False
        if self._danger(parse):
            return False
        text = str(parse.get("text") or "")
        return self.kit.nlu.says_yes(text, parse) or self.kit.nlu.says_same_place(text)

    # -- steps -----------------------------------------------------------------------------
    async def _late_reason(
        self, conv: Conversation, parse: dict[str, Any], msg: Incoming, *, idle: bool
    ) -> Plan | dict[str, Any]:
        """The why of a "不满意" (`survey_slip`) that went unanswered past the idle timeout is
        not taken from whatever the resident writes next: days later that is as likely a new
        problem. Words that the old problem is still there ("还是没修好") are its reason, as
        at once; a message that may tell a new problem is asked about (ASK_REASON_OR_NEW,
        the message kept): "是" makes it the reason, "新问题" (or "不是") a new report; any
        other message is read as if no why were owed, and none is any more. The plan, when
        this decides it; otherwise the slots dropped before the message is read ({}: none)."""
        intent = parse["intent"]["name"]
        text = str(parse.get("text") or "")
        echo = ["action_voice_heard"] if msg.recognised_voice else []
        drafting = bool(conv.form or conv.slot("awaiting_confirmation"))
        offer = conv.slot("reason_offer")
        if intent in ("cancel", "restart"):
            return {"reason_offer": None} if offer else {}  # they drop the why themselves
        if offer:
            if not drafting and conv.slot("survey_slip") and not self._danger(parse):
                said = self._reason_or_new(parse)
                if said == "reason":
                    return Plan([*echo, REASON_OFFERED])
                if said == "new":
                    # the message kept starts the report (the verdict stays unrecorded: the
                    # slip still waits for it, and is reminded of and expires as before)
                    return Plan([*echo, "action_new_report", FORM], activate_form=True,
                                restart_with=offer.get("stashed"),
                                resets={"survey_slip": None, "reason_offer": None})
            return {"reason_offer": None, "survey_slip": None}
        if conv.slot("survey_slip") and drafting and cjk_count(text) < 2:
            # a phone number, "是", a place shared on the map while a report is being filled
            # in tells no why: it answers the report's question, and the why is no longer
            # waited for (the slip still waits for its rating, reminded as before)
            return {"survey_slip": None}
        if not (idle and conv.slot("survey_slip")):
            return {}
        if drafting or not text or self._danger(parse):
            return {"survey_slip": None}
        nlu = self.kit.nlu
        if self._changing_rating(conv) and nlu.keeps_rating(text, intent):
            return {}  # "不改": the rating given before stands (KEEP_RATING)
        if intent in INFO:
            return {"survey_slip": None}
        if (nlu.survey_verdict(text)[0] == "不满意" and gives_reason(text)
                and await self._about_survey_slip(conv, parse, msg)):
            return {}  # "还是没修好": the reason
        if parse.get("report_like") or intent in (REPORT, CORRECT) or (
            intent == FALLBACK and cjk_count(text) >= 2
        ):
            return Plan([*echo, ASK_REASON_OR_NEW])
        # "1", "3", "好的": as if no why were owed (a bare "3" asks it again)
        return {"survey_slip": None}

    async def _about_survey_slip(
        self, conv: Conversation, parse: dict[str, Any], msg: Incoming
    ) -> bool:
        """Every place the message names is the place of the slip whose why is owed."""
        places = [str(e.get("value") or "") for e in parse.get("entities") or []
                  if e.get("entity") == "place"]
        if not places:
            return True
        slip = await self.kit.desk.status(str(conv.slot("survey_slip")), msg.openid)
        summary = (slip.summary if slip is not None else None) or ""
        return all(p and p in summary for p in places)

    def _reason_or_new(self, parse: dict[str, Any]) -> str | None:
        """The answer to ASK_REASON_OR_NEW: "reason" ("是", "对", "是上次那个", "不是新问
        题"), "new" ("新问题", "不是", "是新的", "我要反映新问题"), None for anything else
        (a message that tells a problem of its own is no such answer)."""
        text = str(parse.get("text") or "")
        intent = parse["intent"]["name"]
        norm = normalize(text)
        nlu = self.kit.nlu
        own = nlu.has_problem_word(text) or nlu.names_place(text)
        if _NOT_NEW.search(norm) and not own:
            return "reason"
        if intent in ("deny", "new_report") or _NEW_ONE.match(
            bare(_NO_LEAD.sub("", norm))
        ) or (nlu.has_new_report_marker(text) and not own):
            return "new"
        if intent == "confirm" or (_YES_LEAD.match(bare(norm)) and not own
                                   and cjk_count(text) <= 8):
            return "reason"
        return None

    def _event(self, conv: Conversation, msg: Incoming) -> Plan:
        event = (msg.event or "").lower()
        if event in ("subscribe", "subscribe_scan"):
            return Plan(["action_welcome"])
        if event == "scan":
            return Plan(["action_help"])
        meaning = self.kit.nlu.menu_intents.get(msg.event_key or "")
        drafting = bool(conv.form or conv.slot("awaiting_confirmation"))
        if meaning == "new_report":
            if drafting:
                return Plan(self._reask(conv))
            return Plan([FORM], activate_form=True)
        if meaning in INFO:
            return Plan([INFO[meaning], *self._reask(conv)])
        return Plan(["action_menu_click", *self._reask(conv)])

    def _danger(self, parse: dict[str, Any]) -> bool:
        """A danger to life or property told in the message. Weighed for what reads as a
        report, and for what was not understood at all: "我想死", "我要跳楼" have no report word
        and were answered "我没太看明白"."""
        text = str(parse.get("text") or "")
        weighed = parse.get("report_like") or parse["intent"]["name"] in (FALLBACK, "chitchat")
        return bool(text and weighed) and self.kit.urgency(text) == EMERGENCY_URGENCY

    async def _survey_answer(
        self, parse: dict[str, Any], msg: Incoming, drafting: bool, conv: Conversation
    ) -> str | None:
        """SURVEY when the message is the verdict on the slip that waits for one ("1", "不咋
        个满意哦", "挺好的", "还是没修好"), or a changed verdict on the slip rated in the last
        few days said as one ("改成满意", "其实我不满意，又脏了", "3"); ASK_RERATE for a bare
        "1" or "2" that would change that rating (asked first); None otherwise. While a draft
        is being filled in, only a plain survey answer counts, and a bare number never changes
        a rating (it answers the draft's question); a message that only says something is
        still wrong counts unless it names another place (then it is a new problem)."""
        intent = parse["intent"]["name"]
        text = str(parse.get("text") or "")
        if not text or intent in NOT_SURVEY or (drafting and intent not in SURVEY_INTENTS):
            return None
        if self.kit.nlu.has_new_report_marker(text):
            return None
        verdict, outright = self.kit.nlu.survey_verdict(text)
        if verdict is None:
            return None
        waiting = await self.kit.desk.awaiting_survey(msg.openid)
        if waiting is None:
            # a change of mind about the last rating: another verdict, said as one ("改成满
            # 意", "其实挺满意的", "3"); thanks and praise ("谢谢你们哈") rate nothing again
            recent = recently_rated(conv.slot("rated_slip"), conv.updated_at or 0.0)
            if recent and outright and verdict == recent.get("verdict") and not drafting and (
                self.kit.nlu.bare_rating(text) or self.kit.nlu.rerates(text)
            ):
                # the same rating again (a number tapped twice, "满意" after "1"): told it is
                # recorded already, not read as the help menu's number or a new report
                return SURVEY
            if recent and outright and verdict != recent.get("verdict"):
                if not self.kit.nlu.rerates(text):
                    return None
                if self.kit.nlu.bare_rating(text):
                    # "1" days later may answer something else or be a slip of the finger:
                    # "1"/"2" are asked about; "3" asks why, and nothing changes until then
                    if drafting:
                        return None
                    return SURVEY if verdict == "不满意" else ASK_RERATE
                return SURVEY
            if not outright or drafting:
                return None
            # the answer to a survey whose slip someone else reopened meanwhile (another
            # resident of the same problem said 不满意, or staff): still about that slip
            reopened = await self.kit.desk.open_slip_of(msg.openid)
            rates = bool(reopened and reopened.reopen_count and self.kit.nlu.rates(text))
            return SURVEY if rates else None
        if outright:
            return SURVEY
        places = [str(e.get("value") or "") for e in parse.get("entities") or []
                  if e.get("entity") == "place"]
        return SURVEY if all(p and p in (waiting.summary or "") for p in places) else None

    def _takes_rerate(self, offer: Any, parse: dict[str, Any]) -> bool:
        """The answer to ASK_RERATE makes the change: "是", or the same number again."""
        if parse["intent"]["name"] == "confirm":
            return True
        text = str(parse.get("text") or "")
        verdict = self.kit.nlu.survey_verdict(text)[0]
        return (
            self.kit.nlu.bare_rating(text)
            and isinstance(offer, dict)
            and verdict == offer.get("verdict")
        )

    def _changing_rating(self, conv: Conversation) -> bool:
        """The why that is owed is for a change of a rating given lately (a bare "3")."""
        recent = recently_rated(conv.slot("rated_slip"), conv.updated_at or 0.0)
        return bool(recent) and recent.get("number") == conv.slot("survey_slip")

    def _bare_withdraw(self, parse: dict[str, Any]) -> bool:
        """ "撤回", "我要撤销": a withdrawal that names no slip and asks nothing."""
        text = str(parse.get("text") or "")
        kinds = {e.get("entity") for e in parse.get("entities") or []}
        nlu = self.kit.nlu
        return ("slip_number" not in kinds and nlu.says_withdraw(text)
                and len(normalize(text)) <= BARE_WITHDRAW_CHARS
                and not nlu.asks_meaning(text) and not nlu.is_question(text))

    async def _calls_off(self, parse: dict[str, Any], msg: Incoming) -> bool:
        """The resident no longer needs a slip handled and names none, and has one open."""
        text = str(parse.get("text") or "")
        kinds = {e.get("entity") for e in parse.get("entities") or []}
        nlu = self.kit.nlu
        # "撤回是什么意思" asks about the word; it calls nothing off
        return bool(text) and "slip_number" not in kinds and nlu.calls_off(text) and (
            not nlu.has_new_report_marker(text) and not nlu.asks_meaning(text)
        ) and await self.kit.desk.open_slip_of(msg.openid) is not None

    def _contact_of(self, parse: dict[str, Any]) -> dict[str, Any]:
        """The phone a message gives, or its turning one down ("莫得电话"), as a candidate."""
        text = str(parse.get("text") or "")
        phone = next((e["value"] for e in parse.get("entities") or []
                      if e.get("entity") == "phone"), None)
        if phone is not None:
            return {"contact_phone": phone}
        return {"contact_phone": ""} if self.kit.nlu.declines_phone_aside(text) else {}

    def _reask(self, conv: Conversation) -> list[str]:
        """The pending question again, after an answer to something else."""
        if conv.slot("awaiting_confirmation"):
            return [SUMMARY]
        if conv.form and conv.slot("description"):
            return [FORM]
        # a form with nothing told yet (a voice note that could not be heard, a photo):
        # not asked again after every answer; the next problem told still fills it
        return []

    def _resume_answer(
        self, conv: Conversation, parse: dict[str, Any], msg: Incoming, echo: list[str]
    ) -> Plan:
        intent = parse["intent"]["name"]
        stashed = conv.slot("stashed") or {}
        media = stashed_media(conv)
        if intent == "confirm":
            if media:
                # the photo, voice note or video that came with the question joins the draft
                # (the form then asks what it was asking, or shows the summary again)
                resets = {"awaiting_confirmation": False} if conv.slot(
                    "awaiting_confirmation") else {}
                return Plan([*echo, RESUME, FORM], media, resets, activate_form=True)
            said = self._stashed_answer(conv, stashed, msg)
            if said is not None:
                # the text that came with the question: the answer to the pending question
                # ("建新北路12号", a phone number), a correction, or more about the problem
                resets = {"awaiting_confirmation": False} if conv.slot(
                    "awaiting_confirmation") else {}
                return Plan([*echo, RESUME, FORM], said.slots, {**resets, **said.resets},
                            activate_form=True, replay=stashed)
            return Plan([*echo, RESUME, *self._reask(conv)])
        if intent in ("deny", "new_report", "restart"):
            # the new report starts from the message that came with the question when it
            # told a problem, or was a photo, voice note or video (kept for it)
            keep = media or (stashed.get("parse") or {}).get("report_like")
            return Plan([*echo, DROP_DRAFT, FORM], activate_form=True,
                        restart_with=stashed if keep else None)
        if parse.get("report_like") and intent in (REPORT, FALLBACK):
            # a new problem: the old draft goes, this message starts the new one
            found = candidates(self.kit.nlu, _without_draft(conv), parse, msg, starting=True)
            return Plan([*echo, DROP_DRAFT, FORM], found.slots, activate_form=True)
        # anything else answers the old draft's pending question
        found = candidates(self.kit.nlu, conv, parse, msg, starting=False)
        resets = {"resume_pending": False, "stashed": None, **found.resets}
        if conv.slot("awaiting_confirmation") and not found.slots:
            return Plan([*echo, SUMMARY], resets=resets)
        return Plan([*echo, FORM], found.slots, resets, activate_form=True)

    def _stashed_answer(
        self, conv: Conversation, stashed: dict[str, Any], msg: Incoming
    ) -> Candidates | None:
        """What the text that came with the resume question gives the draft (None: nothing):
        read as if it came now, when the resident continues."""
        parse = stashed.get("parse") or {}
        text = str(parse.get("text") or "").strip()
        intent = (parse.get("intent") or {}).get("name")
        meta = stashed.get("metadata") or {}
        # a location shared from the map says where, with or without words
        shared_place = meta.get("msg_type") == "location" and meta.get("lat") is not None
        if not shared_place and (not text or not intent or intent == "new_report"):
            return None
        nlu = self.kit.nlu
        found = candidates(nlu, conv, parse, stashed_incoming(stashed, msg), starting=False)
        said = found.slots.get("location")
        if (conv.form and conv.slot("requested_slot") == "location"
                and isinstance(said, str) and "description" not in found.slots
                and nlu.has_problem_word(text) and not nlu.names_place(text)):
            # more about the problem, not where it is: kept with the description (the place
            # is asked again)
            del found.slots["location"]
            found.slots["description"] = added_to_description(nlu, conv, text)
        return found if found.slots or found.resets else None

    def _confirming(
        self, conv: Conversation, parse: dict[str, Any], msg: Incoming, echo: list[str],
        *, polite: bool = False,
    ) -> Plan:
        """The answer to the summary. `polite`: a yes with only courtesy after it (the policy
        found it before the thanks or the report it would otherwise be read as)."""
        intent = parse["intent"]["name"]
        if intent == "confirm" or polite:
            # a problem kept meanwhile starts once the slip is issued (SUBMIT asks for it)
            return Plan([*echo, SUBMIT], submission=True, restart_with=next_report(conv))
        if intent == "deny":
            return Plan([*echo, "action_ask_correction"])
        found = candidates(self.kit.nlu, conv, parse, msg, starting=False)
        if not found.slots and not found.resets:
            return Plan([*echo, SUMMARY])
        resets = {"awaiting_confirmation": False, **found.resets}
        return Plan([*echo, FORM], found.slots, resets, activate_form=True)

    async def _no_draft(
        self, conv: Conversation, parse: dict[str, Any], msg: Incoming, echo: list[str]
    ) -> Plan:
        intent = parse["intent"]["name"]
        text = str(parse.get("text") or "")
        if msg.kind == "link":
            if await self.kit.desk.open_slip_of(msg.openid) is not None:
                return Plan([FOLLOWUP])
            return Plan(["action_link_only"])
        media_only = msg.kind in ("image", "video", "location") or (
            msg.kind == "voice" and not text
        )
        kinds = {e.get("entity") for e in parse.get("entities") or []}
        if intent == "new_report":
            # "我要举报" alone: the words start the description the next message gives
            marker = self.kit.nlu.request_marker_of(text)
            said = {"request_marker": marker} if marker else {}
            earlier = conv.slot("followup_text")
            if earlier and conv.latest_action_name == FOLLOWUP:
                restart = {"parse": self.kit.nlu.parse(earlier), "metadata": {}}
                return Plan([*echo, "action_new_report", FORM], activate_form=True,
                            restart_with=restart, resets={"followup_text": None, **said})
            # "我要反映个事情；莫得电话": what it says about the phone is kept for the draft
            return Plan([*echo, FORM], self._contact_of(parse), activate_form=True, resets=said)
        starts = media_only or intent in (REPORT, CORRECT) or (
            intent in SURVEY_INTENTS and parse.get("report_like")
        )
        # a phone number or an address on its own: more about the open slip, if any
        if not starts and kinds & {"phone", "place"} and (
            await self.kit.desk.open_slip_of(msg.openid) is not None
        ):
            return Plan([*echo, FOLLOWUP])
        if not starts and self.kit.nlu.urges(text) and (
            await self.kit.desk.open_slip_of(msg.openid) is not None
        ):
            # "麻烦催一下" with a slip open: 催办 (the follow-up records it)
            return Plan([*echo, FOLLOWUP])
        if not starts:
            numbered = self.kit.nlu.number_menu.get(text.strip())
            if numbered == "new_report":
                return Plan([*echo, FORM], activate_form=True)
            if numbered in INFO:
                return Plan([*echo, INFO[numbered]])
            if intent == "confirm" and conv.slot("last_slip"):
                # "确认" again after the slip was issued: it is filed already (its number)
                return Plan([*echo, "action_already_filed"])
            if intent in ("confirm", "deny"):
                return Plan([*echo, "action_thanks" if conv.slot("last_slip")
                             else "action_nothing_to_confirm"])
            if intent in SURVEY_INTENTS:
                return Plan([*echo, SURVEY])
            if intent == FALLBACK and await self.kit.desk.awaiting_survey(msg.openid):
                # not understood while a verdict is awaited: the survey's 1/2/3 again, not
                # the general help (whose numbers mean something else)
                return Plan([*echo, ASK_SURVEY])
            return Plan([*echo, "action_fallback"])
        open_slip = await self.kit.desk.open_slip_of(msg.openid)
        if open_slip is not None and not self.kit.nlu.has_new_report_marker(text):
            return Plan([*echo, FOLLOWUP])
        # "还有个事，…" with a slip open: a report of its own, and the resident is told so
        said = ["action_new_report"] if open_slip is not None and not media_only else []
        if open_slip is None and self.kit.nlu.says_solved_already(text):
            # "路灯已经修好了，不用办了" with nothing open: not a new report
            return Plan([*echo, "action_already_solved"])
        found = candidates(self.kit.nlu, conv, parse, msg, starting=not media_only)
        two = self._two_problems(found.slots.get("description"), msg, found.slots.get("location"))
        if two is not None:
            # "…停水三天了，还有一个问题，门口路灯坏了": one slip per problem; the second is
            # kept and taken once the first is issued
            found.slots["description"], kept = two
            return Plan([*echo, *said, NOTE_NEXT, FORM], found.slots,
                        {**found.resets, "next_report": kept}, activate_form=True)
        return Plan([*echo, *said, FORM], found.slots, found.resets, activate_form=True)

    def _two_problems(self, description: Any, msg: Incoming, location: Any
                      ) -> tuple[str, dict[str, Any]] | None:
        """The first problem's description and the second kept as a message of its own."""
        split = self.kit.nlu.split_problems(description) if isinstance(description, str) else None
        if split is None:
            return None
        first, second = split
        meta = {"msg_type": "text", "dedupe_key": f"{msg.dedupe_key}:2"}
        kept: dict[str, Any] = {"parse": self.kit.nlu.parse(second), "metadata": meta}
        place = found_place_text(location)
        if place:
            kept["place_hint"] = place  # offered when the second one's place is asked
        return first, kept


def next_report(conv: Conversation) -> dict[str, Any] | None:
    """The problem kept for after this draft (None: none), with the phone given for this
    one, or its turning one down, as `contact_phone`: said once, it holds for both, whether
    this one is issued or cancelled."""
    kept = conv.slot("next_report")
    if not isinstance(kept, dict) or not kept:
        return None
    phone = conv.slot("contact_phone")
    return {**kept, "contact_phone": phone} if isinstance(phone, str) else kept


def found_place_text(location: Any) -> str | None:
    """The words of a place slot candidate (text, or a map location's label)."""
    if isinstance(location, dict):
        location = location.get("text") or location.get("label")
    return location.strip() if isinstance(location, str) and location.strip() else None


# media kinds of a message and the draft slots that keep them
MEDIA_SLOTS = {"image": "photos", "voice": "voices", "video": "videos"}


def stashed_media(conv: Conversation) -> dict[str, Any]:
    """The photo, video or voice note (one WeChat could not put into words) that came with
    the resume question, as slot candidates for the draft; {} for any other message."""
    stashed = conv.slot("stashed") or {}
    meta = stashed.get("metadata") or {}
    kind = str(meta.get("msg_type") or "")
    media_id = meta.get("media_id")
    heard = str((stashed.get("parse") or {}).get("text") or "").strip()
    slot = MEDIA_SLOTS.get(kind)
    if slot is None or not media_id or (kind == "voice" and heard):
        return {}
    return {slot: [*(conv.slot(slot) or []), media_id]}


def stashed_incoming(stashed: dict[str, Any], msg: Incoming) -> Incoming:
    """The message kept aside (with the resume question, or a follow-up) as it came."""
    parse = stashed.get("parse") or {}
    meta = stashed.get("metadata") or {}
    return Incoming(
        openid=msg.openid,
        kind=str(meta.get("msg_type") or "text"),
        dedupe_key=str(meta.get("dedupe_key") or msg.dedupe_key),
        text=str(parse.get("text") or ""),
        media_id=meta.get("media_id"),
        lat=meta.get("lat"),
        lon=meta.get("lon"),
        label=meta.get("label"),
        title=meta.get("title"),
        url=meta.get("url"),
    )


def _without_draft(conv: Conversation) -> Conversation:
    from dialogs.domain import draft_reset

    clone = Conversation(conv.sender_id, {**conv.slots, **draft_reset()})
    return clone
