"""What each action does to a slip beyond its status change (the status, the event and the
notices are handled by the service from workflow.yaml). Each effect validates its inputs
(InvalidInput), checks its rules (TransitionNotAllowed with a reason) and mutates the slip."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.media.enqueue import queue_media
from bot.slips.actor import Actor
from bot.slips.errors import InvalidInput, TransitionNotAllowed
from bot.slips.models import Slip, SlipCluster, SlipDepartment, SlipEvent
from bot.slips.timing import SlipTiming
from bot.slips.views import SlipDraft
from bot.slips.workflow import Action, State, Workflow
from knowledge.records import Department, Taxonomy


@dataclass
class Step:
    """One action being applied: inputs in, event data and notice values out."""

    session: AsyncSession
    slip: Slip
    action: Action
    actor: Actor
    now: datetime
    note: str | None
    values: dict[str, Any]
    timing: SlipTiming
    workflow: Workflow
    departments: dict[str, Department]
    event_data: dict[str, Any] = field(default_factory=dict)
    notice_values: dict[str, Any] = field(default_factory=dict)
    # Other slips touched by this step (merge, link): (slip, action, data) for their own events.
    side_events: list[tuple[Slip, str, dict[str, Any]]] = field(default_factory=list)
    # the category tree (knowledge/data/taxonomy.*), for a category put right by staff
    taxonomy: Taxonomy | None = None
    # makes a new slip (draft, triage, accept event data) with its accept event, in this
    # step's transaction (SlipEngine.issue)
    issue: Callable[[SlipDraft, dict[str, Any], dict[str, Any]], Awaitable[Slip]] | None = None


Effect = Callable[[Step], Awaitable[None]]

# A merged duplicate's resident is asked about the kept slip once it reaches one of these.
SURVEYED_WITH = ("resolved", "awaiting_survey", "rated", "archived")
# A survey that got no answer in time (expire_survey), and the event that says so on a merged
# duplicate whose resident did not answer (it stays 已合并; not a workflow step).
NOT_RATED = "未评价"
MERGED_NOT_RATED = "merged_survey_expired"
# The event on a merged duplicate whose verdict belonged to a round of the kept slip that was
# just reopened: the resident is asked again when the kept slip is finished once more.
MERGED_NEW_ROUND = "merged_survey_reset"
# The guard's reason for a 催办 within the policy's urge_gap_hours of the last one counted (the
# chat adds its words as a 补充 instead: bot/slips/desk.py).
URGED_RECENTLY = "刚催办过，承办单位已经知道"


# -- guards: rules that depend on the slip, checked before inputs (also by actions_for) -------
def guard(
    action: str, slip: Slip, now: datetime, timing: SlipTiming, *, kept: Slip | None = None
) -> str | None:
    """Why `action` cannot be taken now (beyond the from-states), or None. `kept`: the slip a
    merged `slip` went into (its rating waits for that one to be finished)."""
    if action == "return":
        deadline = timing.return_deadline(slip)
        if deadline is not None and now > deadline:
            return (f"退单须在派单后{timing.policy.return_working_days}个工作日内提出"
                    f"（截止 {timing.calendar.local(deadline):%Y-%m-%d %H:%M}），请联系派单员改派")
    if action == "request_extension" and slip.extension_requested_date is not None:
        return "已有延期申请等待审批"
    if action in ("approve_extension", "reject_extension") and slip.extension_requested_date is None:
        return "没有待审批的延期申请"
    if action == "survey" and slip.status == "merged":
        return _kept_not_finished(kept)
    if action == "urge" and slip.urged_at is not None and (
        now - slip.urged_at < timedelta(hours=timing.policy.urge_gap_hours)
    ):
        return URGED_RECENTLY
    return None


def _kept_not_finished(kept: Slip | None) -> str | None:
    """A merged duplicate is rated once the slip it was merged into is finished."""
    if kept is None:
        return "这张交办单已合并，但找不到合并到的交办单"
    if kept.status not in SURVEYED_WITH:
        return f"合并到的交办单 {kept.number} 还没有办结，办结后才能评价"
    return None


# -- helpers -----------------------------------------------------------------------------------
def _department(step: Step, code: Any, field_name: str = "department") -> Department:
    if not isinstance(code, str) or not code:
        raise InvalidInput(field_name, "请选择单位")
    dept = step.departments.get(code)
    if dept is None:
        raise InvalidInput(field_name, f"没有编码为 {code} 的单位")
    return dept


def _handling(step: Step, dept: Department, field_name: str = "department") -> Department:
    """A unit that handles slips: not the dispatch desk itself (区民意交办中心), which would
    take the slip out of the queue with nobody to work it."""
    if "dispatch" in dept.kinds:
        raise InvalidInput(field_name, f"{dept.name}负责派单，不能作为承办单位，请选择具体的承办单位")
    return dept


def _co_departments(step: Step, raw: Any, lead: str) -> list[Department]:
    if raw in (None, ""):
        return []
    if isinstance(raw, str):
        raw = [c for c in raw.replace("，", ",").split(",") if c.strip()]
    if not isinstance(raw, list):
        raise InvalidInput("co_departments", "协办单位应为单位编码列表")
    out: list[Department] = []
    for code in raw:
        code = code.get("code") if isinstance(code, dict) else code
        dept = _handling(step, _department(step, str(code).strip(), "co_departments"),
                         "co_departments")
        if dept.code != lead and dept not in out:
            out.append(dept)
    return out


async def assign(step: Step, lead: Department, co: list[Department]) -> None:
    """Make `lead` (主办) and `co` (协办) the slip's departments, in its row and its scope table."""
    slip = step.slip
    slip.lead_department, slip.lead_department_name = lead.code, lead.name
    slip.co_departments = [{"code": d.code, "name": d.name, "level": d.level} for d in co]
    await step.session.execute(delete(SlipDepartment).where(SlipDepartment.slip_id == slip.id))
    step.session.add(SlipDepartment(slip_id=slip.id, department=lead.code, role="主办"))
    for d in co:
        step.session.add(SlipDepartment(slip_id=slip.id, department=d.code, role="协办"))


