"""Routes a verified WeChat message or event to the function that answers it.

Like aiogram's routers, in miniature: handlers register for message types or event names; the
first one registered for a type wins; a fallback answers the rest. A handler returns the
reply text, or None for WeChat's `success` (no reply).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from wechatpy.messages import BaseMessage

if TYPE_CHECKING:
    from handlers.inbox import Turn

Handler = Callable[[BaseMessage, "Turn"], Awaitable[str | None]]


@dataclass
class MessageRouter:
    _messages: dict[str, Handler] = field(default_factory=dict)
    _events: dict[str, Handler] = field(default_factory=dict)
    _fallback: Handler | None = None

    def message(self, *types: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            for name in types:
                self._messages.setdefault(name, handler)
            return handler

        return register

    def event(self, *names: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            for name in names:
                self._events.setdefault(name.lower(), handler)
            return handler

        return register

    def fallback(self, handler: Handler) -> Handler:
        self._fallback = handler
        return handler

    def include(self, other: MessageRouter) -> None:
        for name, handler in other._messages.items():
            self._messages.setdefault(name, handler)
        for name, handler in other._events.items():
            self._events.setdefault(name, handler)
        if self._fallback is None:
            self._fallback = other._fallback

    async def dispatch(self, message: BaseMessage, turn: Any) -> str | None:
        if message.type == "event":
            handler = self._events.get(str(getattr(message, "event", "")).lower())
        elif message.type == "unknown":
            handler = None
        else:
            handler = self._messages.get(message.type)
        handler = handler or self._fallback
        return None if handler is None else await handler(message, turn)
