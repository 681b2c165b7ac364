"""Prometheus metrics for one process, in a registry of its own (no global state).

Counters and the reply-latency histogram are updated where things happen; the gauges (slips by
state, outbox depth, overdue slips) are read from the database when /metrics is scraped, at
most once every few seconds.
"""

from __future__ import annotations

import time
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from sqlalchemy import func, select

from bot.outbox.models import OutboxRow
from bot.slips.models import Slip
from bot.storage import Database
from bot.storage.types import utcnow

REPLY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 4.0, 5.0)


class Metrics:
    def __init__(self, refresh_seconds: float = 5.0) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.messages = Counter(
            "minyi_messages_received",
            "WeChat messages and events received, by type",
            ["type"],
            registry=self.registry,
        )
        self.refused = Counter(
            "minyi_webhook_refused",
            "Webhook requests refused, by HTTP status",
            ["status"],
            registry=self.registry,
        )
        self.replies = Counter(
            "minyi_replies",
            "Answers to WeChat, by outcome (reply, success, duplicate, late)",
            ["outcome"],
            registry=self.registry,
        )
        self.reply_seconds = Histogram(
            "minyi_reply_seconds",
            "Time from a verified message to its passive reply",
            buckets=REPLY_BUCKETS,
            registry=self.registry,
        )
        self.slips = Gauge("minyi_slips", "Slips by state", ["status"], registry=self.registry)
        self.overdue = Gauge(
            "minyi_slips_overdue", "Open slips past a deadline (red light)", registry=self.registry
        )
        self.outbox = Gauge(
            "minyi_outbox",
            "Notifications in the outbox by status",
            ["status"],
            registry=self.registry,
        )
        self._refresh_seconds = refresh_seconds
        self._refreshed = 0.0

    async def refresh(self, db: Database, now: datetime | None = None) -> None:
        """Read the gauges from the database (cached for a few seconds)."""
        if time.monotonic() - self._refreshed < self._refresh_seconds:
            return
        now = now or utcnow()
        async with db.engine.connect() as conn:
            slips = (
                await conn.execute(select(Slip.status, func.count()).group_by(Slip.status))
            ).all()
            overdue = (
                await conn.execute(
                    select(func.count()).select_from(Slip).where(Slip.alert_red_at <= now)
                )
            ).scalar_one()
            outbox = (
                await conn.execute(
                    select(OutboxRow.status, func.count()).group_by(OutboxRow.status)
                )
            ).all()
        self.slips.clear()
        for status, count in slips:
            self.slips.labels(status).set(count)
        self.overdue.set(overdue)
        self.outbox.clear()
        for status, count in outbox:
            self.outbox.labels(status).set(count)
        self._refreshed = time.monotonic()

    def render(self) -> bytes:
        return generate_latest(self.registry)
