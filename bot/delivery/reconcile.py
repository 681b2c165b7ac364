"""TEMPLATESENDJOBFINISH: WeChat's later word on a template message it accepted.

`Status` is "success", "failed:user block" (the resident refuses templates) or
"failed: system failed". A failure turns the row from sent into undeliverable (refused) or
failed (anything else), with WeChat's words as last_error, so staff see it on the slip.

The event can arrive before the worker has recorded the msgid (it comes ~instantly); it is
then parked in the stores and the worker applies it when it records the send.
"""

from __future__ import annotations

import logging

from sqlalchemy import select, update

from bot.delivery.models import DeliveryAttempt
from bot.outbox.models import OutboxRow, OutboxStatus
from bot.storage import Database
from bot.stores import Stores

log = logging.getLogger(__name__)

PARKED_SECONDS = 3600.0


def parked_key(msgid: int) -> str:
    return f"delivery:job_finish:{msgid}"


def outcome_of(status: str) -> OutboxStatus:
    """What a job status means for the row."""
    text = status.strip().lower()
    if text == "success":
        return OutboxStatus.SENT
    if "block" in text or "refuse" in text:
        return OutboxStatus.UNDELIVERABLE
    return OutboxStatus.FAILED


async def apply_job_status(db: Database, msgid: int, status: str) -> bool:
    """Record the status on the attempt that got `msgid`; False if no such attempt yet."""
    async with db.session() as session:
        attempt = (
            await session.execute(
                select(DeliveryAttempt)
                .where(DeliveryAttempt.wechat_msg_id == msgid)
                .order_by(DeliveryAttempt.id.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        if attempt is None:
            return False
        attempt.job_status = status[:64]
        outcome = outcome_of(status)
        if outcome is not OutboxStatus.SENT:
            await session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == attempt.outbox_id, OutboxRow.status == OutboxStatus.SENT)
                .values(status=outcome, last_error=f"WeChat reported {status[:200]!r}")
                .execution_options(synchronize_session=False)
            )
            log.warning("template message %s: WeChat reported %r", msgid, status)
        return True


async def record_job_finish(db: Database, stores: Stores, msgid: int, status: str) -> bool:
    """Apply a TEMPLATESENDJOBFINISH now, or park it for the worker. True if applied."""
    if await apply_job_status(db, msgid, status):
        return True
    await stores.set_value(parked_key(msgid), status, ttl_seconds=PARKED_SECONDS)
    # the worker may have recorded the msgid between our look-up and the parking
    if await apply_job_status(db, msgid, status):
        await stores.delete_value(parked_key(msgid))
        return True
    return False


async def apply_parked(db: Database, stores: Stores, msgid: int) -> None:
    """Called by the worker right after it recorded `msgid`."""
    status = await stores.get_value(parked_key(msgid))
    if status is not None and await apply_job_status(db, msgid, status):
        await stores.delete_value(parked_key(msgid))
