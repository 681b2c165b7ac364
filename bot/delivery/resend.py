"""Sending a notice again that never arrived (staff press 重新发送 on the slip page).

Only rows the worker gave up on can be re-queued: `failed` (retries used up) and
`undeliverable` (WeChat refused: the resident had unfollowed or blocked the account, or no
channel was configured; they may have followed again since). What a re-queue does:

- the row goes back to `pending`, due now, with a fresh round of `retry.max_attempts`
  attempts (`attempts` starts from 0 again; every earlier call stays in `delivery_attempt`);
- it keeps its idempotency key, so it is still one notice: nothing new is enqueued, and a
  template message keeps its `client_msg_id` (WeChat sends one message per resident and id
  within 10 minutes: a template WeChat accepted less than 10 minutes earlier is not shown
  twice);
- an earlier attempt left in doubt is marked `superseded`: staff decided to send it again,
  so the worker's `in_doubt: skip` policy does not turn the resend into "sent, unconfirmed";
- the per-resident order holds: the row is sent before the resident's later pending notices.

The caller (SlipService.resend_notice) records the resend in the slip's audit chain in the
same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.models import DeliveryAttempt
from bot.outbox.models import OutboxRow, OutboxStatus

RESENDABLE = (OutboxStatus.FAILED.value, OutboxStatus.UNDELIVERABLE.value)


@dataclass(frozen=True, slots=True)
class Requeued:
    id: int
    kind: str
    previous_status: str
    previous_error: str | None


class NoSuchNotice(LookupError):
    """The notice does not exist or belongs to another slip."""


class NotResendable(ValueError):
    """The notice is not failed or undeliverable (sent already, or queued again)."""


async def requeue(
    session: AsyncSession, outbox_id: int, *, slip_id: int, now: datetime
) -> Requeued:
    """Put a failed / undeliverable notice of `slip_id` back in the queue (in the caller's
    transaction). NoSuchNotice or NotResendable otherwise."""
    row = (
        await session.execute(
            select(OutboxRow.id, OutboxRow.kind, OutboxRow.status, OutboxRow.last_error).where(
                OutboxRow.id == outbox_id, OutboxRow.slip_id == slip_id
            )
        )
    ).one_or_none()
    if row is None:
        raise NoSuchNotice(outbox_id)
    changed = await session.execute(
        update(OutboxRow)
        .where(OutboxRow.id == outbox_id, OutboxRow.status.in_(RESENDABLE))
        .values(
            status=OutboxStatus.PENDING,
            attempts=0,
            next_attempt_at=now,
            locked_by=None,
            locked_until=None,
            last_error=None,
        )
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:  # sent, or someone re-queued it a moment ago
        raise NotResendable(outbox_id)
    await session.execute(
        update(DeliveryAttempt)
        .where(
            DeliveryAttempt.outbox_id == outbox_id,
            or_(DeliveryAttempt.outcome.is_(None), DeliveryAttempt.outcome == "unknown"),
        )
        .values(outcome="superseded", finished_at=func.coalesce(DeliveryAttempt.finished_at, now))
        .execution_options(synchronize_session=False)
    )
    return Requeued(int(row.id), str(row.kind), str(row.status), row.last_error)
