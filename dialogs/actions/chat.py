"""Everything outside the intake: welcome, menu, help, FAQ, small talk, and the fallback."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from dialogs.actions.base import KitAction, entity_values, metadata


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


class ActionAlreadySolved(Say):
    NAME, KEY = "action_already_solved", "chat.already_solved"


class ActionChitchat(Say):
    NAME, KEY = "action_chitchat", "chat.chitchat"


class ActionAbuse(Say):
    """Swearing: a calm answer; the pending question (if any) follows."""

    NAME, KEY = "action_abuse", "chat.abuse"


class ActionAbuseShort(Say):
    NAME, KEY = "action_abuse_short", "chat.abuse_short"


class ActionFallback(Say):
    NAME, KEY = "action_fallback", "chat.fallback"


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


class ActionWelcome(KitAction):
    NAME = "action_welcome"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        texts = self.kit.texts
        dispatcher.utter_message(text=texts.reply("welcome") + "\n\n" + texts.reply("menu_hint"))
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
            self.say(dispatcher, "chat.fallback")
            return []
        dispatcher.utter_message(text=entry.answer)
        return []


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
