"""Slip rows and events as the views each kind of actor may see."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, Protocol

from bot.slips.actor import Actor
from bot.slips.models import Slip, SlipEvent
from bot.slips.timing import UNSIGNED, SlipTiming
from bot.slips.views import (
    Department,
    EventView,
    ExtensionMark,
    Returned,
    SlipSummary,
    SlipView,
    Supervision,
)
from bot.slips.workflow import Workflow

SUMMARY_CHARS = 60


def mask_phone(phone: str | None) -> str | None:
    """138****5678 for mobiles; only the last four digits of anything shorter."""
    if not phone:
        return phone
    if len(phone) >= 11:
        return phone[:3] + "****" + phone[-4:]
    return "****" + phone[-4:] if len(phone) > 4 else "****"


def _lead(slip: Slip) -> Department | None:
    if not slip.lead_department:
        return None
    return Department(slip.lead_department, slip.lead_department_name or slip.lead_department)


def _response_limit(slip: Slip) -> str | None:
    if slip.response_hours is not None:
        return f"{slip.response_hours}小时"
    if slip.response_working_days is not None:
        return f"{slip.response_working_days}个工作日"
    return None


class EventLike(Protocol):
    """A stored event (SlipEvent) or an event as staff see it (EventView)."""

    action: str
    note: str | None
    data: Any
    at: datetime


# the events that say where a slip's extension and 督办 stand (a 重办 restarts the deadline)
MARK_ACTIONS = ("approve_extension", "reject_extension", "supervise", "reopen")


def extension_mark(
    requested: date | str | None, reason: str | None, events: Iterable[EventLike]
) -> ExtensionMark | None:
    """A request waiting for approval (`requested`, the slip's extension_requested_date), else
    the latest decision on one, in `events` (oldest first); a 重办 since then restarted the
    deadline, so a decision before it no longer counts."""
    if requested is not None:
        day = requested.isoformat() if isinstance(requested, date) else str(requested)
        return ExtensionMark("pending", day, reason)
    mark = None
    for e in events:
        if e.action == "reopen":
            mark = None
        elif e.action in ("approve_extension", "reject_extension"):
            day = (e.data or {}).get("due_date")
            state = "approved" if e.action == "approve_extension" else "rejected"
            mark = ExtensionMark(state, str(day) if day else None, e.note, e.at)
    return mark


def supervision(events: Iterable[EventLike]) -> Supervision | None:
    """How often the slip was supervised (督办) since it was last reopened (重办), and the
    latest opinion; `earlier`: how often before that. A 重办 clears the slip's `supervised`
    flag: the mark is about the current round of handling, the history stays. None when it
    was never supervised."""
    count, earlier, latest = 0, 0, None
    for e in events:
        if e.action == "supervise":
            count, latest = count + 1, e
        elif e.action == "reopen":
            count, earlier, latest = 0, earlier + count, None
    if latest is None and not earlier:
        return None
    if latest is None:
        return Supervision(0, None, None, earlier)
    return Supervision(count, latest.note, latest.at, earlier)


def summary(
    slip: Slip, workflow: Workflow, now: datetime, *, returned: Returned | None = None,
    reopen_reason: str | None = None, extension: ExtensionMark | None = None,
    supervised: Supervision | None = None, earlier: str | None = None,
) -> SlipSummary:
    text = slip.description or ""
    waiting = slip.status in UNSIGNED and slip.response_due_at is not None
    return SlipSummary(
        id=slip.id,
        number=slip.number,
        status=slip.status,
        status_label=workflow.state(slip.status).label,
        summary=text if len(text) <= SUMMARY_CHARS else text[:SUMMARY_CHARS] + "…",
        urgency=slip.urgency,
        category=slip.category_top,
        lead_department=_lead(slip),
        street=slip.street,
        created_at=slip.created_at,
        due_at=slip.due_at,
        response_due_at=slip.response_due_at if waiting else None,
        response_limit=_response_limit(slip) if waiting else None,
        light=SlipTiming.light(slip, now),
        supervised=slip.supervised,
        low_confidence=slip.low_confidence,
        version=slip.version,
        queue_reason=slip.queue_reason,
        reopen_count=slip.reopen_count or 0,
        urge_count=slip.urge_count or 0,
        returned=returned,
        reopen_reason=reopen_reason,
        extension=extension,
        supervision=supervised,
        earlier=earlier,
    )


def slip_view(
    slip: Slip, workflow: Workflow, now: datetime, actor: Actor, merged_into: str | None,
    marks: Sequence[EventLike] | None = None,
) -> SlipView:
    """`marks`: the slip's MARK_ACTIONS events (oldest first) for its extension and 督办, or
    None where they are not shown (residents; closed slips)."""
    state = workflow.state(slip.status)
    staff = actor.kind in ("staff", "system")
    own = actor.kind == "resident" and actor.id == slip.openid
    pending = None
    if slip.extension_requested_date is not None:
        pending = {"due_date": slip.extension_requested_date.isoformat(),
                   "reason": slip.extension_reason}
    return SlipView(
        id=slip.id,
        number=slip.number,
        status=slip.status,
        status_label=state.label,
        resident_status=state.resident,
        is_open=state.is_open,
        description=slip.description,
        location_text=slip.location_text,
        area=slip.area,
        lat=slip.lat,
        lon=slip.lon,
        phone=slip.phone if staff else mask_phone(slip.phone),
        occurred_text=slip.occurred_text,
        media=list(slip.media or []),
        category=list(slip.category or []),
        request_type=slip.request_type,
        urgency=slip.urgency,
        complexity=slip.complexity,
        universality=slip.universality,
        handling_level=slip.handling_level,
        lead_department=_lead(slip),
        co_departments=[Department(d["code"], d["name"]) for d in slip.co_departments or []],
        response_due_at=slip.response_due_at,
        due_at=slip.due_at,
        light=SlipTiming.light(slip, now),
        low_confidence=slip.low_confidence,
        confidence=slip.confidence,
        queue_reason=slip.queue_reason,
        explanation=slip.explanation,
        advice=slip.advice,
        result=slip.result,
        satisfaction=slip.satisfaction,
        solved=slip.solved,
        reopen_count=slip.reopen_count,
        urge_count=slip.urge_count or 0,
        supervised=slip.supervised,
        pending_extension=pending if staff else None,
        cluster_id=slip.cluster_id,
        merged_into=merged_into,
        version=slip.version,
        created_at=slip.created_at,
        updated_at=slip.updated_at,
        signed_at=slip.signed_at,
        resolved_at=slip.resolved_at,
        closed_at=slip.closed_at,
        last_staff_reply=slip.last_staff_reply,
        last_staff_reply_at=slip.last_staff_reply_at,
        openid=slip.openid if staff or own else None,
        extension=extension_mark(slip.extension_requested_date, slip.extension_reason, marks)
        if staff and marks is not None else None,
        supervision=supervision(marks) if staff and marks is not None else None,
    )


# Events that are not workflow steps (staff only; residents never see them).
EVENT_LABELS = {"resend_notice": "重新发送通知", "merged_survey_expired": "超期未评价",
                "merged_survey_reset": "合并单重办，待重新评价"}


def event_view(e: SlipEvent, workflow: Workflow, actor: Actor, slip: Slip) -> EventView | None:
    """An event as `actor` sees it; residents see only public steps, without staff names."""
    action = workflow.action(e.action)
    label = action.label if action else EVENT_LABELS.get(e.action, e.action)
    to_state = workflow.states.get(e.to_status)
    if actor.kind != "resident":
        return EventView(
            seq=e.seq, action=e.action, action_label=label, actor_kind=e.actor_kind,
            actor_name=e.actor_name, actor_role=e.actor_role,
            actor_department=e.actor_department, at=e.at, from_status=e.from_status,
            to_status=e.to_status, to_status_label=to_state.label if to_state else e.to_status,
            note=e.note, data=dict(e.data or {}), hash=e.hash,
        )
    if action is None or not action.public:
        return None
    if e.actor_kind == "staff":
        name = slip.lead_department_name if e.actor_role == "handler" else "民意交办中心"
    else:
        name = e.actor_name if e.actor_kind == "resident" else "系统"
    data = {"result": e.data["result"]} if e.action == "close" and e.data else {}
    return EventView(
        seq=e.seq, action=e.action, action_label=label, actor_kind=e.actor_kind,
        actor_name=name or "承办单位", actor_role=None, actor_department=None, at=e.at,
        from_status=None, to_status=e.to_status,
        to_status_label=to_state.resident if to_state else e.to_status,
        note=e.note if e.action in ("reply", "withdraw", "survey") else None,
        data=data, hash=e.hash,
    )
