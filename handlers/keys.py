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
    from knowledge.pack import KnowledgePack
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
# The knowledge pack, read once by create_app for every part of the process (reading it takes
# about 0.1 s; the console, the statistics, Open311 and the triage each read it before).
PACK: web.AppKey[KnowledgePack] = web.AppKey("knowledge_pack")


def pack_of(app: web.Application) -> KnowledgePack:
    """The process's knowledge pack; read here for an app built without create_app (a test of
    one part)."""
    from knowledge.pack import load_pack

    pack = app.get(PACK)
    return pack if pack is not None else load_pack()

