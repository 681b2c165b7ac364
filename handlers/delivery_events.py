"""TEMPLATESENDJOBFINISH: WeChat's later word on a template message reconciles the outbox row
(bot/delivery/reconcile.py). WeChat still gets `success`."""

from __future__ import annotations

import logging

from wechatpy.messages import BaseMessage

from bot.delivery.reconcile import record_job_finish
from bot.storage import Database
from bot.stores import Stores
from handlers.inbox import Turn
from handlers.router import MessageRouter

log = logging.getLogger(__name__)


def register(router: MessageRouter, db: Database, stores: Stores) -> None:
    """Register before the generic event handlers: the first registration for an event wins."""

    @router.event("templatesendjobfinish")
    async def job_finished(message: BaseMessage, turn: Turn) -> str | None:
        fields = turn.inbound.fields
        raw = fields.get("MsgID") or fields.get("MsgId")
        status = str(fields.get("Status") or "").strip()
        try:
            msgid = int(str(raw))
        except (TypeError, ValueError):
            log.warning("TEMPLATESENDJOBFINISH without a usable MsgID: %r", raw)
            return None
        try:
            await record_job_finish(db, stores, msgid, status[:200])
        except Exception:
            log.exception("TEMPLATESENDJOBFINISH %s (%s) not recorded", msgid, status)
        return None
