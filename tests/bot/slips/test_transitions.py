"""Every transition of knowledge/workflow.yaml, allowed and forbidden, table-driven from the
file itself: an edit to the workflow is tested by the same tables."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bot.slips.actor import Actor
from bot.slips.errors import Forbidden, TransitionNotAllowed
from bot.slips.workflow import load_workflow
from tests.bot.slips.conftest import (
    ADMIN,
    CO_HANDLER,
    DISPATCHER,
    HANDLER,
    RESIDENT,
    SUPERVISOR,
    SYSTEM,
    Slips,
    triage,
)

WORKFLOW = load_workflow()
MANUAL = [a for a in WORKFLOW.actions.values() if not a.internal]
ROLE_ACTORS: dict[str, Actor] = {
    "dispatcher": DISPATCHER,
    "handler": HANDLER,  # of the lead department
    "supervisor": SUPERVISOR,
    "admin": ADMIN,
    "resident": RESIDENT,  # the slip's own resident
    "system": SYSTEM,
}


def inputs(code: str, other: str) -> tuple[str | None, dict[str, Any]]:
    """Valid inputs for each action (`other` is a second open slip's number)."""
    return {
        "dispatch": (None, {"department": "D-CGJ"}),
        "reply": ("已安排人员处理", {}),
        "transfer": ("不属本单位职责", {"department": "D-STHJ"}),
        "return": ("非本单位职责", {}),
        "request_extension": ("需要协调施工单位", {"due_date": "2026-12-09"}),
        "reject_extension": ("理由不充分", {}),
        "supervise": ("请抓紧办理", {}),
        "close": (None, {"result": "路灯已修复"}),
        "survey": (None, {"verdict": "满意", "solved": True}),
        "reopen": ("居民反映仍未解决", {}),
        "merge": (None, {"into": other}),
        "link": (None, {"with": other}),
        "followup": ("晚上还是黑的", {}),
        "urge": ("能不能快点", {}),
    }.get(code, (None, {}))


def allowed_actor(roles: frozenset[str]) -> Actor:
    for role in ("handler", "resident", "dispatcher", "supervisor", "admin", "system"):
        if role in roles:
            return ROLE_ACTORS[role]
    raise AssertionError(roles)


PENDING_EXTENSION = {"extension_requested_date": date(2026, 12, 9), "extension_reason": "施工"}


@pytest.mark.parametrize("code", [a.code for a in MANUAL])
async def test_every_allowed_transition(slips: Slips, code: str) -> None:
    action = WORKFLOW.actions[code]
    other = await slips.issue("同一路段另外一盏路灯也不亮")
    for source in sorted(action.sources):
        view = await slips.issue(triage=triage(co=("D-ZJW",)))
        extra = PENDING_EXTENSION if code in ("approve_extension", "reject_extension") else {}
        if code == "survey" and source == "merged":
            # a merged duplicate is rated once the slip it went into is finished
            await slips.force(other.number, "awaiting_survey")
            extra = {"merged_into_id": other.id}
        await slips.force(view.number, source, **extra)
        if code in ("remind_merged_survey", "expire_merged_survey"):
            # taken for the residents merged into the slip who have not rated it yet
            dup = await slips.issue("同一盏路灯不亮", openid="oMergedResident0000000000001")
            await slips.force(dup.number, "merged", merged_into_id=view.id)
        before = len(await slips.events(view.number))
        note, data = inputs(code, other.number)

        after = await slips.service.act(view.number, code, allowed_actor(action.roles),
                                        note=note, data=data)

        expected = source if source in action.stay else action.to or source
        if code == "close":
            expected = "awaiting_survey"  # the survey is asked in the same transaction
        assert after.status == expected, source
        events = await slips.events(view.number)
        assert events[before].action == code
        assert events[before].from_status == source
        assert (events[before].note or None) == note


@pytest.mark.parametrize("code", [a.code for a in WORKFLOW.actions.values()])
async def test_every_action_is_refused_in_every_other_state(slips: Slips, code: str) -> None:
    action = WORKFLOW.actions[code]
    other = await slips.issue("另一件事")
    view = await slips.issue()
    actor = allowed_actor(action.roles)
    note, data = inputs(code, other.number)
    refused = [s for s in WORKFLOW.states if action.internal or s not in action.sources]
    assert refused, code
    before = await slips.events(view.number)
    for state in refused:
        await slips.force(view.number, state, **PENDING_EXTENSION)
        with pytest.raises(TransitionNotAllowed) as exc:
            await slips.service.act(view.number, code, actor, note=note, data=data)
        assert (exc.value.action, exc.value.status) == (code, state)
        assert exc.value.reason  # a sentence staff can read
    assert len(await slips.events(view.number)) == len(before)
    assert (await slips.row(view.number)).status == refused[-1]


@pytest.mark.parametrize("code", [a.code for a in MANUAL])
async def test_every_role_not_allowed_is_forbidden(slips: Slips, code: str) -> None:
    action = WORKFLOW.actions[code]
    other = await slips.issue("另一件事")
    view = await slips.issue()
    await slips.force(view.number, sorted(action.sources)[0], **PENDING_EXTENSION)
    note, data = inputs(code, other.number)
    denied = [role for role in ROLE_ACTORS if role not in action.roles]
    for role in denied:
        with pytest.raises(Forbidden):
            await slips.service.act(view.number, code, ROLE_ACTORS[role], note=note, data=data)
    no_role = Actor(kind="staff", id="99", name="无角色", role=None)
    with pytest.raises(Forbidden):
        await slips.service.act(view.number, code, no_role, note=note, data=data)


@pytest.mark.parametrize("code", [a.code for a in MANUAL if "handler" in a.roles])
async def test_co_handlers_only_act_where_the_workflow_lets_parties_act(
    slips: Slips, code: str
) -> None:
    action = WORKFLOW.actions[code]
    view = await slips.issue(triage=triage(co=("D-ZJW",)))
    await slips.force(view.number, sorted(action.sources)[0], **PENDING_EXTENSION)
    note, data = inputs(code, "")
    if action.scope == "lead":
        with pytest.raises(Forbidden):
            await slips.service.act(view.number, code, CO_HANDLER, note=note, data=data)
    else:
        after = await slips.service.act(view.number, code, CO_HANDLER, note=note, data=data)
        assert after.version > view.version


async def test_internal_steps_cannot_be_called(slips: Slips) -> None:
    view = await slips.issue()
    for code in ("accept", "merge_in"):
        with pytest.raises(TransitionNotAllowed):
            await slips.service.act(view.number, code, ADMIN)


async def test_actions_offered_match_role_state_and_department(slips: Slips) -> None:
    view = await slips.issue(triage=triage(co=("D-ZJW",)))  # dispatched to D-CGJ
    offered = {
        name: [a.code for a in await slips.service.actions_for(view.number, actor)]
        for name, actor in {"handler": HANDLER, "co": CO_HANDLER, "dispatcher": DISPATCHER,
                            "supervisor": SUPERVISOR, "resident": RESIDENT}.items()
    }
    assert offered == {
        "handler": ["sign", "reply", "return"],
        "co": ["reply"],
        "dispatcher": ["reply", "transfer", "withdraw", "merge", "link"],
        "supervisor": ["reply", "transfer", "supervise", "merge", "link"],
        "resident": ["withdraw", "followup", "urge"],
    }
    await slips.service.act(view.number, "sign", HANDLER)
    specs = {a.code: a for a in await slips.service.actions_for(view.number, HANDLER)}
    assert list(specs) == ["start", "reply", "return", "request_extension", "close"]
    assert [(f.name, f.required) for f in specs["close"].fields] == [
        ("result", True), ("note", False)
    ]
