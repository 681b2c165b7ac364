"""Status of the resident's slips: by number, or the latest few ("我的工单")."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from dialogs.actions.base import KitAction, entity_values
from dialogs.ports import SlipStatus
from dialogs.text import local_time, normalize, shorten

QUERY_STATUS = "action_query_status"
MY_SLIPS = "action_my_slips"
ASK_WITHDRAW = "action_ask_withdraw"
WITHDRAW_OFFERED = "action_withdraw_offered"
KEEP_SLIP = "action_keep_slip"
SLIP_QUESTION = "action_slip_question"
_ASKS_PHONE = ("电话", "号码", "联系方式")


def slip_summary(status: SlipStatus) -> str:
    """ "（建新北路12号门口井盖丢了…）": a slip's problem in a few words, for lists."""
    return f"（{shorten(status.summary, 16)}）" if status.summary else ""


URGENT = ("特急", "紧急")


def contact_by(status: SlipStatus, now: datetime) -> datetime | None:
    """The response deadline while no department has signed the slip and it is still ahead;
    None otherwise (for a 特急 or 紧急 slip the reply then says staff will be in touch as soon
    as they can)."""
    due = status.response_due_at
    if status.signed_at is not None or due is None:
        return None
    if due.tzinfo is None:
        due = due.replace(tzinfo=UTC)
    return due if due > now else None


def contact_text(texts: Any, status: SlipStatus, now: datetime, by: str, soon: str) -> str:
    """The quick contact an urgent slip's resident was promised, in the texts `by` (with the
    response deadline, while it is ahead) or `soon`; a slip with no phone to call has them
    `_wechat` (staff answer in the chat: no call is promised)."""
    contact = contact_by(status, now)
    wechat = "_wechat" if status.has_phone is False else ""
    if contact is None:
        return texts.say(f"{soon}{wechat}")
    return texts.say(f"{by}{wechat}", response=local_time(contact))


def deadline_lines(texts: Any, status: SlipStatus, now: datetime) -> list[str]:
    """What the status reply says about time for an open slip: for a 特急 or 紧急 slip the
    contact promised within hours first, for an 一般 one not signed yet the contact promised
    when it was issued (while still ahead); then its completion deadline."""
    lines = []
    if status.urgency in URGENT:
        lines.append(contact_text(texts, status, now, "status.contact_by",
                                  "status.contact_soon"))
    elif (contact := contact_by(status, now)) is not None:
        wechat = "_wechat" if status.has_phone is False else ""
        lines.append(texts.say(f"status.respond_by{wechat}", response=local_time(contact)))
    if status.due_at is not None:
        lines.append(texts.say("status.due", due=local_time(status.due_at)))
    return lines


def status_lines(texts: Any, status: SlipStatus, now: datetime) -> list[str]:
    """A slip's number, state, handling department and time limits, for the status reply."""
    lines = [texts.say("status.line", number=status.number, summary=slip_summary(status)),
             texts.say("status.state", status=status.status)]
    if status.is_open is not False:
        # a withdrawn or finished slip has no department at work and no deadline left to tell
        if status.lead and status.lead not in status.status:
            lines.append(texts.say("status.department", department=status.lead))
        lines.extend(deadline_lines(texts, status, now))
    return lines


