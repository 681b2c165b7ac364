"""What the slip service takes and returns: plain dataclasses, no ORM objects."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from bot.slips.workflow import FieldSpec

T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class SlipDraft:
    """A resident's complaint, ready to become a slip (same fields as dialogs.ports.SlipDraft).

    `idempotency_key` is the dedupe key of the confirming message: issuing the same draft
    twice returns the first slip.
    """

    openid: str
    description: str
    idempotency_key: str
    location_text: str | None = None
    area: dict[str, Any] | None = None
    lat: float | None = None
    lon: float | None = None
    phone: str | None = None
    occurred_text: str | None = None
    media: list[dict[str, str]] = field(default_factory=list)
    triage: dict[str, Any] | None = None
    employer: str | None = None
    # the text triage classifies (the resident's own words, without shared links; the stored
    # description keeps them for staff); None: the description
    triage_text: str | None = None

    @classmethod
    def from_any(cls, draft: Any) -> SlipDraft:
        """Copy a draft of another type with the same field names (the dialogs' SlipDraft)."""
        if isinstance(draft, cls):
            return draft
        names = cls.__dataclass_fields__
        return cls(**{n: getattr(draft, n) for n in names if hasattr(draft, n)})


@dataclass(frozen=True)
class SlipFilter:
    """Console list filters. Every field is optional; they combine with AND."""

    status: str | tuple[str, ...] | None = None  # state code(s), or "open" / "closed"
    department: str | None = None  # lead department code
    urgency: str | None = None
    area: str | None = None  # street or community name
    category: str | None = None  # top-level category
    date_from: date | None = None  # created on or after (local date)
    date_to: date | None = None  # created on or before (local date)
    q: str | None = None  # free text: description, location, number, phone
    light: str | None = None  # green | yellow | red (open slips)
    supervised: bool | None = None
    queue: bool = False  # the dispatcher's queue: accepted with no lead department


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    page: int
    per_page: int
    total: int  # exact up to `total_exact`; beyond the count limit it is the limit
    total_exact: bool = True

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class Department:
    code: str
    name: str


@dataclass(frozen=True)
class SlipSummary:
    id: int
    number: str
    status: str
    status_label: str
    summary: str
    urgency: str | None
    category: str | None
    lead_department: Department | None
    street: str | None
    created_at: datetime
    due_at: datetime | None
    # the response (签收) limit while the slip is not yet signed, and its length in words
    # ("2小时", "1个工作日"); None once signed or closed
    response_due_at: datetime | None
    response_limit: str | None
    light: str
    supervised: bool
    low_confidence: bool
    version: int
    # why it is back on someone's desk: sent back by its department (queue_reason "returned")
    # or reopened (重办) after the resident's 不满意, with the reason given
    queue_reason: str | None = None
    reopen_count: int = 0
    returned: Returned | None = None
    reopen_reason: str | None = None
    # where its extension (延期) stands: waiting for a supervisor, or their latest decision
    extension: ExtensionMark | None = None
    # a supervisor's (or the system's) 督办 of a slip still open: how often, the latest opinion
    supervision: Supervision | None = None
    # how often the resident asked for it to be done sooner (催办) in this round of handling
    urge_count: int = 0
    # an open slip that repeats the same resident's slip finished lately (此前反映): its number
    earlier: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class ExtensionMark:
    """A slip's extension (延期) as its handler and the supervisors need to see it: a request
    waiting for approval, or the latest decision on one (since the slip was last reopened)."""

    state: str  # pending | approved | rejected
    due_date: str | None  # YYYY-MM-DD: asked for (pending, rejected) or approved
    reason: str | None  # pending: why it was asked for; approved: 审批意见; rejected: 驳回理由
    at: datetime | None = None  # when it was decided (None while pending)


@dataclass(frozen=True)
class Supervision:
    """督办 of an open slip since it was last reopened (重办): how many times, and the latest
    opinion (none yet: count 0); `earlier`: how many times before the latest 重办."""

    count: int
    note: str | None
    at: datetime | None
    earlier: int = 0


@dataclass(frozen=True)
class Returned:
    """The latest 退单 of a slip waiting in the queue: which department, and why."""

    department: str | None  # its name
    reason: str | None


@dataclass(frozen=True)
class SlipView:
    id: int
    number: str
    status: str
    status_label: str
    resident_status: str
    is_open: bool
    description: str
    location_text: str | None
    area: dict[str, Any] | None
    lat: float | None
    lon: float | None
    phone: str | None  # full for staff, masked for others
    occurred_text: str | None
    media: list[dict[str, Any]]
    category: list[str]
    request_type: str | None
    urgency: str | None
    complexity: str | None
    universality: str | None
    handling_level: str | None
    lead_department: Department | None
    co_departments: list[Department]
    response_due_at: datetime | None
    due_at: datetime | None
    light: str
    low_confidence: bool
    confidence: float | None
    queue_reason: str | None
    explanation: Any
    advice: str | None
    result: str | None
    satisfaction: str | None
    solved: bool | None
    reopen_count: int
    supervised: bool
    pending_extension: dict[str, Any] | None  # {"due_date": "YYYY-MM-DD", "reason": ...}
    cluster_id: int | None
    merged_into: str | None  # the kept slip's number
    version: int
    created_at: datetime
    updated_at: datetime
    signed_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    last_staff_reply: str | None
    last_staff_reply_at: datetime | None
    openid: str | None  # staff and the resident themself; None for others
    # staff only, while the slip is open (as the console shows them): where its extension
    # (延期) stands — waiting, or the latest decision since it was last reopened — and its
    # 督办 since then (with how often before the latest 重办)
    extension: ExtensionMark | None = None
    supervision: Supervision | None = None
    # how often the resident asked for it to be done sooner (催办) in this round of handling
    urge_count: int = 0

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class EventView:
    seq: int
    action: str
    action_label: str
    actor_kind: str
    actor_name: str
    actor_role: str | None
    actor_department: str | None
    at: datetime
    from_status: str | None
    to_status: str
    to_status_label: str
    note: str | None
    data: dict[str, Any]
    hash: str

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class ActionSpec:
    code: str
    label: str
    fields: tuple[FieldSpec, ...]
    # the console asks for this to be ticked before it takes the action (irreversible ones)
    confirm: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class MovedAway:
    """Why a handler no longer sees a slip their department had (改派, a co-handler dropped,
    退单): where the slip is now."""

    lead: str | None  # the department that leads it now; None: back in the dispatcher's queue


@dataclass(frozen=True)
class MergedSlip:
    """A duplicate merged into a slip (合并), as the staff on the kept slip's page see it."""

    number: str
    description: str
    phone: str | None  # full where the staff member may open the duplicate, else masked
    created_at: datetime
    satisfaction: str | None  # its resident's verdict on the kept slip's handling
    openable: bool  # the staff member may open the duplicate's own page


@dataclass(frozen=True)
class Workbench:
    """A staff member's queues (each nearest-due first, at most `limit` items) and their sizes."""

    to_sign: list[SlipSummary]
    # handler: their department's signed slips being worked on, nearest deadline first
    in_progress: list[SlipSummary]
    due_soon: list[SlipSummary]  # yellow
    overdue: list[SlipSummary]  # red
    queue: list[SlipSummary]  # dispatcher: low-confidence and returned slips
    extension_requests: list[SlipSummary]  # supervisor: extensions waiting for approval
    counts: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
