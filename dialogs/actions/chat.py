"""Everything outside the intake: welcome, menu, help, FAQ, small talk, and the fallback."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from dialogs.actions.base import KitAction, entity_values, metadata
from dialogs.actions.status import open_slips, slip_summary, status_lines

log = logging.getLogger(__name__)


class Say(KitAction):
    """An action that says one text of dialog_texts.yaml."""

    KEY = ""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        self.say(dispatcher, self.KEY)
        return []


class ActionGreet(Say):
    NAME, KEY = "action_greet", "chat.greet"


class ActionThanks(Say):
    NAME, KEY = "action_thanks", "chat.thanks"


class ActionWait(Say):
    """ "好的 那我等着": nothing to add to a slip; progress will come to them."""

    NAME, KEY = "action_wait", "chat.wait"


class ActionAlreadySolved(Say):
    NAME, KEY = "action_already_solved", "chat.already_solved"


class ActionChitchat(Say):
    NAME, KEY = "action_chitchat", "chat.chitchat"


class ActionAbuse(Say):
    """Swearing: a calm answer; the pending question (if any) follows."""

    NAME, KEY = "action_abuse", "chat.abuse"


class ActionAbuseShort(Say):
    NAME, KEY = "action_abuse_short", "chat.abuse_short"


class ActionFallback(KitAction):
    NAME = "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        self.say_fallback(dispatcher, tracker)
        return []


class ActionNothingToConfirm(Say):
    NAME, KEY = "action_nothing_to_confirm", "control.nothing_to_confirm"


class ActionLinkOnly(KitAction):
    """A shared link with no report under way and no open slip: not a complaint by itself."""

    NAME = "action_link_only"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(text=self.kit.texts.reply("link"))
        return []


class ActionNewReport(Say):
    NAME, KEY = "action_new_report", "chat.new_report"


class ActionAlreadyFiled(KitAction):
    """ "确认" (or "好的确认") after the slip was issued: the resident thinks it must be
    confirmed again. They are told it is filed, its number and how to follow it; once the
    slip is finished, a "确认" is only thanked."""

    NAME = "action_already_filed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        number = str(tracker.get_slot("last_slip") or "")
        finished = not number
        if number:
            try:
                status = await self.kit.desk.status(number, tracker.sender_id)
            except Exception:  # noqa: BLE001 - the number is this conversation's own: say it
                log.warning("slip status unavailable; the issued slip is named anyway",
                            exc_info=True)
            else:
                finished = status is None or status.is_open is False
        if finished:
            self.say(dispatcher, "chat.thanks")
            return []
        self.say(dispatcher, "chat.already_filed", number=number)
        return []


class ActionWelcome(KitAction):
    """Welcome on subscribe; a resident who follows the account again is also told which of
    their slips are still being worked on (number and status)."""

    NAME = "action_welcome"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        texts = self.kit.texts
        parts = [texts.reply("welcome")]
        try:
            slips = await open_slips(self.kit, tracker.sender_id)
        except Exception:  # noqa: BLE001 - the welcome never fails for a lookup
            log.warning("open slips unavailable; plain welcome", exc_info=True)
            slips = []
        if slips:
            lines = [texts.say("chat.welcome_open_head")]
            lines += [texts.say("chat.welcome_open_line", number=s.number,
                                summary=slip_summary(s), status=s.status) for s in slips]
            lines.append(texts.say("chat.welcome_open_tail"))
            parts.append("\n".join(lines))
        parts.append(texts.reply("menu_hint"))
        dispatcher.utter_message(text="\n\n".join(parts))
        return []


class ActionHelp(KitAction):
    NAME = "action_help"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(text=self.kit.texts.reply("menu_hint"))
        return []


class ActionMenuClick(KitAction):
    """A menu key with a fixed text (config.yaml wechat.menu; texts in replies.yaml)."""

    NAME = "action_menu_click"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        key = str(metadata(tracker).get("event_key") or "")
        texts = self.kit.texts
        dispatcher.utter_message(text=texts.menu_click(key) or texts.reply("menu_unknown"))
        return []


HOW_LONG = "how_long"  # knowledge/faq.yaml: how long a slip takes


def drafting(tracker: Tracker) -> bool:
    """A report is being filled in (a question about it is about that one)."""
    return bool(tracker.active_loop_name or tracker.get_slot("awaiting_confirmation"))


class ActionFaq(KitAction):
    NAME = "action_faq"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        ids = entity_values(tracker, "faq")
        entry = self.kit.nlu.faq.get(str(ids[0])) if ids else None
        if entry is None:
            entry = self.kit.nlu.faq.match(str(tracker.latest_message.get("text") or ""))
        if entry is None:
            self.say_fallback(dispatcher, tracker)
            return []
        if entry.id == HOW_LONG and not drafting(tracker):
            # "那大概多久能来水" after a slip was issued: that slip's own time limits, not the
            # rules for every kind of slip
            slip = await self._open_slip(tracker)
            if slip is not None:
                lines = status_lines(self.kit.texts, slip, self.kit.clock())
                lines.append(self.kit.texts.say("chat.how_long_own"))
                dispatcher.utter_message(text="\n".join(lines))
                return []
        dispatcher.utter_message(text=entry.answer)
        return []

    async def _open_slip(self, tracker: Tracker) -> Any:
        try:
            return await self.kit.desk.open_slip_of(tracker.sender_id)
        except Exception:  # noqa: BLE001 - the general answer still helps
            log.warning("could not look up the open slip for a how-long question", exc_info=True)
            return None


class ActionVoiceHeard(KitAction):
    """Repeats what WeChat heard in a voice note, so the resident can check it."""

    NAME = "action_voice_heard"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        heard = str(metadata(tracker).get("recognition") or "").strip()
        if heard:
            self.say(dispatcher, "chat.voice_heard", text=heard)
        return []


class ActionGreetShort(Say):
    """A greeting in the middle of an intake: short, the pending question follows."""

    NAME, KEY = "action_greet_short", "chat.greet_short"


class ActionAskCorrection(Say):
    NAME, KEY = "action_ask_correction", "ask.correction"
