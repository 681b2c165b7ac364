"""TEMPLATESENDJOBFINISH bookkeeping: statuses, and an event that beats the worker."""

from __future__ import annotations

from sqlalchemy import select

from bot.delivery.models import DeliveryAttempt
from bot.delivery.reconcile import apply_parked, outcome_of, parked_key, record_job_finish
from bot.outbox import OutboxRow, OutboxStatus
from tests.bot.delivery.conftest import StackFactory

A = "oReconcile000000000000000001"


def test_statuses() -> None:
    assert outcome_of("success") is OutboxStatus.SENT
    assert outcome_of("failed:user block") is OutboxStatus.UNDELIVERABLE
    assert outcome_of("failed: system failed") is OutboxStatus.FAILED


async def test_an_event_before_the_worker_recorded_the_msgid_is_applied_later(
    make_stack: StackFactory,
) -> None:
    stack = await make_stack()
    await stack.resident(A, window=False)
    await stack.notice(A, "n1", "您的工单已办结")
    # WeChat reports on msgid 4242 before anything here knows that msgid
    assert await record_job_finish(stack.db, stack.stores, 4242, "failed:user block") is False
    assert await stack.stores.get_value(parked_key(4242)) == "failed:user block"
    row = await stack.row("n1")
    async with stack.db.session() as session:
        session.add(DeliveryAttempt(outbox_id=row.id, channel="template", worker="w",
                                    outcome="sent", wechat_msg_id=4242))
        (await session.get(OutboxRow, row.id)).status = OutboxStatus.SENT
    await apply_parked(stack.db, stack.stores, 4242)  # what the worker does after recording
    row = await stack.row("n1")
    assert row.status == OutboxStatus.UNDELIVERABLE
    assert await stack.stores.get_value(parked_key(4242)) is None
    async with stack.db.session() as session:
        attempt = (await session.scalars(select(DeliveryAttempt))).one()
    assert attempt.job_status == "failed:user block"
