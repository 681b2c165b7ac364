"""Saying things in the simulated chat, for the conversation tests."""

from __future__ import annotations

from bench.dialogs import Chat


async def say(chat: Chat, text: str) -> str:
    """The resident says `text`; the account's reply."""
    return (await chat.send({"say": text}))[1]
