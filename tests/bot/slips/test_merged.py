"""A resident whose slip was merged into another (合并办理) follows the kept slip in the chat:
its number answers, 我的工单 shows its progress, and they are surveyed when it is finished."""

from __future__ import annotations

import pytest

from bot.slips.desk import SlipDeskAdapter
from bot.slips.errors import TransitionNotAllowed
from dialogs import ports
from tests.bot.slips.conftest import (
    DISPATCHER,
    HANDLER,
    OPENID,
    OTHER_RESIDENT,
    RESIDENT,
    SYSTEM,
    Slips,
)

MERGED = OTHER_RESIDENT.id  # s4: their slip is merged into the first resident's


@pytest.fixture
def desk(slips: Slips) -> SlipDeskAdapter:
    return SlipDeskAdapter(slips.service, slips.db, issued=ports.IssuedSlip,
                           status=ports.SlipStatus)


async def _merged(slips: Slips) -> tuple[str, str]:
    kept = await slips.issue("建新北路12号门口的路灯坏了")
    dup = await slips.issue("我家门口建新北路那盏路灯不亮了", openid=MERGED)
    await slips.service.act(dup.number, "merge", DISPATCHER, data={"into": kept.number})
    await slips.service.act(kept.number, "sign", HANDLER)
    await slips.service.act(kept.number, "reply", HANDLER, note="师傅明天上午来换灯")
    return kept.number, dup.number


async def test_the_kept_slips_number_answers_the_merged_resident(
    desk: SlipDeskAdapter, slips: Slips
) -> None:
    kept, _dup = await _merged(slips)
    status = await desk.status(kept, MERGED)
    assert status is not None and status.number == kept
    assert (status.status, status.last_staff_reply, status.is_open) == (
        "办理中", "师傅明天上午来换灯", True)
    assert status.summary == "我家门口建新北路那盏路灯不亮了"  # their words, not the other's
    assert status.due_at is not None
    # nobody else
    assert await desk.status(kept, "oStranger0000000000000001") is None
    # and they may not act on it
    with pytest.raises(LookupError):
        await desk.add_followup(MERGED, kept, "还是不亮", [])


async def test_my_slips_shows_the_kept_slips_progress(desk: SlipDeskAdapter, slips: Slips) -> None:
    kept, dup = await _merged(slips)
    [mine] = await desk.slips_of(MERGED)
    assert mine.number == dup
    assert mine.status == f"已合并到交办单 {kept} 一并办理（该单目前办理中）"
    assert mine.last_staff_reply == "师傅明天上午来换灯" and mine.is_open is True
    assert mine.summary == "我家门口建新北路那盏路灯不亮了"
    assert await desk.status(dup, MERGED) == mine
    # the kept slip's own resident sees it as before
    [own] = await desk.slips_of(OPENID)
    assert (own.number, own.status) == (kept, "办理中")


async def test_the_merged_resident_is_surveyed_and_the_verdict_is_theirs(
    desk: SlipDeskAdapter, slips: Slips
) -> None:
    kept, dup = await _merged(slips)
    assert await desk.awaiting_survey(MERGED) is None  # not finished yet
    with pytest.raises(TransitionNotAllowed) as exc:
        await slips.service.act(dup, "survey", DISPATCHER, data={"verdict": "满意"})
    assert "还没有办结" in (exc.value.reason or "")
    await slips.service.act(kept, "close", HANDLER, data={"result": "已更换灯泡"})
    pushed = [(n.kind, n.openid) for n in await slips.outbox(kept)]
    assert ("closed", MERGED) in pushed and ("survey", MERGED) in pushed
    assert ("survey", OPENID) in pushed
    [asked] = [n for n in await slips.outbox(kept) if n.kind == "survey" and n.openid == MERGED]
    assert kept in asked.text and "1 满意" in asked.text

    waiting = await desk.awaiting_survey(MERGED)
    assert waiting is not None and waiting.number == kept
    answered = await desk.record_survey(MERGED, kept, "基本满意", True, None)
    assert answered.number == kept and answered.is_open is False
    # the verdict is on the merged resident's own slip, which stays merged; the kept slip
    # still waits for its own resident's answer
    row = await slips.row(dup)
    assert (row.status, row.satisfaction, row.solved) == ("merged", "基本满意", True)
    event = (await slips.events(dup))[-1]
    assert (event.action, event.data["verdict"], event.data["kept"]) == ("survey", "基本满意",
                                                                         kept)
    assert (await slips.row(kept)).satisfaction is None
    assert (await desk.awaiting_survey(OPENID)).number == kept
    assert await desk.awaiting_survey(MERGED) is None

    # a reminder goes only to those who have not answered
    await slips.service.act(kept, "remind_survey", SYSTEM)
    reminded = [n.openid for n in await slips.outbox(kept) if n.kind == "survey_reminder"]
    assert reminded == [OPENID]