class ActionQueryStatus(KitAction):
    NAME = QUERY_STATUS

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        numbers = entity_values(tracker, "slip_number")
        if not numbers:
            partial = entity_values(tracker, "slip_number_partial")
            if partial:  # "JB20261127000": a digit or two short; their own slips follow
                self.say(dispatcher, "status.partial_number", number=partial[0].upper())
            return await ActionMySlips(self.kit).run(dispatcher, tracker, domain)
        text = str(tracker.latest_message.get("text") or "").strip()
        one = len(set(numbers)) == 1
        not_needed = one and self.kit.nlu.says_not_needed(text)
        withdraw = one and self.kit.nlu.says_withdraw(text)
        for number in dict.fromkeys(numbers):
            status = await self.kit.desk.status(number, tracker.sender_id)
            if status is None:
                self.say(dispatcher, "status.not_found", number=number)
                continue
            if withdraw and status.is_open:
                await self._withdraw(dispatcher, tracker, status, text)
                continue
            if not_needed and status.is_open and await self._pass_on(tracker, status, text):
                self.say(dispatcher, "followup.not_needed", number=status.number)
                continue
            texts = self.kit.texts
            lines = status_lines(texts, status, self.kit.clock())
            if status.last_staff_reply:
                lines.append(texts.say("status.reply", reply=shorten(status.last_staff_reply,
                                                                     200)))
            if status.updated_at is not None:
                lines.append(texts.say("status.updated", updated=local_time(status.updated_at)))
            dispatcher.utter_message(text="\n".join(lines))
        return []

    async def _withdraw(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, status: SlipStatus, text: str
    ) -> None:
        # the resident's reason, if they gave one besides "撤回 JB…"
        reason = text.replace(status.number, "")
        for word in self.kit.nlu.withdraw_words:
            reason = reason.replace(word, "", 1)
        reason = reason.strip(" ，,。.：:！!")
        try:
            await self.kit.desk.withdraw(tracker.sender_id, status.number, reason or None)
        except (LookupError, ValueError) as exc:
            self.say(dispatcher, "status.not_withdrawn", number=status.number, why=str(exc))
            return
        self.say(dispatcher, "status.withdrawn", number=status.number)

    async def _pass_on(self, tracker: Tracker, status: SlipStatus, text: str) -> bool:
        """"JB… 已解决，不用办了" goes to the staff on the slip, who close or withdraw it once
        they have checked with the resident. False if the slip no longer takes follow-ups
        (the status is shown instead)."""
        try:
            await self.kit.desk.add_followup(tracker.sender_id, status.number, text, [])
        except (LookupError, ValueError):
            return False
        return True


async def open_slips(kit: Any, openid: str) -> list[SlipStatus]:
    """The resident's own slips still being worked on, newest first."""
    return [s for s in await kit.desk.slips_of(openid, 5) if s.is_open]


class ActionAskWithdraw(KitAction):
    """ "不用办了", "撤销", "红绿灯已经修好了，你们不用来了" with no number: which open slip to
    withdraw (one: yes or no; several: by its place in a numbered list)."""

    NAME = ASK_WITHDRAW

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        slips = await open_slips(self.kit, tracker.sender_id)
        if not slips:
            self.say(dispatcher, "control.cancel_nothing")
            return []
        text = str(tracker.latest_message.get("text") or "").strip()
        slips = self._named(slips, text) or slips
        offer = {"numbers": [s.number for s in slips], "reason": text}
        if len(slips) == 1:
            self.say(dispatcher, "ask.withdraw_one", number=slips[0].number,
                     summary=slip_summary(slips[0]))
        else:
            lines = "\n".join(f"{i}. {s.number}{slip_summary(s)}"
                              for i, s in enumerate(slips, 1))
            self.say(dispatcher, "ask.withdraw_which", count=len(slips), lines=lines)
        return [SlotSet("withdraw_offer", offer)]

    def _named(self, slips: list[SlipStatus], text: str) -> list[SlipStatus]:
        """The one slip whose problem the message names ("井盖那个不用办了" with a 井盖 slip and
        a 路灯 slip open), else none: it is still asked about, by itself."""
        norm = normalize(text)
        words = [w for w in self.kit.nlu.report_keywords if len(w) >= 2 and w in norm]
        named = [s for s in slips if any(w in normalize(s.summary or "") for w in words)]
        return named if len(named) == 1 else []


def offered_number(nlu: Any, offer: Any, parse: dict[str, Any]) -> str | None:
    """The slip the answer to ASK_WITHDRAW picks: "是" for the only one, "2" or its number."""
    numbers = list((offer or {}).get("numbers") or [])
    if not numbers:
        return None
    named = [str(e.get("value")) for e in parse.get("entities") or []
             if e.get("entity") == "slip_number"]
    if named:
        return named[0] if named[0] in numbers else None
    text = str(parse.get("text") or "").strip()
    digits = "".join(ch for ch in text if ch.isdigit())
    if digits and len(digits) <= 2 and len(text) <= 6:
        index = int(digits)
        return numbers[index - 1] if 1 <= index <= len(numbers) else None
    if len(numbers) == 1 and nlu.says_yes(text, parse):
        return numbers[0]  # "是", or "是的 已经有人盖上了"
    return None


