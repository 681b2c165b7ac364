"""交办单: the list with filters and search, the detail page, and taking actions."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bot.media.fetcher import copies_of
from bot.slips.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    TransitionNotAllowed,
    VersionConflict,
)
from bot.slips.similar import earlier_in
from bot.staff import StaffMember
from handlers import keys as app_keys
from handlers.console import keys
from handlers.console.actions import confirm_errors, form_input, refill, spec_of
from handlers.console.chat import with_surveys
from handlers.console.deliveries import deliveries_of
from handlers.console.filters import parse_list_query
from handlers.console.render import error_page, render

log = logging.getLogger(__name__)

routes = web.RouteTableDef()

CONFLICT = "这张交办单刚刚被别人改过。下面是最新内容，请确认后再操作。"


def member_of(request: web.Request) -> StaffMember:
    member = request[keys.MEMBER]
    if member is None:
        raise web.HTTPForbidden()
    return member


def page_links(values: dict[str, str], page: int, pages: int) -> list[tuple[str, str, bool]]:
    """(label, href, current) for a compact pager: first, a window around `page`, last."""
    shown = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
    links = []
    for number in shown:
        query = urlencode({**values, "page": number})
        links.append((str(number), f"?{query}", number == page))
    return links


async def _list_page(
    request: web.Request, *, template: str, nav: str, title: str, queue: bool = False
) -> web.Response:
    member = member_of(request)
    catalogue = request.config_dict[keys.CATALOGUE]
    settings = request.config_dict[app_keys.SETTINGS]
    asked = parse_list_query(
        request.query,
        statuses=catalogue.statuses,
        default_per_page=settings.console.page_size,
    )
    filters = asked.filters
    if queue:
        filters = replace(filters, queue=True)
    page = await request.config_dict[keys.SLIPS].list(
        member.actor(), filters, page=asked.page, per_page=asked.per_page
    )
    values = asked.values
    return render(
        request,
        template,
        {
            "nav": nav,
            "title": title,
            "page": page,
            "values": values,
            "errors": asked.errors,
            "links": page_links(values, page.page, page.pages),
            "all_departments": member.role != "handler",
        },
        status=400 if asked.errors else 200,
    )


@routes.get("/slips")
async def slip_list(request: web.Request) -> web.Response:
    return await _list_page(request, template="slips.html", nav="slips", title="交办单")


@routes.get("/queue")
async def dispatch_queue(request: web.Request) -> web.Response:
    if not member_of(request).sees_queue:
        raise web.HTTPForbidden()
    return await _list_page(
        request, template="queue.html", nav="queue", title="派单队列", queue=True
    )


@routes.get("/workbench")
async def workbench(request: web.Request) -> web.Response:
    member = member_of(request)
    slips = request.config_dict[keys.SLIPS]
    bench = await slips.workbench(member.actor())
    return render(
        request, "workbench.html", {
            "nav": "workbench", "title": "工作台", "bench": bench,
            "done": _handed_on(slips.workflow, request.query),
        }
    )


def _handed_on(workflow: Any, query: Any) -> str | None:
    """The confirmation shown on the workbench after an action that took the slip off the
    member's desk (a handler's 退单): the slip page is no longer theirs to see."""
    action = workflow.action(str(query.get("done", "")))
    number = str(query.get("number", ""))
    if action is None or not number.isalnum() or len(number) > 32:
        return None
    if action.code == "return":
        return f"交办单 {number} 已退回派单员重新派单，不在您的列表中了。"
    return f"交办单 {number} 已{action.label}，不在您的列表中了。"


async def _detail(
    request: web.Request,
    number: str,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    open_action: str | None = None,
    typed: dict[str, Any] | None = None,
    message: str | None = None,
) -> web.Response:
    member = member_of(request)
    actor = member.actor()
    slips = request.config_dict[keys.SLIPS]
    try:
        view = await slips.get(number, actor)
    except NotFound:
        raise web.HTTPNotFound() from None
    except Forbidden:
        log.warning("console: %s may not open slip %s", member.username, number)
        return await _not_yours(request, number)
    timeline = await slips.timeline(view.id, actor)
    actions = await slips.actions_for(view.id, actor)
    transcript = (
        await request.config_dict[app_keys.MESSAGE_LOG].transcript(view.openid)
        if view.openid
        else []
    )
    # survey answers as recorded, with the resident's reason, beside the message that gave them
    transcript, survey_notes = with_surveys(transcript, timeline)
    deliveries = await deliveries_of(request.config_dict[app_keys.DATABASE], view.id)
    copies = await copies_of(request.config_dict[app_keys.DATABASE],
                             [str(m.get("media_id") or "") for m in view.media])
    # 合并进来的交办单: the residents merged into this slip, their words and phones
    merged_in, merged_total = await slips.merged_in(view.id, actor)
    done = request.query.get("done")
    return render(
        request,
        "slip.html",
        {
            "nav": "slips",
            "title": f"交办单 {view.number}",
            "slip": view,
            "timeline": timeline,
            "actions": actions,
            "transcript": transcript,
            "survey_notes": survey_notes,
            "survey_reason": _latest_survey_reason(timeline, view.satisfaction),
            # the same resident reported this lately and it was done: the problem came back
            "earlier": _earlier(timeline),
            # where an extension stands (waiting, approved to a date, refused and why) and the
            # latest 督办 opinion, while the slip is being handled (as the API gives them)
            "extension": view.extension,
            "supervision": view.supervision,
            # a merged slip's 满意度评价 waits for the slip it was merged into to be finished
            "survey_waits_for": _survey_waits_for(view, actions, slips.workflow, actor),
            "deliveries": deliveries,
            "errors": errors or {},
            "open_action": open_action,
            "typed": typed or {},
            "message": message,
            "done": spec_label(actions, timeline, done),
            # 派单 offers the triage's lead, to confirm or change (never the dispatch desk)
            "suggested_lead": _suggested_lead(view, timeline, request.config_dict[keys.CATALOGUE]),
            "may_resend": slips.may_resend(actor),
            # the triage's own words lead; the structure behind them is there to check
            "explanation_detail": _explanation_detail(view.explanation),
            # the browser stops typing where the server would refuse (bot.slips.inputs)
            "max_lengths": {
                "note": slips.workflow.max_note_length,
                "result": slips.workflow.max_result_length,
            },
            "media_available": request.config_dict[keys.MEDIA] is not None,
            "media_index": {m.get("media_id"): i for i, m in enumerate(view.media)},
            # media id → stored | pending | fetching | expired | failed (no entry: no copy)
            "media_state": {media_id: c.status for media_id, c in copies.items()},
            "merged_in": merged_in,
            "merged_total": merged_total,
        },
        status=status,
    )


async def _not_yours(request: web.Request, number: str) -> web.Response:
    """A slip this member may not see: said plainly when it moved away from their department
    (transferred, a co-handler dropped, sent back) — a page left open, a link from the
    workbench —, else the usual refusal."""
    moved = await request.config_dict[keys.SLIPS].moved_away(number, member_of(request).actor())
    if moved is None:
        raise web.HTTPForbidden()
    if moved.lead is None:
        return error_page(
            request, 403, "这张交办单已退回",
            f"交办单 {number} 已退回派单员重新派单，不在您的列表中了，您不需要再处理。",
        )
    return error_page(
        request, 403, "这张交办单已改派",
        f"交办单 {number} 已改派给{moved.lead}办理，不在您的列表中了，您不需要再处理。",
    )


def spec_label(actions: list, timeline: list, done: str | None) -> str | None:
    if not done:
        return None
    for event in reversed(timeline):
        if event.action == done:
            return event.action_label
    spec = spec_of(actions, done)
    return spec.label if spec else None


@routes.get("/slips/{number}")
async def slip_detail(request: web.Request) -> web.Response:
    return await _detail(request, request.match_info["number"])


@routes.post("/slips/{number}/notices/{notice:\\d{1,18}}/resend")
async def notice_resend(request: web.Request) -> web.Response:
    """重新发送: a failed or undeliverable notice goes back into the outbox."""
    member = member_of(request)
    number = request.match_info["number"]
    form = await request.post()
    version = form_input(None, form)[2]
    try:
        view = await request.config_dict[keys.SLIPS].resend_notice(
            number, int(request.match_info["notice"]), member.actor(), expected_version=version
        )
    except NotFound:
        raise web.HTTPNotFound() from None
    except Forbidden:
        log.warning("console: %s may not resend notices of slip %s", member.username, number)
        return await _detail(
            request, number, status=403, message="您没有权限重新发送这张交办单的通知。"
        )
    except VersionConflict:
        return await _detail(request, number, status=409, message=CONFLICT)
    except TransitionNotAllowed as exc:
        return await _detail(request, number, status=409, message=exc.reason)
    log.info("console: %s resent notice %s of slip %s", member.username,
             request.match_info["notice"], view.number)
    raise web.HTTPSeeOther(
        f"/console/slips/{view.number}?{urlencode({'done': 'resend_notice'})}#deliveries"
    )


@routes.post("/slips/{number}/actions/{action}")
async def slip_act(request: web.Request) -> web.Response:
    member = member_of(request)
    actor = member.actor()
    number = request.match_info["number"]
    action = request.match_info["action"]
    slips = request.config_dict[keys.SLIPS]
    form = await request.post()
    try:
        specs = await slips.actions_for(number, actor)
    except NotFound:
        raise web.HTTPNotFound() from None
    except Forbidden:
        log.warning("console: %s may not act on slip %s", member.username, number)
        return await _not_yours(request, number)
    spec = spec_of(specs, action)
    note, data, version = form_input(spec, form)
    unconfirmed = confirm_errors(spec, form, note, data)
    if unconfirmed:
        return await _detail(
            request, number, status=400, errors=unconfirmed, open_action=action,
            typed=refill(form),
        )
    try:
        view = await slips.act(
            number, action, actor, note=note, data=data, expected_version=version
        )
    except NotFound:
        raise web.HTTPNotFound() from None
    except Forbidden:
        log.warning("console: %s may not %s slip %s", member.username, action, number)
        if await slips.moved_away(number, actor):  # moved away between reading and acting
            return await _not_yours(request, number)
        return await _detail(
            request, number, status=403, message="您没有权限对这张交办单进行这个操作。"
        )
    except InvalidInput as exc:
        return await _detail(
            request,
            number,
            status=400,
            errors={exc.field: exc.message},
            open_action=action,
            typed=refill(form),
        )
    except VersionConflict:
        return await _detail(
            request, number, status=409, message=CONFLICT, open_action=action, typed=refill(form)
        )
    except TransitionNotAllowed as exc:
        reason = exc.reason or "这张交办单现在的状态不能进行这个操作。"
        return await _detail(request, number, status=409, message=reason)
    log.info("console: %s did %s on slip %s", member.username, action, view.number)
    if not _still_theirs(view, member):  # 退单: back to the workbench, not to 没有权限
        raise web.HTTPSeeOther(
            f"/console/workbench?{urlencode({'done': action, 'number': view.number})}"
        )
    raise web.HTTPSeeOther(f"/console/slips/{view.number}?{urlencode({'done': action})}")


def _still_theirs(view: Any, member: StaffMember) -> bool:
    """Whether the member may still open the slip after acting on it (a handler sees only
    the slips their department leads or co-handles)."""
    if member.role != "handler":
        return True
    codes = {d.code for d in view.co_departments}
    if view.lead_department is not None:
        codes.add(view.lead_department.code)
    return member.department in codes


def _suggested_lead(view: Any, timeline: list, catalogue: Any) -> str:
    """The lead department the triage named at intake, for a slip waiting to be dispatched
    for the first time ('' when it named none that handles slips; a slip sent back by its
    department is routed afresh)."""
    if view.status != "accepted" or view.queue_reason == "returned" or not timeline:
        return ""
    first = timeline[0]
    codes = first.data.get("departments") if first.action == "accept" else None
    lead = codes[0] if isinstance(codes, list) and codes else ""
    return lead if lead in catalogue.handling_departments else ""


def _survey_waits_for(view: Any, actions: list, workflow: Any, actor: Any) -> str | None:
    """The kept slip's number, when this account records merged residents' verdicts but the
    form is not offered because the kept slip is not finished (办结) yet."""
    survey = workflow.action("survey")
    if (view.status != "merged" or not view.merged_into or survey is None
            or actor.role_key not in survey.roles or spec_of(actions, "survey") is not None):
        return None
    return view.merged_into


def _earlier(timeline: list) -> dict[str, Any] | None:
    """The resident's own slip, finished lately, that this one repeats (bot/slips/similar.py
    earlier_alike, recorded when it was accepted): {"number", "resolved_at"}."""
    # resolved_at is ISO text: the localtime filter reads it
    return next((earlier_in(e.data) for e in timeline if e.action == "accept"), None)


def _latest_survey_reason(timeline: list, verdict: str | None) -> str | None:
    """The reason given with the slip's current verdict (shown beside 满意度)."""
    for event in reversed(timeline):
        if event.action == "survey":
            return event.note if event.data.get("verdict") == verdict else None
    return None


def _explanation_detail(explanation: Any) -> str:
    if not isinstance(explanation, dict):
        return ""
    rest = {k: v for k, v in explanation.items() if k != "summary"}
    return json.dumps(rest, ensure_ascii=False, indent=2, default=str)
