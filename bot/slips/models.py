"""Slip tables: the slip, its departments, its hash-chained events, numbering, clusters.

Indexes fit the console's list and filters at a million slips on PostgreSQL: each filter column
is paired with created_at (the list's order), handlers reach their slips through
slip_department, and the workbench through the alert_* columns (NULL once a slip is closed).
Free text search on PostgreSQL uses a GIN index over the character bigrams of description and
location (`minyi_bigrams`, created by the migration): Chinese words are mostly two characters,
which trigram indexes cannot look up. SQLite falls back to LIKE.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models import Base
from bot.storage.types import JSONType, UTCDateTime, utcnow

ID = BigInteger().with_variant(Integer, "sqlite")


class SlipCluster(Base):
    """Slips about the same problem (普遍性): linked by staff or merged as duplicates."""

    __tablename__ = "slip_cluster"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Slip(Base):
    """One 民意交办单."""

    __tablename__ = "slip"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    # The dedupe key of the resident's confirming message: one message never makes two slips.
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("resident.id", ondelete="SET NULL"), index=True
    )
    openid: Mapped[str | None] = mapped_column(String(64))

    # What the resident told us.
    description: Mapped[str] = mapped_column(Text)
    location_text: Mapped[str | None] = mapped_column(Text)
    area: Mapped[dict[str, Any] | None] = mapped_column(JSONType())
    street: Mapped[str | None] = mapped_column(String(64))
    community: Mapped[str | None] = mapped_column(String(64))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    phone: Mapped[str | None] = mapped_column(String(32))
    occurred_text: Mapped[str | None] = mapped_column(String(200))
    media: Mapped[list[dict[str, Any]]] = mapped_column(JSONType(), default=list)

    # Classification (分级分类) with its explanation; `triage` keeps the whole result.
    category: Mapped[list[str]] = mapped_column(JSONType(), default=list)
    category_top: Mapped[str | None] = mapped_column(String(32))
    request_type: Mapped[str | None] = mapped_column(String(8))
    urgency: Mapped[str | None] = mapped_column(String(8))
    complexity: Mapped[str | None] = mapped_column(String(8))
    universality: Mapped[str | None] = mapped_column(String(8))
    handling_level: Mapped[str | None] = mapped_column(String(8))
    confidence: Mapped[float | None] = mapped_column(Float)
    low_confidence: Mapped[bool] = mapped_column(Boolean, default=False)
    explanation: Mapped[Any] = mapped_column(JSONType(), nullable=True)
    advice: Mapped[str | None] = mapped_column(Text)
    triage: Mapped[dict[str, Any]] = mapped_column(JSONType(), default=dict)

    # Who handles it.
    lead_department: Mapped[str | None] = mapped_column(String(32))
    lead_department_name: Mapped[str | None] = mapped_column(String(100))
    co_departments: Mapped[list[dict[str, Any]]] = mapped_column(JSONType(), default=list)
    queue_reason: Mapped[str | None] = mapped_column(String(16))  # low_confidence | returned

    # Where it stands.
    status: Mapped[str] = mapped_column(String(16))
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # Deadlines. Both clocks start at acceptance (the resident's wait) and restart only on
    # 重办 (bot/slips/timing.py). alert_* drive the lights and the workbench; they are NULL
    # once the slip is closed.
    completion_start_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    response_start_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The response limit: clock hours (特急/紧急) or working days (一般), from the triage.
    response_hours: Mapped[int | None] = mapped_column(Integer)
    response_working_days: Mapped[int | None] = mapped_column(Integer)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    due_working_days: Mapped[int | None] = mapped_column(Integer)
    alert_yellow_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    alert_red_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    extension_days: Mapped[int] = mapped_column(Integer, default=0)
    extension_requested_date: Mapped[date | None] = mapped_column(Date)
    extension_reason: Mapped[str | None] = mapped_column(Text)
    supervised: Mapped[bool] = mapped_column(Boolean, default=False)
    supervised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    supervise_count: Mapped[int] = mapped_column(Integer, default=0)

    # Outcome.
    result: Mapped[str | None] = mapped_column(Text)
    satisfaction: Mapped[str | None] = mapped_column(String(8))
    solved: Mapped[bool | None] = mapped_column(Boolean)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    # 催办 by the resident in this round of handling (a 重办 starts a new round)
    urge_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    urged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the last counted 催办
    last_staff_reply: Mapped[str | None] = mapped_column(Text)
    last_staff_reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cluster_id: Mapped[int | None] = mapped_column(
        ForeignKey("slip_cluster.id", ondelete="SET NULL"), index=True
    )
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("slip.id", ondelete="SET NULL"), index=True
    )

    # The audit chain's head: number of events and the hash of the last one.
    event_count: Mapped[int] = mapped_column(Integer, default=0)
    chain_head: Mapped[str] = mapped_column(String(64), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_slip_created", "created_at", "id"),
        Index("ix_slip_status_created", "status", "created_at"),
        Index("ix_slip_lead_created", "lead_department", "created_at"),
        Index("ix_slip_urgency_created", "urgency", "created_at"),
        Index("ix_slip_street_created", "street", "created_at"),
        Index("ix_slip_community_created", "community", "created_at"),
        Index("ix_slip_category_created", "category_top", "created_at"),
        Index("ix_slip_openid_created", "openid", "created_at"),
        Index("ix_slip_phone", "phone"),
        Index("ix_slip_alert_red", "alert_red_at"),
        Index("ix_slip_alert_yellow", "alert_yellow_at"),
        # Workbench queues: small partial indexes in the order each queue is shown.
        Index("ix_slip_to_sign", "lead_department", "response_due_at",
              postgresql_where=text("status = 'dispatched'"),
              sqlite_where=text("status = 'dispatched'")),
        Index("ix_slip_extension_requests", "lead_department", "due_at",
              postgresql_where=text("extension_requested_date IS NOT NULL"),
              sqlite_where=text("extension_requested_date IS NOT NULL")),
        Index("ix_slip_in_hand", "lead_department", "due_at",
              postgresql_where=text("status IN ('signed', 'in_progress')"),
              sqlite_where=text("status IN ('signed', 'in_progress')")),
    )


# PostgreSQL only: GIN over the character bigrams of description + location (the function is
# created by the slips migration; search.py mirrors it in Python).
Index(
    "ix_slip_search_bigrams",
    func.minyi_bigrams(Slip.__table__.c.description, Slip.__table__.c.location_text),
    postgresql_using="gin",
).ddl_if(dialect="postgresql")

# PostgreSQL only: the last digits of slip and phone numbers ("尾号0017"), looked up as the
# prefix of the reversed value (migration slips0006; query.py tail_condition).
for _column in ("number", "phone"):
    Index(
        f"ix_slip_{_column}_tail",
        func.reverse(Slip.__table__.c[_column]),
        postgresql_ops={"reverse": "text_pattern_ops"},
    ).ddl_if(dialect="postgresql")


class SlipDepartment(Base):
    """Every department on a slip (lead and co-handlers): the handler's scope, indexed."""

    __tablename__ = "slip_department"
    __table_args__ = (Index("ix_slip_department_dept", "department", "role", "slip_id"),)

    slip_id: Mapped[int] = mapped_column(
        ForeignKey("slip.id", ondelete="CASCADE"), primary_key=True
    )
    department: Mapped[str] = mapped_column(String(32), primary_key=True)
    role: Mapped[str] = mapped_column(String(8))  # 主办 | 协办


class SlipEvent(Base):
    """One step in a slip's life. `hash` = SHA-256 over the canonical event and `prev_hash`."""

    __tablename__ = "slip_event"
    __table_args__ = (
        UniqueConstraint("slip_id", "seq", name="uq_slip_event_slip_seq"),
        Index("ix_slip_event_action_at", "action", "at"),
    )

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    slip_id: Mapped[int] = mapped_column(ForeignKey("slip.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32))
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str] = mapped_column(String(64))
    actor_name: Mapped[str] = mapped_column(String(100))
    actor_role: Mapped[str | None] = mapped_column(String(16))
    actor_department: Mapped[str | None] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType(), default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class SlipCounter(Base):
    """The daily sequence behind slip numbers: one row per prefix and local date."""

    __tablename__ = "slip_counter"

    prefix: Mapped[str] = mapped_column(String(8), primary_key=True)
    day: Mapped[str] = mapped_column(String(8), primary_key=True)  # yyyymmdd, Asia/Shanghai
    value: Mapped[int] = mapped_column(Integer, default=0)
