"""The workflow engine: who may do what to a slip, and applying an action inside a transaction
(effect → status → lights → hash-chained event → notices → follow-on actions).

A follow-on (workflow.yaml `then`) is taken on the slip itself or, `target: kept`, on the slip
it was merged into: a merged duplicate's 不满意 reopens the slip handled for it, whichever way
the rating arrives (the chat, the console, the API); when that slip is already archived, the
不满意 becomes a new slip in the dispatcher's queue instead (reissue)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.slips.actor import Actor
from bot.slips.audit import record_event
from bot.slips.effects import EFFECTS, Step, guard
from bot.slips.errors import Forbidden, TransitionNotAllowed
from bot.slips.intake import new_slip
from bot.slips.models import Slip
from bot.slips.notices import Notices
from bot.slips.notify import notice_values, write_notices
from bot.slips.query import ALL_SEEING
from bot.slips.timing import SlipTiming
from bot.slips.views import SlipDraft
from bot.slips.workflow import Action, FollowOn, Workflow
from knowledge.records import Department, Taxonomy


class SlipEngine:
    def __init__(
        self,
        workflow: Workflow,
        notices: Notices,
        timing: SlipTiming,
        departments: dict[str, Department],
        *,
        taxonomy: Taxonomy | None = None,
        number_prefix: str = "JB",
    ) -> None:
        self.workflow = workflow
        self.notices = notices
        self.timing = timing
        self.departments = departments
        self.taxonomy = taxonomy
        self.number_prefix = number_prefix

    # -- who may ------------------------------------------------------------------------------
    @staticmethod
    def parties(slip: Slip) -> set[str]:
        codes = {d["code"] for d in slip.co_departments or []}
        if slip.lead_department:
            codes.add(slip.lead_department)
        return codes

    def visible(self, slip: Slip, actor: Actor) -> bool:
        if actor.kind == "system":
            return True
        if actor.kind == "resident":
            return bool(slip.openid) and slip.openid == actor.id
        if actor.role in ALL_SEEING:
            return True
        if actor.role == "handler" and actor.department:
            return actor.department in self.parties(slip)
        return False

    @staticmethod
    async def kept_of(session: AsyncSession, slip: Slip) -> Slip | None:
        """The slip a merged duplicate went into (None for any other slip)."""
        if slip.status != "merged" or slip.merged_into_id is None:
            return None
        return await session.get(Slip, slip.merged_into_id)

    def check(
        self, slip: Slip, action: Action, actor: Actor, now: datetime, *,
        kept: Slip | None = None,
    ) -> None:
        """Raise Forbidden or TransitionNotAllowed unless `actor` may take `action` now.
        `kept`: for a merged slip, the slip it went into (`kept_of`); its rating waits for
        that slip to be finished."""
        if action.internal:
            raise TransitionNotAllowed(action.code, slip.status, "该操作由系统自动完成")
        if actor.role_key not in action.roles:
            raise Forbidden(f"{actor.role_key or actor.kind} may not {action.code}")
        if actor.role_key == "handler":
            allowed = {slip.lead_department} if action.scope == "lead" else self.parties(slip)
            if not actor.department or actor.department not in allowed:
                raise Forbidden(f"{action.code}: only the lead department's handlers")
        if slip.status not in action.sources:
            state = self.workflow.states[slip.status]
            raise TransitionNotAllowed(
                action.code, slip.status, f"交办单{state.label}，不能{action.label}"
            )
        reason = guard(action.code, slip, now, self.timing, kept=kept)
        if reason:
            raise TransitionNotAllowed(action.code, slip.status, reason)

    # -- doing --------------------------------------------------------------------------------
    async def apply(
        self,
        session: AsyncSession,
        slip: Slip,
        action: Action,
        actor: Actor,
        now: datetime,
        *,
        note: str | None = None,
        values: dict[str, Any] | None = None,
        event_data: dict[str, Any] | None = None,
        quiet_resident: bool = False,
        tell: Slip | None = None,
    ) -> None:
        """Apply an action already checked; the caller's transaction commits it all.
        `tell`: the slip whose resident gets this action's resident notices instead of the
        slip's own (the merged resident whose 不满意 reopened it)."""
        async def issue(draft: SlipDraft, triage: dict[str, Any],
                        accepted: dict[str, Any]) -> Slip:
            return await self.issue(session, draft, triage, actor, now, event_data=accepted)

        step = Step(session, slip, action, actor, now, note, dict(values or {}), self.timing,
                    self.workflow, self.departments, event_data=dict(event_data or {}),
                    taxonomy=self.taxonomy, issue=issue)
        before = slip.status if slip.event_count else None
        effect = EFFECTS.get(action.code)
        if effect is not None:
            await effect(step)
        if action.to and before not in action.stay:
            slip.status = action.to
        self._after_status(slip, before, now)
        event = record_event(slip, action=action.code, actor=actor, at=now, from_status=before,
                             note=note, data=step.event_data)
        session.add(event)
        await session.flush()  # UPDATE slip … WHERE version = :v, then INSERT the event
        values_for_text = notice_values(slip, event, actor, self.workflow, self.timing,
                                        step.notice_values)
        await write_notices(session, slip, event, action.notices, self.notices, values_for_text,
                            quiet_resident=quiet_resident, tell=tell)
        for other, code, data in step.side_events:
            other.updated_at = now
            session.add(record_event(other, action=code, actor=actor, at=now,
                                     from_status=other.status, data=data))
        if step.side_events:
            await session.flush()
        for follow in action.then:
            await self._follow(session, slip, follow, now, note, quiet_resident)

    async def issue(
        self, session: AsyncSession, draft: SlipDraft, triage: dict[str, Any], actor: Actor,
        now: datetime, *, event_data: dict[str, Any] | None = None,
    ) -> Slip:
        """A new slip (已受理, numbered, deadlines started) and its accept event, in the
        caller's transaction; dispatched at once only when the triage is confident."""
        slip = await new_slip(session, draft, triage, now, self.timing, self.number_prefix)
        await self.apply(session, slip, self.workflow.actions["accept"], actor, now,
                         quiet_resident=True, event_data=event_data)
        return slip

    async def _follow(
        self, session: AsyncSession, slip: Slip, follow: FollowOn, now: datetime,
        note: str | None, quiet_resident: bool,
    ) -> None:
        nxt = self.workflow.actions[follow.action]
        if follow.target == "self":
            if slip.status in nxt.sources and await self._holds(session, follow.when, slip, slip):
                await self.apply(session, slip, nxt, _follow_actor(follow.action), now,
                                 note=_follow_note(follow.action, note),
                                 quiet_resident=quiet_resident)
            return
        kept = await self.kept_of(session, slip)
        if kept is None or kept.status not in nxt.sources:
            return  # not merged, or the kept slip was reopened or archived meanwhile
        if await self._holds(session, follow.when, slip, kept):
            # the kept slip's own resident did not ask for it: the merged resident who did is
            # told instead (unless the caller answers them itself, as the chat does a 重办;
            # a new slip made of their 不满意 has a number only this notice tells them)
            await self.apply(session, kept, nxt, _follow_actor(follow.action), now,
                             note=_follow_note(follow.action, note, merged=slip.number),
                             values={"merged": slip.number, "reason": note},
                             quiet_resident=quiet_resident and follow.action != "reissue",
                             tell=slip)

    def _after_status(self, slip: Slip, before: str | None, now: datetime) -> None:
        was_open = before is None or self.workflow.states[before].is_open
        is_open = self.workflow.states[slip.status].is_open
        if was_open and not is_open:
            slip.closed_at = now
        elif is_open and not was_open:
            slip.closed_at = None
        self.timing.refresh_alerts(slip, is_open=is_open)
        slip.updated_at = now

    async def _holds(
        self, session: AsyncSession, condition: str, slip: Slip, target: Slip
    ) -> bool:
        """Whether `condition` holds for a follow-on of an action on `slip` that is taken on
        `target` (the slip itself, or the slip it was merged into)."""
        if condition == "confident":
            # a lead the catalogue lacks, or the dispatch desk itself (兜底), is routed by hand
            dept = self.departments.get(_suggested_lead(slip) or "")
            return (bool(self.workflow.rule("auto_dispatch", True)) and not slip.low_confidence
                    and dept is not None and "dispatch" not in dept.kinds)
        if condition == "has_resident":
            # a slip entered by staff has none of its own; the residents of the duplicates
            # merged into it are still asked how it was handled
            return bool(target.openid) or await _awaits_merged_rating(session, target)
        if condition == "dissatisfied":
            limit = int(self.workflow.rule("reopen_limit", 2))
            return slip.satisfaction == "不满意" and target.reopen_count < limit
        if condition == "unsatisfied":
            # (a resident's own: their dissatisfaction may become a new slip of theirs)
            return slip.satisfaction == "不满意" and bool(slip.openid)
        if condition == "all_rated":
            # a slip with no resident of its own waits only for its merged residents' verdicts
            return not target.openid and not await _awaits_merged_rating(session, target)
        return False


async def _awaits_merged_rating(session: AsyncSession, slip: Slip) -> bool:
    """Whether a resident whose duplicate was merged into `slip` has not rated it yet."""
    found = await session.execute(
        select(Slip.id).where(Slip.merged_into_id == slip.id, Slip.status == "merged",
                              Slip.openid.is_not(None), Slip.satisfaction.is_(None)).limit(1)
    )
    return found.first() is not None


def _suggested_lead(slip: Slip) -> str | None:
    departments = (slip.triage or {}).get("departments") or []
    lead = next((d.get("code") for d in departments if d.get("role") == "主办"), None)
    return lead or (departments[0].get("code") if departments else None)


def _follow_actor(action: str) -> Actor:
    return Actor.system({"dispatch": "triage", "reopen": "survey", "reissue": "survey"}
                        .get(action, "system"))


def _follow_note(action: str, note: str | None, *, merged: str | None = None) -> str | None:
    """The note of a follow-on; `merged`: the number of the merged duplicate whose rating
    caused it (its handler is told whose verdict reopened the slip)."""
    if action in ("reopen", "reissue"):
        who = f"合并办理的交办单 {merged} 的居民" if merged else "居民"
        return f"{who}评价不满意：{note}" if note else f"{who}评价不满意"
    return None