class ActionWithdrawOffered(KitAction):
    """Withdraws the slip picked in answer to ASK_WITHDRAW (the desk checks it is the
    resident's own and still open)."""

    NAME = WITHDRAW_OFFERED

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        offer = tracker.get_slot("withdraw_offer") or {}
        number = offered_number(self.kit.nlu, offer, tracker.latest_message)
        if number is None:
            self.say_fallback(dispatcher, tracker)
            return [SlotSet("withdraw_offer", None)]
        # why: what the yes went on to say ("是的 已经有人盖上了"), else what they said first
        said = self.kit.nlu.yes_and_more(str(tracker.latest_message.get("text") or ""))
        reason = said or str(offer.get("reason") or "")
        words = reason
        for word in (*self.kit.nlu.withdraw_words, *self.kit.nlu.not_needed_words):
            words = words.replace(word, "")
        words = words.strip(" ，,。.：:！!了")
        try:
            await self.kit.desk.withdraw(tracker.sender_id, number,
                                         reason if len(words) >= 2 else None)
        except (LookupError, ValueError) as exc:
            self.say(dispatcher, "status.not_withdrawn", number=number, why=str(exc))
        else:
            self.say(dispatcher, "status.withdrawn", number=number)
        return [SlotSet("withdraw_offer", None)]


class ActionKeepSlip(KitAction):
    NAME = KEEP_SLIP

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        self.say(dispatcher, "status.kept")
        return [SlotSet("withdraw_offer", None)]


class ActionMySlips(KitAction):
    NAME = MY_SLIPS

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        slips = await self.kit.desk.slips_of(tracker.sender_id, 5)
        texts = self.kit.texts
        if not slips:
            self.say(dispatcher, "status.none")
            return []
        meant = self._meant(str(tracker.latest_message.get("text") or ""), slips)
        if len(slips) == 1 or meant is not None:
            # one slip, or the one the message is about ("红绿灯的事咋个样了"): in full
            tracker.latest_message = {
                **tracker.latest_message,
                "entities": [{"entity": "slip_number",
                              "value": (meant or slips[0]).number}],
            }
            return await ActionQueryStatus(self.kit).run(dispatcher, tracker, domain)
        lines = [texts.say("status.list_head")]
        for index, slip in enumerate(slips, 1):
            lines.append(texts.say("status.list_line", index=index, number=slip.number,
                                   summary=slip_summary(slip), status=slip.status))
        lines.append(texts.say("status.list_tail"))
        dispatcher.utter_message(text="\n".join(lines))
        return []

    def _meant(self, text: str, slips: list[SlipStatus]) -> SlipStatus | None:
        """The only slip whose summary shares a problem word with the message, if any."""
        words = [w for w in self.kit.nlu.report_keywords if len(w) >= 2 and w in text] or [
            w for w in self.kit.nlu.report_keywords if w in text]
        if not words:
            return None
        about = [s for s in slips if any(w in (s.summary or "") for w in words)]
        return about[0] if len(about) == 1 else None


class ActionSlipQuestion(KitAction):
    """ "这个事情是哪个在管嘛", "哪个部门在管我这个事 电话多少", "好久能修好": answered from
    the resident's open slip (its department, state and time limits; the department's phone
    when the catalogue publishes one); with none open, their slips as "我的工单" lists them."""

    NAME = SLIP_QUESTION

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        slip = await self.kit.desk.open_slip_of(tracker.sender_id)
        if slip is None:
            return await ActionMySlips(self.kit).run(dispatcher, tracker, domain)
        texts = self.kit.texts
        lines = status_lines(texts, slip, self.kit.clock())
        if slip.last_staff_reply:
            lines.append(texts.say("status.reply", reply=shorten(slip.last_staff_reply, 200)))
        text = str(tracker.latest_message.get("text") or "")
        if any(w in text for w in _ASKS_PHONE):
            if slip.lead_phone:
                lines.append(texts.say("status.asked_phone", department=slip.lead or "",
                                       phone=slip.lead_phone))
            else:
                lines.append(texts.say("status.no_phone"))
        dispatcher.utter_message(text="\n".join(lines))
        return []
