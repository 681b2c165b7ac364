"""The notifications a slip caused and how their delivery went (outbox rows).

A row is only called delivered when WeChat said so. A customer-service message whose call
was interrupted (the worker's `in_doubt: skip` policy marks it sent, with last_error starting
"unconfirmed") may or may not have reached the resident: it is shown as 已发出，未确认送达 and
`confirmed` is false.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import select

from bot.outbox.models import OutboxRow, OutboxStatus
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
    "survey_reminder_merged": "评价提醒（合并办理的居民）",
    "reopened": "重办通知",
    "reopened_merged": "重办通知（合并办理的居民）",
    "reissued": "另立新单通知（对已归档单不满意）",
    "reissued_staff": "另立新单（工作人员）",
    "merged": "合并通知",
    "supervised": "督办（工作人员）",
    "overdue": "超期提醒（工作人员）",
    "withdrawn": "撤销通知",
    "withdrawn_staff": "撤销通知（工作人员）",
    "reopened_staff": "重办通知（工作人员）",
    "due_soon": "临期提醒（工作人员）",
    "followup": "群众补充（工作人员）",
    "urged": "群众催办（工作人员）",
    "escalated": "升为特急通知",
    "escalated_staff": "升为特急（工作人员）",
    "escalated_duty": "升为特急（值班）",
    "late_reply": "自动回复（补发）",
}
# a kind added to knowledge/notices.yaml without a label here: never show staff the code
OTHER_KIND_LABEL = "其他通知"
CHANNEL_LABELS = {
    "custom": "客服消息",
    "template": "模板消息",
    "subscribe": "订阅消息",
    "console": "工作台",
    "passive": "自动回复",
}
OTHER_CHANNEL_LABEL = "其他方式"
STATUS_LABELS = {
    "pending": "待发送",
    "sending": "发送中",
    "sent": "已送达",
    "failed": "发送失败",
    "undeliverable": "无法送达",
}
UNCONFIRMED_LABEL = "已发出，未确认送达"
UNCONFIRMED_EXPLANATION = (
    "发送时与微信的连接中断，微信可能已经送达，也可能没有；为了不让群众重复收到，系统没有再发。"
    "如需确认，请电话联系群众。"
)


@dataclass(frozen=True)
class Delivery:
    id: int
    kind: str
    kind_label: str
    audience: str
    text: str
    status: str
    status_label: str
    # False: WeChat may not have delivered it (see the module notes); None: not sent (yet)
    confirmed: bool | None
    # what staff read about the row's last problem, in plain words where one is known
    note: str | None
    attempts: int
    last_error: str | None
    channel: str | None
    channel_label: str | None  # how it went out, in words (客服消息 …); None: not sent
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
        return [delivery_of(r) for r in rows.scalars()]


def is_unconfirmed(row: OutboxRow) -> bool:
    return row.status == OutboxStatus.SENT and (row.last_error or "").startswith("unconfirmed")


def delivery_of(r: OutboxRow) -> Delivery:
    unconfirmed = is_unconfirmed(r)
    sent = r.status == OutboxStatus.SENT
    return Delivery(
        id=r.id,
        kind=r.kind,
        kind_label=KIND_LABELS.get(r.kind, OTHER_KIND_LABEL),
        audience=r.audience,
        text=r.text,
        status=r.status,
        status_label=UNCONFIRMED_LABEL if unconfirmed else STATUS_LABELS.get(r.status, r.status),
        confirmed=(not unconfirmed) if sent else None,
        note=UNCONFIRMED_EXPLANATION if unconfirmed else r.last_error,
        attempts=r.attempts,
        last_error=r.last_error,
        channel=r.channel,
        channel_label=CHANNEL_LABELS.get(r.channel, OTHER_CHANNEL_LABEL) if r.channel else None,
        created_at=r.created_at,
        sent_at=r.sent_at,
    )