async def test_a_merged_residents_unsatisfied_verdict_reopens_the_kept_slip(
    desk: SlipDeskAdapter, slips: Slips
) -> None:
    """The chat promised "我们会重新交办" while nothing happened (product review)."""
    kept, dup = await _merged(slips)
    await slips.service.act(kept, "close", HANDLER, data={"result": "已更换灯泡"})
    await slips.service.act(kept, "survey", RESIDENT, data={"verdict": "满意"})
    answered = await desk.record_survey(MERGED, kept, "不满意", False, "晚上还是不亮")
    assert answered.is_open is True and answered.number == kept
    assert (await slips.row(dup)).satisfaction == "不满意"
    row = await slips.row(kept)
    assert (row.status, row.reopen_count) == ("dispatched", 1)
    reopen = (await slips.events(kept))[-1]
    assert reopen.action == "reopen" and "晚上还是不亮" in (reopen.note or "")
    # the handler is told; the kept slip's own (satisfied) resident is not pushed a notice
    pushed = [(n.kind, n.openid) for n in await slips.outbox(kept)]
    assert ("reopened", OPENID) not in pushed
    assert any(kind == "reopened_staff" for kind, _ in pushed)


def test_a_stay_state_must_be_one_the_action_starts_from(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import yaml

    from bot.slips.workflow import DEFAULT_WORKFLOW, WorkflowError, load_workflow

    data = yaml.safe_load(DEFAULT_WORKFLOW.read_text(encoding="utf-8"))
    survey = next(a for a in data["actions"] if a["code"] == "survey")
    survey["stay"] = ["withdrawn"]
    path = tmp_path / "workflow.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(WorkflowError) as exc:
        load_workflow(path)
    assert exc.value.entry.endswith(".stay") and "withdrawn" in exc.value.reason


# -- the rule lives in the workflow: it holds however the rating arrives -----------------------
async def test_a_merged_residents_unsatisfied_verdict_recorded_by_staff_reopens_the_kept_slip(
    slips: Slips,
) -> None:
    """A survey taken by phone and entered in the console (or the API): the kept slip is
    worked again as the chat would have had it; the merged resident, who is not answered by a
    chat reply, is told it is handled again; the kept slip's own resident is not."""
    kept, dup = await _merged(slips)
    await slips.service.act(kept, "close", HANDLER, data={"result": "已更换灯泡"})
    await slips.service.act(kept, "survey", RESIDENT, data={"verdict": "满意"})
    await slips.service.act(dup, "survey", DISPATCHER, note="电话回访：晚上还是不亮",
                            data={"verdict": "不满意", "solved": False})
    row = await slips.row(dup)
    assert (row.status, row.satisfaction, row.solved) == ("merged", "不满意", False)
    row = await slips.row(kept)
    assert (row.status, row.reopen_count, row.satisfaction) == ("dispatched", 1, None)
    reopen = (await slips.events(kept))[-1]
    assert (reopen.action, reopen.actor_kind) == ("reopen", "system")
    assert dup in reopen.note and "电话回访：晚上还是不亮" in reopen.note
    pushed = [(n.kind, n.openid) for n in await slips.outbox(kept)]
    assert ("reopened", MERGED) in pushed
    assert ("reopened", OPENID) not in pushed
    [staff] = [n for n in await slips.outbox(kept) if n.kind == "reopened_staff"]
    assert "电话回访：晚上还是不亮" in staff.text


@pytest.mark.parametrize(
    ("verdict", "solved"),
    [pytest.param("满意", True, id="satisfied"),
     pytest.param("基本满意", False, id="basically-satisfied-not-solved")],
)
async def test_only_an_unsatisfied_merged_verdict_reopens_the_kept_slip(
    slips: Slips, verdict: str, solved: bool
) -> None:
    """As for a resident's own slip: 不满意 reopens, not 基本满意 (the chat thanks them)."""
    kept, dup = await _merged(slips)
    await slips.service.act(kept, "close", HANDLER, data={"result": "已更换灯泡"})
    await slips.service.act(dup, "survey", DISPATCHER, data={"verdict": verdict,
                                                              "solved": solved})
    assert (await slips.row(kept)).status == "awaiting_survey"
    assert (await slips.row(dup)).satisfaction == verdict


async def test_a_merged_verdict_past_the_reopen_limit_is_recorded_without_a_reopen(
    desk: SlipDeskAdapter, slips: Slips
) -> None:
    kept, dup = await _merged(slips)
    await slips.service.act(kept, "close", HANDLER, data={"result": "已更换灯泡"})
    limit = slips.service.workflow.rule("reopen_limit")
    await slips.force(kept, "awaiting_survey", reopen_count=limit)
    answered = await desk.record_survey(MERGED, kept, "不满意", False, "晚上还是不亮")
    assert answered.is_open is False  # the chat thanks them; a supervisor decides
    assert (await slips.row(dup)).satisfaction == "不满意"
    assert (await slips.row(kept)).status == "awaiting_survey"


async def test_a_merged_slip_is_not_offered_the_survey_before_the_kept_slip_is_finished(
    slips: Slips,
) -> None:
    kept, dup = await _merged(slips)
    codes = [a.code for a in await slips.service.actions_for(dup, DISPATCHER)]
    assert "survey" not in codes
    await slips.service.act(kept, "close", HANDLER, data={"result": "已更换灯泡"})
    codes = [a.code for a in await slips.service.actions_for(dup, DISPATCHER)]
    assert "survey" in codes


# -- a kept slip without a resident of its own ------------------------------------------------
async def test_a_kept_slip_without_a_resident_still_surveys_its_merged_residents(
    desk: SlipDeskAdapter, slips: Slips
) -> None:
    """A slip entered by staff has nobody of its own to ask; the residents whose duplicates
    went into it hear the result and are asked, reminded, and their 不满意 reopens it."""
    kept, dup = await _merged(slips)
    await slips.force(kept, "signed", openid=None, resident_id=None)
    await slips.service.act(kept, "close", HANDLER, data={"result": "已更换灯泡"})
    assert (await slips.row(kept)).status == "awaiting_survey"
    pushed = [(n.kind, n.openid) for n in await slips.outbox(kept)]
    assert ("closed", MERGED) in pushed and ("survey", MERGED) in pushed
    assert (await desk.awaiting_survey(MERGED)).number == kept
    await slips.service.act(kept, "remind_survey", SYSTEM)
    reminded = [n.openid for n in await slips.outbox(kept) if n.kind == "survey_reminder"]
    assert reminded == [MERGED]

    answered = await desk.record_survey(MERGED, kept, "不满意", False, "晚上还是不亮")
    assert answered.is_open is True and answered.number == kept
    row = await slips.row(kept)
    assert (row.status, row.reopen_count) == ("dispatched", 1)
    assert (await slips.row(dup)).status == "merged"


async def test_a_slip_without_any_resident_is_closed_without_a_survey(slips: Slips) -> None:
    slip = await slips.issue("建新北路12号门口的路灯坏了")
    await slips.force(slip.number, "dispatched", openid=None, resident_id=None)
    await slips.service.act(slip.number, "sign", HANDLER)
    await slips.service.act(slip.number, "close", HANDLER, data={"result": "已更换灯泡"})
    assert (await slips.row(slip.number)).status == "resolved"
    assert [n.kind for n in await slips.outbox(slip.number)
            if n.audience == "resident"] == []
