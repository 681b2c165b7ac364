"""SlipService: the one way to create, read and change slips (WAVE2 contract).

Every change is one transaction: the slip row (optimistic version check), its hash-chained
event(s) and the outbox notices they cause are written together or not at all.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from bot.config import Settings
from bot.delivery.resend import NoSuchNotice, NotResendable, requeue
from bot.slips.actor import Actor
from bot.slips.audit import record_event
from bot.slips.engine import SlipEngine
from bot.slips.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    TransitionNotAllowed,
    VersionConflict,
)
from bot.slips.inputs import check_inputs
from bot.slips.intake import classify, new_slip
from bot.slips.listing import count_rows, page_rows
from bot.slips.models import Slip, SlipEvent
from bot.slips.notices import Notices, load_notices
from bot.slips.present import (
    MARK_ACTIONS,
    event_view,
    extension_mark,
    mask_phone,
    slip_view,
    summary,
    supervision,
)
from bot.slips.query import (
    ALL_SEEING,
    filter_conditions,
    light_condition,
    queue_order,
    scope_condition,
    search_terms,
    text_conditions,
)
from bot.slips.similar import OpenSlipCache, cluster_with_similar, earlier_alike, earlier_in
from bot.slips.timing import SlipTiming
from bot.slips.views import (
    ActionSpec,
    EventView,
    MergedSlip,
    MovedAway,
    Page,
    Returned,
    SlipDraft,
    SlipFilter,
    SlipSummary,
    SlipView,
    Workbench,
)
from bot.slips.workflow import Workflow, load_workflow
from bot.storage import Database
from bot.storage.types import INT8_MAX, row_id, storable, utcnow
from knowledge.deadlines import Deadlines
from knowledge.pack import KnowledgePack, load_pack

log = logging.getLogger(__name__)

Ref = int | str

RESEND_ACTION = "resend_notice"  # the audit event of a notice sent again (not a workflow step)
RESEND_ROLES = ("handler", "dispatcher", "supervisor", "admin")
# a department's slips being worked on (已签收, 办理中): the handler's own list, and the
# states an extension is asked for and decided in (knowledge/workflow.yaml)
IN_HAND = ("signed", "in_progress")
MERGED_SHOWN = 100  # duplicates listed on a kept slip's page (a hot issue may have more)


class SlipService:
    def __init__(
        self,
        db: Database,
        *,
        triage: Any | None = None,
        settings: Settings,
        clock: Callable[[], datetime] = utcnow,
        pack: KnowledgePack | None = None,
        workflow: Workflow | None = None,
        notices: Notices | None = None,
        open_slips: OpenSlipCache | None = None,
    ) -> None:
        self._db = db
        self._open_slips = open_slips
        self._triage = triage
        self._settings = settings.slips
        self._clock = clock
        pack = pack or getattr(triage, "pack", None) or load_pack()
        notices = notices or load_notices()
        workflow = workflow or load_workflow(notice_kinds=notices.kinds)
        self.timing = SlipTiming(Deadlines(pack.policy))
        self.engine = SlipEngine(workflow, notices, self.timing, {d.code: d for d in pack.departments},
                                 taxonomy=pack.taxonomy,
                                 number_prefix=self._settings.number_prefix)
        self.workflow = workflow
        self._similar_min_score = pack.policy.similar_min_score
        self._similar_topic_floor = pack.policy.similar_topic_floor
        self._emergency_names = dict(pack.policy.emergency_lines)

    # -- issuing ------------------------------------------------------------------------------
    async def issue(self, draft: Any) -> SlipView:
        """已受理, then 已派单 to the lead department (or the dispatcher's queue when the
        classification is not confident). Idempotent on draft.idempotency_key."""
        view, _ = await self.issue_noting_earlier(draft)
        return view

    async def issue_noting_earlier(self, draft: Any) -> tuple[SlipView, dict[str, Any] | None]:
        """issue(), and the resident's finished slip this one repeats ({"number",
        "resolved_at", "score"}, see bot/slips/similar.earlier_alike), so that the chat can
        tell them it was noticed; None when there is none, or the slip was issued before (a
        retry)."""
        draft = SlipDraft.from_any(draft)
        if not (draft.description or "").strip():
            raise InvalidInput("description", "请描述您遇到的问题")
        if not draft.idempotency_key:
            raise InvalidInput("idempotency_key", "missing")
        existing = await self._by_key(draft.idempotency_key)
        if existing is not None:
            return existing, None
        now = self._clock()
        triage = draft.triage or classify(self._triage, draft, now)
        resident = Actor.resident(draft.openid)
        try:
            async with self._db.session() as session:
                slip = await new_slip(session, draft, triage, now, self.timing,
                                      self._settings.number_prefix)
                linked = await cluster_with_similar(
                    session, slip, triage, min_score=self._similar_min_score,
                    open_states=self.workflow.open_states,
                )
                linked.update(await self._earlier_alike(session, slip, now))
                accept = self.workflow.actions["accept"]
                await self.engine.apply(session, slip, accept, resident, now, quiet_resident=True,
                                        event_data={**_accept_data(draft, triage), **linked})
                view = await self._view(session, slip, Actor.system("triage"), now)
        except IntegrityError:
            existing = await self._by_key(draft.idempotency_key)  # a concurrent twin won
            if existing is None:
                raise
            return existing, None
        if self._open_slips is not None and view.is_open:
            self._open_slips.add(view.number, view.description, view.area, view.created_at)
        return view, earlier_in(linked)

    async def _earlier_alike(self, session: AsyncSession, slip: Slip, now: datetime
                             ) -> dict[str, Any]:
        """The resident's finished slip this one repeats (bot/slips/similar.py), for the
        accept event; {} without a triage to compare with, or when comparing fails (the
        classifier could not load): that must not cost the complaint."""
        compared = getattr(self._triage, "compared", None)
        if compared is None:
            return {}
        try:
            return await earlier_alike(session, slip, compared, now=now,
                                       min_score=self._similar_min_score,
                                       topic_floor=self._similar_topic_floor)
        except Exception:  # noqa: BLE001
            log.exception("could not look for the resident's earlier slip; issued without")
            return {}

    async def _by_key(self, key: str) -> SlipView | None:
        async with self._db.session() as session:
            slip = (
                await session.execute(select(Slip).where(Slip.idempotency_key == key))
            ).scalar_one_or_none()
            if slip is None:
                return None
            return await self._view(session, slip, Actor.system("triage"), self._clock())

    # -- reading ------------------------------------------------------------------------------
    async def get(self, ref: Ref, actor: Actor) -> SlipView:
        async with self._db.session() as session:
            slip = await self._visible(session, ref, actor)
            return await self._view(session, slip, actor, self._clock())

    async def list(
        self, actor: Actor, filters: SlipFilter | None = None, *, page: int = 1,
        per_page: int = 20,
    ) -> Page[SlipSummary]:
        filters = filters or SlipFilter()
        page, per_page = max(1, page), min(max(1, per_page), 200)
        now = self._clock()
        dialect = self._db.dialect
        base = [scope_condition(actor, dialect), *filter_conditions(
            filters, self.workflow, now=now, tz=self.timing.calendar.tz, dialect=dialect
        )]
        terms = search_terms(filters.q)
        offset = (page - 1) * per_page
        async with self._read() as session:
            rows = await page_rows(session, base, terms, dialect=dialect, offset=offset,
                                   limit=per_page, window=self._settings.search_window,
                                   order=queue_order() if filters.queue else None)
            if 0 < len(rows) < per_page or (page == 1 and not rows):
                total, exact = offset + len(rows), True
            else:
                total, exact = await self._count(
                    session, [*base, *text_conditions(terms, dialect)]
                )
            items = await self._summaries(session, rows, now)
        return Page(items=items, page=page, per_page=per_page, total=total, total_exact=exact)

    async def _count(
        self, session: AsyncSession, conds: list[ColumnElement[bool]]
    ) -> tuple[int, bool]:
        return await count_rows(session, conds, self._settings.count_limit)

    async def timeline(self, ref: Ref, actor: Actor) -> list[EventView]:
        async with self._db.session() as session:
            slip = await self._visible(session, ref, actor)
            events = (await session.execute(
                select(SlipEvent).where(SlipEvent.slip_id == slip.id).order_by(SlipEvent.seq)
            )).scalars()
            views = (event_view(e, self.workflow, actor, slip) for e in events)
            return [v for v in views if v is not None]

    async def actions_for(self, ref: Ref, actor: Actor) -> list[ActionSpec]:
        """What this actor may do to this slip now, in workflow order."""
        now = self._clock()
        async with self._db.session() as session:
            slip = await self._visible(session, ref, actor)
            kept = await self.engine.kept_of(session, slip)
        specs = []
        for action in self.workflow.actions.values():
            try:
                self.engine.check(slip, action, actor, now, kept=kept)
            except (Forbidden, TransitionNotAllowed):
                continue
            fields = tuple(
                replace(f, required=True) if f.required_of(actor.role_key) else f
                for f in action.fields
            )
            specs.append(ActionSpec(action.code, action.label, fields, action.confirm))
        return specs

    async def moved_away(self, ref: Ref, actor: Actor) -> MovedAway | None:
        """For a handler who may no longer see a slip because it moved away from their
        department: transferred (改派) from it as lead, dropped as a co-handler, or sent back
        (退单) and perhaps dispatched elsewhere. None when that is not why (never had it, no
        such slip, or still visible)."""
        if actor.role_key != "handler" or not actor.department:
            return None
        async with self._db.session() as session:
            try:
                slip = await self._load(session, ref)
            except NotFound:
                return None
            if self.engine.visible(slip, actor):
                return None
            assignments = (await session.execute(
                select(SlipEvent.data).where(
                    SlipEvent.slip_id == slip.id,
                    SlipEvent.action.in_(("dispatch", "transfer", "return")),
                )
            )).scalars()
            if not any(actor.department in _departments_of(d or {}) for d in assignments):
                return None
            return MovedAway(lead=slip.lead_department_name or slip.lead_department)

    async def merged_in(self, ref: Ref, actor: Actor, limit: int = MERGED_SHOWN
                        ) -> tuple[list[MergedSlip], int]:
        """The duplicates merged into this slip, oldest first (at most `limit`), and how many
        there are: staff only (a resident never sees another's slip). A staff member who may
        not open a duplicate itself (a handler: a duplicate merged from the queue has no
        department) sees its description, but its phone masked, as on a resident's page."""
        if actor.kind not in ("staff", "system"):
            return [], 0
        async with self._db.session() as session:
            kept = await self._visible(session, ref, actor)
            rows = (await session.execute(
                select(Slip).where(Slip.merged_into_id == kept.id, Slip.status == "merged")
                .order_by(Slip.created_at, Slip.id).limit(limit)
            )).scalars().all()
            total = len(rows)
            if total == limit:
                total = (await session.execute(
                    select(func.count()).select_from(Slip)
                    .where(Slip.merged_into_id == kept.id, Slip.status == "merged")
                )).scalar_one()
        out = []
        for s in rows:
            openable = self.engine.visible(s, actor)
            out.append(MergedSlip(
                number=s.number, description=s.description,
                phone=s.phone if openable else mask_phone(s.phone), created_at=s.created_at,
                satisfaction=s.satisfaction, openable=openable,
            ))
        return out, total

    async def for_resident(self, openid: str, limit: int = 5) -> list[SlipView]:
        actor = Actor.resident(openid)
        now = self._clock()
        async with self._db.session() as session:
            slips = (await session.execute(
                select(Slip).where(Slip.openid == openid)
                .order_by(Slip.created_at.desc(), Slip.id.desc()).limit(limit)
            )).scalars().all()
            return [await self._view(session, s, actor, now) for s in slips]

    async def newest_of(self, openid: str, statuses: tuple[str, ...]) -> SlipView | None:
        """The resident's newest slip in one of `statuses` (for follow-ups and surveys)."""
        async with self._db.session() as session:
            slip = (await session.execute(
                select(Slip).where(Slip.openid == openid, Slip.status.in_(statuses))
                .order_by(Slip.created_at.desc(), Slip.id.desc()).limit(1)
            )).scalar_one_or_none()
            if slip is None:
                return None
            return await self._view(session, slip, Actor.resident(openid), self._clock())

    async def workbench(self, actor: Actor) -> Workbench:
        now = self._clock()
        scope = scope_condition(actor, self._db.dialect)
        open_ = Slip.status.in_(self.workflow.open_states)
        lead_only = (Slip.lead_department == actor.department
                     if actor.role_key == "handler" else scope)
        sees_queue = actor.role in ALL_SEEING or actor.kind == "system"
        buckets: dict[str, tuple[ColumnElement[bool], Any] | None] = {
            "to_sign": (and_(lead_only, Slip.status == "dispatched"), Slip.response_due_at),
            # a handler's own work: what their department signed, nearest deadline first
            "in_progress": (and_(scope, Slip.status.in_(IN_HAND)), Slip.due_at)
            if actor.role_key == "handler" else None,
            "due_soon": (and_(scope, light_condition("yellow", now)), Slip.alert_red_at),
            "overdue": (and_(scope, light_condition("red", now)), Slip.alert_red_at),
            "queue": (and_(Slip.status == "accepted", Slip.lead_department.is_(None)),
                      queue_order()) if sees_queue else None,
            "extension_requests": (and_(lead_only, open_,
                                        Slip.extension_requested_date.is_not(None)), Slip.due_at),
        }
        limit = self._settings.workbench_limit
        lists: dict[str, list[SlipSummary]] = {}
        counts: dict[str, int] = {}
        async with self._read() as session:
            for name, bucket in buckets.items():
                if bucket is None:
                    lists[name], counts[name] = [], 0
                    continue
                cond, order = bucket
                orders = order if isinstance(order, tuple) else (order, Slip.id)
                rows = (await session.execute(
                    select(Slip).where(cond).order_by(*orders).limit(limit)
                )).scalars().all()
                lists[name] = await self._summaries(session, rows, now)
                counts[name] = (len(rows) if len(rows) < limit
                                else (await self._count(session, [cond]))[0])
        return Workbench(counts=counts, **lists)

    # -- changing -----------------------------------------------------------------------------
    async def act(
        self,
        ref: Ref,
        action: str,
        actor: Actor,
        *,
        note: str | None = None,
        data: dict[str, Any] | None = None,
        expected_version: int | None = None,
        quiet_resident: bool = False,
    ) -> SlipView:
        """Take `action` on the slip. quiet_resident: the resident is answered by the caller
        (the chat's reply to their own survey answer), so the resident notices of this action
        and its follow-ons are not pushed as well; staff notices still are."""
        spec = self.workflow.action(action)
        if spec is None:
            raise InvalidInput("action", f"没有“{action}”这个操作")
        if data is not None and not isinstance(data, dict):
            raise InvalidInput("data", "must be a mapping of field names to values")
        # Without an expected version the caller means "the slip as it is now": a change
        # that slipped in between our read and our write is read again and checked again.
        attempts = 1 if expected_version is not None else 3
        for attempt in range(1, attempts + 1):
            now = self._clock()
            try:
                async with self._db.session() as session:
                    slip = await self._visible(session, ref, actor)
                    self.engine.check(slip, spec, actor, now,
                                      kept=await self.engine.kept_of(session, slip))
                    if expected_version is not None and slip.version != expected_version:
                        raise VersionConflict(ref, expected_version, slip.version)
                    clean_note, values = check_inputs(spec, self.workflow, note, data or {},
                                                     role=actor.role_key)
                    await self.engine.apply(session, slip, spec, actor, now, note=clean_note,
                                            values=values, quiet_resident=quiet_resident)
                    if spec.code in ("followup", "urge") and clean_note:
                        await self._escalate_if_danger(session, slip, clean_note, now)
                    return await self._view(session, slip, actor, now)
            except StaleDataError:
                if attempt == attempts:
                    raise VersionConflict(ref, expected_version) from None
        raise AssertionError("unreachable")

    async def _escalate_if_danger(self, session: AsyncSession, slip: Slip, text: str,
                                  now: datetime) -> None:
        """A follow-up ("咋个还没得人来 我爸还在地上") that the triage's urgency rules call 特急
        raises a slip that is not: action escalate, in the follow-up's transaction."""
        assess = getattr(self._triage, "urgency_of", None)
        spec = self.workflow.action("escalate")
        if assess is None or spec is None or slip.urgency == "特急":
            return
        if slip.status not in spec.sources:
            return
        try:
            found = assess(text)
        except Exception:  # an urgency fault must not lose the follow-up itself
            log.exception("urgency of a follow-up failed; the slip keeps its urgency")
            return
        if found.level != "特急":
            return
        names = self._emergency_names
        values = {
            "why": found.why,
            "findings": [f.to_dict() for f in found.findings if f.level == "特急"],
            "lines": list(found.calls),
            "lines_text": "、".join(names.get(c, c) for c in found.calls) or "110、119、120",
            "advice": "".join(found.guidance),
        }
        await self.engine.apply(session, slip, spec, Actor.system("triage"), now, note=text,
                                values=values)

    # -- notices that did not arrive ----------------------------------------------------------
    def may_resend(self, actor: Actor) -> bool:
        """Whether `actor`'s role may send a failed notice again (workflow rule
        `resend_roles`); which slips they may do it on is their usual scope."""
        roles = self.workflow.rule("resend_roles", RESEND_ROLES)
        return actor.kind == "staff" and actor.role_key in roles

    async def resend_notice(
        self,
        ref: Ref,
        notice_id: int,
        actor: Actor,
        *,
        expected_version: int | None = None,
    ) -> SlipView:
        """Queue a failed or undeliverable notice of the slip again (bot/delivery/resend.py
        says what that means), recorded as a `resend_notice` event in the slip's audit
        chain in the same transaction."""
        if not self.may_resend(actor):
            raise Forbidden(f"{actor.role_key or actor.kind} may not resend notices")
        now = self._clock()
        try:
            async with self._db.session() as session:
                slip = await self._visible(session, ref, actor)
                if expected_version is not None and slip.version != expected_version:
                    raise VersionConflict(ref, expected_version, slip.version)
                try:
                    done = await requeue(session, notice_id, slip_id=slip.id, now=now)
                except NoSuchNotice:
                    raise NotFound(f"{ref}/notices/{notice_id}") from None
                except NotResendable:
                    raise TransitionNotAllowed(
                        RESEND_ACTION, slip.status,
                        "这条通知已经发出，或者已经在重新发送了，不需要再发。",
                    ) from None
                data = {"notice": done.id, "kind": done.kind,
                        "previous_status": done.previous_status}
                if done.previous_error:
                    data["previous_error"] = done.previous_error[:300]
                slip.updated_at = now
                session.add(record_event(slip, action=RESEND_ACTION, actor=actor, at=now,
                                         from_status=slip.status, data=data))
                await session.flush()
                return await self._view(session, slip, actor, now)
        except StaleDataError:
            raise VersionConflict(ref, expected_version) from None

    # -- helpers ------------------------------------------------------------------------------
    async def _summaries(
        self, session: AsyncSession, rows: Sequence[Slip], now: datetime
    ) -> list[SlipSummary]:
        """List rows, with why a slip is back on someone's desk: the latest 退单 (department
        and reason) of a slip sent back to the queue, the latest 重办 reason of a reopened
        slip still open; and for a slip being worked on, where its extension (延期) stands and
        its 督办; for an open slip, the resident's earlier slip it repeats (此前反映, from its
        accept event). One query for the page, only when it holds such slips."""
        open_states = self.workflow.open_states
        wanted = {s.id: "return" if s.queue_reason == "returned" else "reopen" for s in rows
                  if s.queue_reason == "returned"
                  or (s.reopen_count and s.status in open_states)}
        marked = {s.id for s in rows if s.status in open_states
                  and (s.status in IN_HAND or s.supervised)}
        ids = wanted.keys() | marked | {s.id for s in rows if s.status in open_states}
        history: dict[int, list[SlipEvent]] = {}
        earlier: dict[int, str] = {}
        if ids:
            events = (await session.execute(
                select(SlipEvent).where(
                    SlipEvent.slip_id.in_(list(ids)),
                    or_(SlipEvent.action.in_(("return", *MARK_ACTIONS)),
                        and_(SlipEvent.seq == 1, SlipEvent.action == "accept")))
                .order_by(SlipEvent.slip_id, SlipEvent.seq)
            )).scalars()
            for e in events:
                if e.action != "accept":
                    history.setdefault(e.slip_id, []).append(e)
                elif (found := earlier_in(e.data)) is not None:
                    earlier[e.slip_id] = found["number"]
        out = []
        for s in rows:
            events = history.get(s.id, [])
            latest = next((e for e in reversed(events) if e.action == wanted.get(s.id)), None)
            returned = reopen_reason = None
            if latest is not None and latest.action == "return":
                code = (latest.data or {}).get("department")
                dept = self.engine.departments.get(code or "")
                returned = Returned(dept.name if dept else code, latest.note)
            elif latest is not None:
                reopen_reason = latest.note
            extension = supervised = None
            if s.id in marked:
                extension = extension_mark(s.extension_requested_date, s.extension_reason,
                                           events)
                supervised = supervision(events) if s.supervised else None
            out.append(summary(s, self.workflow, now, returned=returned,
                               reopen_reason=reopen_reason, extension=extension,
                               supervised=supervised, earlier=earlier.get(s.id)))
        return out

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[AsyncSession]:
        """A session for list queries. On PostgreSQL every execution is planned for its own
        values: the driver prepares statements, and after five runs PostgreSQL may switch to a
        generic plan that ignores how skewed the values are (measured: a department + status +
        urgency list went from 40-110 ms to 480-720 ms on the sixth run at a million slips)."""
        async with self._db.session() as session:
            if self._db.dialect == "postgresql":
                await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
            yield session

    async def _load(self, session: AsyncSession, ref: Ref) -> Slip:
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
            slip_id = row_id(ref, INT8_MAX)
            if slip_id is None:  # "²", or past BIGINT: no such slip
                raise NotFound(ref)
            query = select(Slip).where(Slip.id == slip_id)
        elif isinstance(ref, str) and ref.strip() and len(ref) <= 64 and storable(ref):
            query = select(Slip).where(Slip.number == ref.strip().upper())
        else:
            raise NotFound(ref)
        slip = (await session.execute(query)).scalar_one_or_none()
        if slip is None:
            raise NotFound(ref)
        return slip

    async def _visible(self, session: AsyncSession, ref: Ref, actor: Actor) -> Slip:
        slip = await self._load(session, ref)
        if not self.engine.visible(slip, actor):
            raise Forbidden(f"slip {ref!r} is outside the actor's scope")
        return slip

    async def _view(self, session: AsyncSession, slip: Slip, actor: Actor, now: datetime
                    ) -> SlipView:
        merged_into = None
        if slip.merged_into_id is not None:
            merged_into = (await session.execute(
                select(Slip.number).where(Slip.id == slip.merged_into_id)
            )).scalar_one_or_none()
        marks = None
        if actor.kind in ("staff", "system") and self.workflow.state(slip.status).is_open:
            marks = []
            # an extension is asked for and decided while the slip is in hand, an approved
            # one leaves extension_days, a 督办 supervise_count: a slip with none of these
            # (a fresh one, as issued) needs no query
            if slip.status in IN_HAND or slip.supervise_count or slip.extension_days:
                marks = list((await session.execute(
                    select(SlipEvent).where(SlipEvent.slip_id == slip.id,
                                            SlipEvent.action.in_(MARK_ACTIONS))
                    .order_by(SlipEvent.seq)
                )).scalars())
        return slip_view(slip, self.workflow, now, actor, merged_into, marks)


def _departments_of(data: dict[str, Any]) -> set[str]:
    """The departments an assignment event names: the lead it went to (or that sent it back),
    its co-handlers, and the lead it was transferred from."""
    codes = {data.get("department"), data.get("from_department"),
             *(data.get("co_departments") or [])}
    return {c for c in codes if isinstance(c, str) and c}


def _accept_data(draft: SlipDraft, triage: dict[str, Any]) -> dict[str, Any]:
    """What the machine decided at intake, kept in the first event (责任倒查)."""
    return {
        "channel": "wechat",
        "idempotency_key": draft.idempotency_key,
        "category": list(triage.get("category") or []),
        "urgency": triage.get("urgency"),
        "complexity": triage.get("complexity"),
        "request_type": triage.get("request_type"),
        "departments": [d.get("code") for d in triage.get("departments") or []],
        "confidence": triage.get("confidence"),
        "low_confidence": bool(triage.get("low_confidence")),
    }
