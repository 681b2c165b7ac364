"""The notifications a slip caused and how their delivery went (outbox rows)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import select

from bot.outbox.models import OutboxRow
from bot.storage import Database

KIND_LABELS = {
    "accepted": "受理通知",
    "dispatched": "派单通知",
    "signed": "签收通知",
    "reply": "答复",
    "transferred": "改派通知",
    "transferred_staff": "改派（工作人员）",
    "returned": "退单（工作人员）",
    "extended": "延期通知",
    "extension_requested": "延期申请（工作人员）",
    "extension_approved": "延期批准（工作人员）",
    "extension_rejected": "延期驳回（工作人员）",
    "closed": "办结通知",
    "survey": "满意度评价",
    "survey_reminder": "评价提醒",
    "reopened": "重办通知",
    "merged": "合并通知",
    "supervised": "督办（工作人员）",
    "overdue": "超期提醒（工作人员）",
    "withdrawn": "撤销通知",
}
STATUS_LABELS = {
    "pending": "待发送",
    "sending": "发送中",
    "sent": "已送达",
    "failed": "发送失败",
    "undeliverable": "无法送达",
}


@dataclass(frozen=True)
class Delivery:
    id: int
    kind: str
    kind_label: str
    audience: str
    text: str
    status: str
    status_label: str
    attempts: int
    last_error: str | None
    channel: str | None
    created_at: datetime
    sent_at: datetime | None

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        data["sent_at"] = self.sent_at.isoformat() if self.sent_at else None
        return data


async def deliveries_of(db: Database, slip_id: int) -> list[Delivery]:
    async with db.session() as session:
        rows = await session.execute(
            select(OutboxRow).where(OutboxRow.slip_id == slip_id).order_by(OutboxRow.id)
        )
        return [
            Delivery(
                id=r.id,
                kind=r.kind,
                kind_label=KIND_LABELS.get(r.kind, r.kind),
                audience=r.audience,
                text=r.text,
                status=r.status,
                status_label=STATUS_LABELS.get(r.status, r.status),
                attempts=r.attempts,
                last_error=r.last_error,
                channel=r.channel,
                created_at=r.created_at,
                sent_at=r.sent_at,
            )
            for r in rows.scalars()
        ]
