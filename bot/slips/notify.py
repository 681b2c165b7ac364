"""The outbox notices an event causes, written in the event's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import bot.outbox as outbox
from bot.slips.actor import Actor
from bot.slips.models import Slip, SlipEvent
from bot.slips.notices import Notices, NoticeText
from bot.slips.timing import SlipTiming
from bot.slips.workflow import Workflow

SUMMARY_CHARS = 30
# Resident notices of a slip that the residents of the duplicates merged into it get too: the
# result, and the survey (they rate the handling on their own slip, bot/slips/effects.py).
MERGED_HEAR = ("closed", "survey", "survey_reminder")
# Resident notices the residents of the duplicates merged into a slip get in words of their
# own: a 重办 asked for by one resident (or staff) is news to the others, who are told the
# problem is handled again without being told who asked. Sent also when the resident who asked
# is answered by the chat itself (quiet_resident).
MERGED_VARIANT = {"reopened": "reopened_merged"}
# Resident notices for the merged residents only, those who have not rated yet (the slip's own
# resident has: remind_merged_survey).
MERGED_ONLY = ("survey_reminder_merged",)


REOPEN_BY_RESIDENT = "收到您的意见。"
REOPEN_BY_STAFF = "经工作人员复核，您反映的问题还需要再办理。"


def cn_date(moment: datetime | None, timing: SlipTiming) -> str:
    if moment is None:
        return ""
    day = timing.calendar.local(moment)
    return f"{day.year}年{day.month}月{day.day}日"


def notice_values(
    slip: Slip, event: SlipEvent, actor: Actor, workflow: Workflow, timing: SlipTiming,
    extra: dict[str, Any],
) -> dict[str, Any]:
    names = [slip.lead_department_name or ""] + [d["name"] for d in slip.co_departments or []]
    text = slip.description or ""
    values: dict[str, Any] = {
        "number": slip.number,
        "status": workflow.state(slip.status).resident,
        "time": f"{timing.calendar.local(event.at):%Y-%m-%d %H:%M}",
        "summary": text if len(text) <= SUMMARY_CHARS else text[:SUMMARY_CHARS] + "…",
        "lead_department": slip.lead_department_name or "区民意交办中心",
        "departments": "、".join(n for n in names if n) or "区民意交办中心",
        "due_date": cn_date(slip.due_at, timing),
        "urgency": slip.urgency or "",
        "response_due": (f"{timing.calendar.local(slip.response_due_at):%m月%d日 %H:%M}"
                         if slip.response_due_at else ""),
        "handler": actor.name if actor.kind == "staff" else "",
        "note": event.note or "",
        "result": slip.result or "",
        # how staff will get back to the resident: a call needs a phone on the slip; without
        # one they answer in the chat, and nobody is promised to call
        "reach_you": "与您联系" if slip.phone else "在微信里回复您",
        # why a slip is handled again: the resident's own 不满意 (the system reopens it) or a
        # staff member's review (督办/复核), which the resident did not ask for
        "reopen_why": (REOPEN_BY_STAFF if event.action == "reopen" and actor.kind == "staff"
                       else REOPEN_BY_RESIDENT),
    }
    values.update(extra)
    return values


async def write_notices(
    session: AsyncSession, slip: Slip, event: SlipEvent, kinds: tuple[str, ...],
    notices: Notices, values: dict[str, Any], *, quiet_resident: bool = False,
    tell: Slip | None = None,
) -> int:
    """Enqueue the notices `kinds` for this event; returns how many were written.
    Resident notices go to the slip's resident and (MERGED_HEAR) to those of the duplicates
    merged into it, even when the slip has no resident of its own (entered by staff); `tell`:
    to that slip's resident instead, and to nobody else. A MERGED_VARIANT notice goes to
    the merged residents in its own words, whoever else is told. A notice to the lead
    department of a slip that has none goes to the dispatcher's desk."""
    written = 0
    for kind in kinds:
        spec = notices.get(kind).for_urgency(slip.urgency)
        text, template = _rendered(spec, slip, values)
        key = f"{slip.number}:{event.seq}:{kind}"
        if spec.audience == "resident" and kind in MERGED_ONLY:
            written += await _to_merged_residents(session, slip, kind, key, text, template,
                                                  unrated=True)
            continue
        if spec.audience == "resident":
            to = tell if tell is not None else slip
            variant = MERGED_VARIANT.get(kind)
            if variant is not None:
                v_text, v_template = _rendered(
                    notices.get(variant).for_urgency(slip.urgency), slip, values)
                written += await _to_merged_residents(
                    session, slip, variant, f"{slip.number}:{event.seq}:{variant}", v_text,
                    v_template, skip={to.openid})
            if quiet_resident:
                continue
            if to.openid:
                written += await outbox.enqueue(session, outbox.Notice(
                    kind=kind, text=text, idempotency_key=key, openid=to.openid,
                    resident_id=to.resident_id, slip_id=slip.id, audience="resident",
                    template_data=template,
                ))
            if kind in MERGED_HEAR and tell is None:
                written += await _to_merged_residents(session, slip, kind, key, text, template,
                                                      unrated=kind != "closed")
            continue
        to_staff, department = spec.to, None
        if spec.to == "lead":
            department = slip.lead_department
            if department is None:
                # still in the dispatcher's queue: the desk holding it hears what its lead
                # department would (a 催办, a 补充), unless this step tells the desk already
                if any(notices.get(k).to == "dispatch" for k in kinds):
                    continue
                to_staff = "dispatch"
        written += await outbox.enqueue(session, outbox.Notice(
            kind=kind, text=text, idempotency_key=key, slip_id=slip.id, audience="staff",
            template_data={"to": to_staff, "department": department, "number": slip.number},
        ))
    return written


def _rendered(spec: NoticeText, slip: Slip, values: dict[str, Any]
              ) -> tuple[str, dict[str, str]]:
    """A notice's text and template fields: the ready fields (first, keyword1.., remark) plus
    the names the delivery worker's field patterns use ({title}, {number}, {status})."""
    text, template = spec.render(values)
    return text, {"title": template.get("first", ""), "number": slip.number,
                  "status": values.get("status", ""), **template}


async def _to_merged_residents(
    session: AsyncSession, slip: Slip, kind: str, key: str, text: str, template: dict[str, str],
    *, unrated: bool = False, skip: set[str | None] | None = None,
) -> int:
    """The residents whose duplicates were merged into this slip hear its result too, and are
    asked (unrated: only those who have not answered yet) how satisfied they are. `skip`: the
    openids told otherwise (the resident who asked for a 重办)."""
    query = (
        select(Slip.number, Slip.openid, Slip.resident_id)
        .where(Slip.merged_into_id == slip.id, Slip.openid.is_not(None),
               Slip.status == "merged")
        .order_by(Slip.id)
    )
    if unrated:
        query = query.where(Slip.satisfaction.is_(None))
    rows = await session.execute(query)
    written, seen = 0, {slip.openid, *(skip or ())}
    for number, openid, resident_id in rows:
        if openid in seen:
            continue
        seen.add(openid)
        written += await outbox.enqueue(session, outbox.Notice(
            kind=kind, text=text, idempotency_key=f"{key}:{number}", openid=openid,
            resident_id=resident_id, slip_id=slip.id, audience="resident",
            template_data=template,
        ))
    return written