async def unassign(step: Step) -> None:
    slip = step.slip
    slip.lead_department = slip.lead_department_name = None
    slip.co_departments = []
    await step.session.execute(delete(SlipDepartment).where(SlipDepartment.slip_id == slip.id))


def _suggested(step: Step) -> tuple[str | None, list[str]]:
    """The triage's lead and co-handler codes."""
    departments = (step.slip.triage or {}).get("departments") or []
    lead = next((d.get("code") for d in departments if d.get("role") == "主办"), None)
    if lead is None and departments:
        lead = departments[0].get("code")
    co = [d.get("code") for d in departments if d.get("code") != lead and d.get("code")]
    return lead, [c for c in co
                  if c in step.departments and "dispatch" not in step.departments[c].kinds]


async def _other_slip(step: Step, number: Any, field_name: str) -> Slip:
    if not isinstance(number, str) or not number.strip():
        raise InvalidInput(field_name, "请填写交办单号")
    other = (
        await step.session.execute(select(Slip).where(Slip.number == number.strip().upper()))
    ).scalar_one_or_none()
    if other is None:
        raise InvalidInput(field_name, f"找不到交办单 {number}")
    if other.id == step.slip.id:
        raise InvalidInput(field_name, "不能选择这张交办单本身")
    return other


async def _cluster(step: Step, a: Slip, b: Slip) -> int:
    cluster_id = b.cluster_id or a.cluster_id
    if cluster_id is None:
        cluster = SlipCluster(label=(b.description or "")[:200], created_at=step.now)
        step.session.add(cluster)
        await step.session.flush()
        cluster_id = cluster.id
    a.cluster_id = b.cluster_id = cluster_id
    return cluster_id


def _recategorise(step: Step, raw: Any, field_name: str = "category") -> None:
    """A category path chosen by staff ("城乡建设/城乡规划") replaces the triage's, and the
    event records both (the accept event keeps what the machine decided)."""
    if raw in (None, ""):
        return
    path = tuple(p.strip() for p in str(raw).replace("›", "/").split("/") if p.strip())
    if step.taxonomy is None or not path or not step.taxonomy.has(path):
        raise InvalidInput(field_name, f"没有“{raw}”这个类别，请从列表中选择")
    slip = step.slip
    before = list(slip.category or [])
    if list(path) == before:
        return
    slip.category, slip.category_top = list(path), path[0]
    step.event_data["category"] = {"from": before, "to": list(path)}


