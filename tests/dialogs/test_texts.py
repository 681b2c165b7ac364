"""The dialog texts: complete, fillable, and never more than one question."""

from __future__ import annotations

import re
import string

import pytest

from dialogs.faq import Faq
from dialogs.texts import REQUIRED, Texts

TEXTS = Texts.load()
QUESTION = re.compile(r"[?？]")


def _sample(key: str) -> str:
    names = {f for _, f, _, _ in string.Formatter().parse(TEXTS._lookup(key)) if f}
    names -= {"city", "account", "district"}  # filled in by Texts itself
    return TEXTS.say(key, **dict.fromkeys(names, "X"))


@pytest.mark.parametrize("key", REQUIRED)
def test_every_text_fills_in(key: str) -> None:
    assert _sample(key).strip()


@pytest.mark.parametrize("key", TEXTS.keys())
def test_only_questions_ask_and_each_asks_once(key: str) -> None:
    asked = len(QUESTION.findall(_sample(key)))
    assert asked <= (1 if key.startswith("ask.") else 0), key


@pytest.mark.parametrize("entry", Faq.load().entries, ids=lambda e: e.id)
def test_faq_answers_ask_nothing(entry) -> None:  # type: ignore[no-untyped-def]
    # an answer may be followed by the pending question of the form
    assert not QUESTION.search(entry.answer)


def test_welcome_and_menu_come_from_replies_yaml() -> None:
    assert "欢迎关注" in TEXTS.reply("welcome")
    assert TEXTS.menu_click("QUERY") and TEXTS.menu_click("NO-SUCH-KEY") is None
