"""The transactional outbox: notifications written in the same transaction as the change
that causes them, delivered later by `minyi worker` (bot/delivery)."""

from bot.outbox.enqueue import Notice, enqueue
from bot.outbox.models import OutboxRow, OutboxStatus

__all__ = ["Notice", "OutboxRow", "OutboxStatus", "enqueue"]