def _date(value: Any, field_name: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidInput(field_name, "日期格式应为 YYYY-MM-DD") from None


# -- effects -----------------------------------------------------------------------------------
async def dispatch(step: Step) -> None:
    """Staff name the lead department themselves (the console offers the triage's suggestion);
    only the system's own dispatch of a confident classification takes the suggestion."""
    code = step.values.get("department")
    suggested, suggested_co = _suggested(step)
    if step.actor.kind == "system":
        code = code or suggested
    lead = _handling(step, _department(step, code))
    raw_co = step.values.get("co_departments")
    co = _co_departments(step, raw_co if raw_co is not None else suggested_co, lead.code)
    await assign(step, lead, co)
    step.slip.dispatched_at = step.now
    step.slip.queue_reason = None
    _recategorise(step, step.values.get("category"))
    # the response clock keeps the limit set at intake (bot/slips/timing.py)
    step.event_data.update(department=lead.code, co_departments=[d.code for d in co])


async def sign(step: Step) -> None:
    step.slip.signed_at = step.now
    contact = (step.values.get("contact") or "").strip()
    if contact:
        step.event_data["contact"] = contact
        step.notice_values["contact"] = f"联系方式：{contact}"


async def reply(step: Step) -> None:
    step.slip.last_staff_reply = step.note
    step.slip.last_staff_reply_at = step.now


async def transfer(step: Step) -> None:
    slip = step.slip
    lead = _handling(step, _department(step, step.values.get("department")))
    if lead.code == slip.lead_department:
        raise InvalidInput("department", "已经由该单位主办，请选择其他单位")
    co = _co_departments(step, step.values.get("co_departments"), lead.code)
    step.event_data.update(from_department=slip.lead_department, department=lead.code,
                           co_departments=[d.code for d in co])
    await assign(step, lead, co)
    slip.dispatched_at, slip.signed_at = step.now, None
    slip.extension_requested_date = slip.extension_reason = None


async def return_(step: Step) -> None:
    slip = step.slip
    step.event_data["department"] = slip.lead_department
    await unassign(step)
    slip.queue_reason = "returned"
    slip.dispatched_at = slip.signed_at = None
    slip.extension_requested_date = slip.extension_reason = None


async def request_extension(step: Step) -> None:
    wanted = _date(step.values.get("due_date"), "due_date")
    days, _due = step.timing.extension(step.slip, wanted)
    step.slip.extension_requested_date = wanted
    step.slip.extension_reason = step.note
    step.event_data.update(due_date=wanted.isoformat(), working_days=days)
    step.notice_values["requested_date"] = wanted.isoformat()


async def approve_extension(step: Step) -> None:
    slip = step.slip
    requested = slip.extension_requested_date
    assert requested is not None  # guarded
    wanted = _date(step.values["due_date"], "due_date") if step.values.get("due_date") else requested
    if wanted > requested:
        raise InvalidInput("due_date", f"批准的日期不能晚于申请的日期（{requested:%Y-%m-%d}）")
    days, due = step.timing.extension(slip, wanted)
    step.event_data.update(due_date=wanted.isoformat(), working_days=days,
                           previous_due_at=slip.due_at.isoformat() if slip.due_at else None)
    # the resident is told why, in the handler's words (the supervisor's 审批意见 is internal)
    step.notice_values["reason"] = _sentence("延期原因", slip.extension_reason)
    slip.due_at = due
    slip.extension_days += days
    slip.extension_requested_date = slip.extension_reason = None


async def reject_extension(step: Step) -> None:
    step.event_data["due_date"] = step.slip.extension_requested_date.isoformat()  # type: ignore[union-attr]
    step.slip.extension_requested_date = step.slip.extension_reason = None


async def supervise(step: Step) -> None:
    slip = step.slip
    slip.supervised, slip.supervised_at = True, step.now
    slip.supervise_count += 1
    step.event_data["overdue"] = bool(slip.alert_red_at and step.now >= slip.alert_red_at)


async def close(step: Step) -> None:
    result = str(step.values.get("result") or "").strip()
    limit = step.workflow.max_result_length
    if len(result) > limit:
        raise InvalidInput("result", f"办理结果不能超过{limit}字")
    step.slip.result = result
    step.slip.resolved_at = step.now
    step.slip.last_staff_reply, step.slip.last_staff_reply_at = result, step.now
    step.event_data["result"] = result
    step.notice_values["result"] = result


# The verdicts a resident gives (a slip's satisfaction may also be 未评价, NOT_RATED).
VERDICTS = ("满意", "基本满意", "不满意")


async def survey(step: Step) -> None:
    if step.slip.status == "merged":
        await _kept_is_finished(step)
    verdict = step.values.get("verdict")
    solved = step.values.get("solved")
    if step.slip.satisfaction in VERDICTS:
        # a change of mind about the verdict of this round (rated, or a merged resident's
        # own): it replaces that answer, in the statistics too (bot/stats counts each
        # survey round once)
        step.event_data["replaces"] = (await step.session.execute(
            select(func.max(SlipEvent.seq)).where(SlipEvent.slip_id == step.slip.id,
                                                  SlipEvent.action == "survey")
        )).scalar()
    step.slip.satisfaction = verdict
    step.slip.solved = solved
    step.event_data.update(verdict=verdict, solved=solved)
    step.notice_values["verdict"] = verdict


async def _kept_is_finished(step: Step) -> None:
    """A merged duplicate is rated once the slip it was merged into is finished; the verdict
    is the duplicate's own resident's (the kept slip's resident answers on the kept slip)."""
    kept = None
    if step.slip.merged_into_id is not None:
        kept = await step.session.get(Slip, step.slip.merged_into_id)
    reason = _kept_not_finished(kept)
    if reason:
        raise TransitionNotAllowed("survey", "merged", reason)
    assert kept is not None
    step.event_data["kept"] = kept.number


async def reopen(step: Step) -> None:
    slip = step.slip
    slip.reopen_count += 1
    step.event_data.update(previous_satisfaction=slip.satisfaction, reopen_count=slip.reopen_count,
                           previous_due_at=slip.due_at.isoformat() if slip.due_at else None)
    slip.satisfaction = slip.solved = None
    slip.resolved_at = slip.signed_at = None
    # The result that was just called unsolved is not "the latest reply" any more (the chat's
    # status said "最新回复：路灯已修复" right after "还是不亮"); the timeline keeps it.
    slip.last_staff_reply = slip.last_staff_reply_at = None
    slip.dispatched_at = step.now
    step.timing.restart_completion(slip, step.now)
    step.event_data["due_at"] = slip.due_at.isoformat() if slip.due_at else None
    # 督办 chases the handling that was just called unsolved: the new round starts without the
    # mark (supervise_count and the events keep the history, shown as 重办前曾督办)
    if slip.supervised:
        step.event_data["supervision_cleared"] = True
    slip.supervised, slip.supervised_at = False, None
    # the urges were about the handling now redone (the events keep them)
    slip.urge_count, slip.urged_at = 0, None
    # The merged residents rated the handling that is now redone: like the kept slip's own
    # resident, they are asked again when it is finished (their earlier verdicts stay in the
    # events, and in the statistics as that round's answers).
    rated = (await step.session.execute(
        select(Slip).where(Slip.merged_into_id == slip.id, Slip.status == "merged",
                           Slip.satisfaction.is_not(None))
    )).scalars().all()
    for merged in rated:
        step.side_events.append((merged, MERGED_NEW_ROUND, {
            "kept": slip.number, "previous_satisfaction": merged.satisfaction}))
        merged.satisfaction = merged.solved = None


# A new slip made of a merged resident's 不满意 about an archived slip waits for a dispatcher.
DISSATISFIED = "dissatisfied"


async def reissue(step: Step) -> None:
    """A merged resident rated the handling of this archived slip 不满意. An archived slip is
    final, so it is not reopened; their dissatisfaction becomes a new slip of theirs in the
    dispatcher's queue (not dispatched on its own: a person checks it first), with their
    reason, their own slip's place and phone, the kept slip's classification and departments
    as the suggestion, in the kept slip's cluster. This slip's event names the new one."""
    kept = step.slip
    merged = (await step.session.execute(
        select(Slip).where(Slip.number == step.values.get("merged"))
    )).scalar_one()
    reason = str(step.values.get("reason") or "").strip()[:1000]
    first = (merged.description or "")[:2000]
    # their reason first: the start of a description is its summary in lists and the chat
    description = (f"{reason}（对交办单 {kept.number} 的办理结果不满意；原反映：{first}）"
                   if reason else
                   f"对交办单 {kept.number} 的办理结果不满意（未说明原因）。原反映：{first}")
    departments = [{"code": kept.lead_department, "name": kept.lead_department_name,
                    "role": "主办", "level": None}] if kept.lead_department else []
    departments += [{**d, "role": "协办"} for d in kept.co_departments or []]
    triage = {
        "category": list(kept.category or []), "request_type": kept.request_type,
        "urgency": kept.urgency, "complexity": kept.complexity,
        "universality": kept.universality, "departments": departments,
        "handling_level": kept.handling_level, "advice": None, "confidence": None,
        "low_confidence": True,
        "explanation": f"居民对已归档的交办单 {kept.number} 的办理结果不满意，"
                       "由派单员核实后派单（建议沿用原承办单位）",
    }
    draft = SlipDraft(
        openid=merged.openid or "", description=description,
        # one new slip per answer (a retry of the same step finds it)
        idempotency_key=f"reissue:{merged.number}:{merged.event_count}",
        location_text=merged.location_text, area=merged.area, lat=merged.lat, lon=merged.lon,
        phone=merged.phone,
    )
    assert step.issue is not None  # set by SlipEngine.apply
    new = await step.issue(draft, triage, {"reissued_from": kept.number,
                                           "merged": merged.number})
    new.queue_reason = DISSATISFIED
    cluster_id = await _cluster(step, new, kept)
    step.event_data.update(merged=merged.number, new=new.number, cluster_id=cluster_id)
    step.notice_values["new_number"] = new.number


async def expire_survey(step: Step) -> None:
    """Nobody answered in time. The slip's own resident is counted as 未评价; a slip without
    one (entered by staff, surveyed only for the duplicates merged into it) was never asked
    itself and keeps no verdict. The merged residents who did not answer are 未评价 on their
    own slips (bot/stats counts them, by department, for this slip's lead department)."""
    slip = step.slip
    if slip.openid:
        slip.satisfaction = NOT_RATED
    else:
        step.event_data["no_resident"] = True
    _merged_not_rated(step, await _unrated_merged(step))


async def _unrated_merged(step: Step) -> list[Slip]:
    """The residents' duplicates merged into this slip that have no verdict yet."""
    return list((await step.session.execute(
        select(Slip).where(Slip.merged_into_id == step.slip.id, Slip.status == "merged",
                           Slip.openid.is_not(None), Slip.satisfaction.is_(None))
        .order_by(Slip.id)
    )).scalars().all())


async def remind_merged_survey(step: Step) -> None:
    """The kept slip's own resident has answered; the merged residents who have not are
    reminded (notice survey_reminder_merged, sent to them only)."""
    unrated = await _unrated_merged(step)
    if not unrated:
        raise TransitionNotAllowed("remind_merged_survey", step.slip.status,
                                   "合并办理的居民都已评价")
    step.event_data["merged_unrated"] = [m.number for m in unrated]


async def expire_merged_survey(step: Step) -> None:
    """Like expire_survey for the merged residents who did not answer, when the kept slip
    itself is already rated or archived (its own resident answered first)."""
    unrated = await _unrated_merged(step)
    if not unrated:
        raise TransitionNotAllowed("expire_merged_survey", step.slip.status,
                                   "合并办理的居民都已评价")
    _merged_not_rated(step, unrated)


def _merged_not_rated(step: Step, unrated: list[Slip]) -> None:
    slip = step.slip
    for merged in unrated:
        merged.satisfaction = NOT_RATED
        step.side_events.append((merged, MERGED_NOT_RATED, {"kept": slip.number}))
    if unrated:
        step.event_data["merged_unrated"] = [m.number for m in unrated]


async def merge(step: Step) -> None:
    slip = step.slip
    kept = await _other_slip(step, step.values.get("into"), "into")
    state = step.workflow.states.get(kept.status)
    if state is None or not state.is_open:
        raise InvalidInput("into", f"交办单 {kept.number} {await _closed_as(step, kept, state)}，"
                           "请选择仍在办理的交办单")
    cluster_id = await _cluster(step, slip, kept)
    slip.merged_into_id = kept.id
    slip.queue_reason = None  # not waiting in anyone's queue any more (the events keep why)
    step.event_data.update(into=kept.number, cluster_id=cluster_id)
    step.notice_values["kept_number"] = kept.number
    step.side_events.append((kept, "merge_in", {"merged": slip.number, "cluster_id": cluster_id}))


async def _closed_as(step: Step, slip: Slip, state: State | None) -> str:
    """How a closed slip is closed, for "交办单 JB… ___": the state labels carry their own 已
    (已办结, 已撤销; it said 已已合并), a merged slip names the one it was merged into."""
    if slip.merged_into_id is not None:
        into = (await step.session.execute(
            select(Slip.number).where(Slip.id == slip.merged_into_id))).scalar_one_or_none()
        if into:
            return f"已合并到交办单 {into}"
    if state is None:
        return "已关闭"
    return state.label if state.label.startswith("已") else f"状态为{state.label}"


async def link(step: Step) -> None:
    other = await _other_slip(step, step.values.get("with"), "with")
    cluster_id = await _cluster(step, step.slip, other)
    step.event_data.update({"with": other.number, "cluster_id": cluster_id})
    step.side_events.append((other, "link", {"with": step.slip.number, "cluster_id": cluster_id}))


async def followup(step: Step) -> None:
    media = step.values.get("media") or []
    if not isinstance(media, list) or not all(
        isinstance(m, dict) and m.get("media_id") and m.get("type") in ("image", "voice", "video")
        for m in media
    ):
        raise InvalidInput("media", "附件格式不正确")
    if not step.note and not media:
        raise InvalidInput("note", "请填写补充内容")
    clean = [{"type": m["type"], "media_id": str(m["media_id"])} for m in media]
    if clean:
        step.slip.media = [*(step.slip.media or []), *clean]
        step.event_data["media"] = clean
        await queue_media(step.session, clean)  # copied before WeChat deletes them
    slip = step.slip
    location = str(step.values.get("location_text") or "")[:200]
    if location and not slip.location_text:
        slip.location_text = location
        slip.street = slip.street or _short(step.values.get("street"))
        slip.community = slip.community or _short(step.values.get("community"))
        step.event_data["location_text"] = location
    phone = str(step.values.get("phone") or "")[:32]
    if phone and not slip.phone:
        slip.phone = phone
        step.event_data["phone_added"] = True  # the number stays out of the audit chain


async def urge(step: Step) -> None:
    """催办: counted on the slip for this round of handling (a 重办 starts the count again)."""
    slip = step.slip
    slip.urge_count = (slip.urge_count or 0) + 1
    slip.urged_at = step.now
    step.event_data["urge_count"] = slip.urge_count
    step.notice_values["urge_count"] = slip.urge_count


async def escalate(step: Step) -> None:
    """A follow-up told of a danger now: the slip becomes 特急. The response limit is the
    policy's for 特急 from now, or the one it had when that is sooner; the completion limit
    stays. The values say why (the rule words) and what the resident is to ring."""
    slip = step.slip
    before = slip.urgency
    plan = step.timing.plan({"urgency": "特急", "complexity": slip.complexity,
                             "request_type": slip.request_type})
    slip.urgency = "特急"
    if plan.response_hours is not None:
        due = step.timing.calendar.add_hours(step.now, plan.response_hours)
        if slip.response_due_at is None or due < slip.response_due_at:
            slip.response_hours, slip.response_working_days = plan.response_hours, None
            slip.response_start_at, slip.response_due_at = step.now, due
    step.event_data.update({
        "urgency_before": before, "urgency": "特急",
        "why": str(step.values.get("why") or ""),
        "findings": list(step.values.get("findings") or []),
        "lines": list(step.values.get("lines") or []),
        "response_due_at": slip.response_due_at.isoformat() if slip.response_due_at else None,
    })
    step.notice_values["emergency_lines"] = str(step.values.get("lines_text") or "110、119、120")
    step.notice_values["emergency_advice"] = str(step.values.get("advice") or "")


async def withdraw(step: Step) -> None:
    """The notices say who withdrew the slip and why, in a sentence of their own."""
    reason = (step.note or "").strip().rstrip("。.!！;；，, ")
    step.notice_values["reason"] = f"撤销原因：{reason}。" if reason else ""
    step.notice_values["withdrawn_by"] = step.actor.name if step.actor.kind == "staff" else "居民"
    step.slip.queue_reason = None  # not waiting in anyone's queue any more (the events keep why)


def _sentence(label: str, text: str | None) -> str:
    """'延期原因：需要协调供电公司。' for a notice, with its own full stop; '' without text."""
    text = (text or "").strip().rstrip("。.!！;；，, ")
    return f"{label}：{text}。" if text else ""


def _short(value: object) -> str | None:
    return str(value)[:64] if value else None


EFFECTS: dict[str, Effect] = {
    "dispatch": dispatch,
    "sign": sign,
    "reply": reply,
    "transfer": transfer,
    "return": return_,
    "request_extension": request_extension,
    "approve_extension": approve_extension,
    "reject_extension": reject_extension,
    "supervise": supervise,
    "close": close,
    "survey": survey,
    "reopen": reopen,
    "reissue": reissue,
    "expire_survey": expire_survey,
    "remind_merged_survey": remind_merged_survey,
    "expire_merged_survey": expire_merged_survey,
    "merge": merge,
    "link": link,
    "followup": followup,
    "urge": urge,
    "escalate": escalate,
    "withdraw": withdraw,
}
