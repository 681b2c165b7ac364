"""Typed keys for what create_app() puts on the application. No module-level clients."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.metrics import Metrics
    from bot.slips.service import SlipService
    from bot.storage import Database
    from bot.storage.messages import MessageLog
    from bot.stores import Stores
    from handlers.inbox import Inbox
    from knowledge.replies import Replies

SETTINGS: web.AppKey[Settings] = web.AppKey("settings")
DATABASE: web.AppKey[Database] = web.AppKey("database")
STORES: web.AppKey[Stores] = web.AppKey("stores")
MESSAGE_LOG: web.AppKey[MessageLog] = web.AppKey("message_log")
REPLIES: web.AppKey[Replies] = web.AppKey("replies")
INBOX: web.AppKey[Inbox] = web.AppKey("inbox")
METRICS: web.AppKey[Metrics] = web.AppKey("metrics")
# The process's one slip service (dialogs, console, API and scheduler share it).
SLIP_SERVICE: web.AppKey[SlipService] = web.AppKey("slip_service")
