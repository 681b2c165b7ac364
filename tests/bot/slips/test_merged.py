"""A resident whose slip was merged into another (合并办理) follows the kept slip in the chat:
its number answers, 我的工单 shows its progress, and they are surveyed when it is finished."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from bot.slips.audit import check_chain
from bot.slips.desk import SlipDeskAdapter
from bot.slips.errors import TransitionNotAllowed
from bot.stats.filters import StatsFilter
from bot.stats.labels import Labels
from bot.stats.measures import StatsRow
from bot.stats.queries import Statistics
from dialogs import ports
from knowledge.pack import load_pack
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
    # the verdict is recorded on their slip, and cleared for the redone round
    survey, reset = (await slips.events(dup))[-2:]
    assert (survey.action, survey.data["verdict"], reset.action) == (
        "survey", "不满意", "merged_survey_reset")
    assert (await slips.row(dup)).satisfaction is None
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
    survey = (await slips.events(dup))[-2]
    assert (survey.data["verdict"], survey.data["solved"]) == ("不满意", False)
    row = await slips.row(dup)
    assert (row.status, row.satisfaction) == ("merged", None)  # asked again after the redo
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


# -- the survey of a kept slip without a resident, and the statistics -------------------------
THIRD = "oResidentCCCC0003"  # a second resident whose duplicate is merged into the kept slip


async def _staff_kept(slips: Slips) -> tuple[str, str, str]:
    """A kept slip entered by staff (no resident of its own) with two merged duplicates,
    finished and waiting for its merged residents' verdicts."""
    kept, dup = await _merged(slips)
    third = await slips.issue("建新北路路灯不亮，晚上走路看不见", openid=THIRD)
    await slips.service.act(third.number, "merge", DISPATCHER, data={"into": kept})
    await slips.force(kept, "signed", openid=None, resident_id=None)
    await slips.service.act(kept, "close", HANDLER, data={"result": "已更换灯泡"})
    assert (await slips.row(kept)).status == "awaiting_survey"
    return kept, dup, third.number


async def _totals(slips: Slips) -> StatsRow:
    stats = Statistics(slips.db, workflow=slips.service.workflow,
                       labels=Labels.from_pack(load_pack()),
                       tz=ZoneInfo("Asia/Shanghai"), clock=slips.service._clock)
    return await stats.total(StatsFilter())


async def _intact(slips: Slips, *numbers: str) -> None:
    for number in numbers:
        assert check_chain(await slips.row(number), await slips.events(number)) is None


async def test_a_kept_slip_without_a_resident_is_rated_once_its_merged_residents_have(
    slips: Slips,
) -> None:
    """It waited at 待评价 for 72 hours and was archived as 未评价, although everybody it was
    surveyed for had answered: nobody of its own was ever asked."""
    kept, dup, third = await _staff_kept(slips)
    await slips.service.act(dup, "survey", DISPATCHER, data={"verdict": "满意"})
    assert (await slips.row(kept)).status == "awaiting_survey"  # one resident still to answer
    await slips.service.act(third, "survey", DISPATCHER, data={"verdict": "基本满意"})
    row = await slips.row(kept)
    assert (row.status, row.satisfaction) == ("rated", None)
    assert (await slips.events(kept))[-1].action == "finish_survey"
    # each merged resident's verdict counts once, on their own slip; nothing is 未评价
    total = await _totals(slips)
    assert (total.answered, total.satisfied, total.unanswered) == (2, 2, 0)
    await _intact(slips, kept, dup, third)


async def test_a_kept_slip_with_a_resident_of_its_own_still_waits_for_them(
    slips: Slips,
) -> None:
    kept, dup = await _merged(slips)
    await slips.service.act(kept, "close", HANDLER, data={"result": "已更换灯泡"})
    await slips.service.act(dup, "survey", DISPATCHER, data={"verdict": "满意"})
    assert (await slips.row(kept)).status == "awaiting_survey"
    assert (await _totals(slips)).unanswered == 1  # the kept slip's own resident


async def test_an_expired_survey_counts_only_residents_who_were_asked_as_unrated(
    slips: Slips,
) -> None:
    kept, dup, third = await _staff_kept(slips)
    await slips.service.act(dup, "survey", DISPATCHER, data={"verdict": "满意"})
    assert (await _totals(slips)).unanswered == 0  # the staff slip itself asks nobody
    await slips.service.act(kept, "expire_survey", SYSTEM)
    row = await slips.row(kept)
    assert (row.status, row.satisfaction) == ("archived", None)
    # the resident who did not answer is 未评价 on their own slip, which stays merged
    row = await slips.row(third)
    assert (row.status, row.satisfaction) == ("merged", "未评价")
    assert (await slips.row(dup)).satisfaction == "满意"
    assert [e.action for e in await slips.events(third)][-1] == "merged_survey_expired"
    total = await _totals(slips)
    assert (total.answered, total.satisfied, total.unanswered) == (1, 1, 1)
    assert total.satisfaction_rate == 1.0
    await _intact(slips, kept, dup, third)
    # staff see why in the merged slip's timeline
    labels = [e.action_label for e in await slips.service.timeline(third, DISPATCHER)]
    assert labels[-1] == "超期未评价"


async def test_an_expired_survey_of_a_slip_with_its_own_resident_is_unrated(
    slips: Slips,
) -> None:
    kept, dup = await _merged(slips)
    await slips.service.act(kept, "close", HANDLER, data={"result": "已更换灯泡"})
    await slips.service.act(kept, "expire_survey", SYSTEM)
    assert (await slips.row(kept)).satisfaction == "未评价"
    assert (await slips.row(dup)).satisfaction == "未评价"
    assert (await _totals(slips)).unanswered == 2
    await _intact(slips, kept, dup)


# -- a 重办 is news to the other residents merged into the slip --------------------------------
@pytest.mark.parametrize("via", ["chat", "console"])
async def test_the_other_merged_residents_hear_that_the_kept_slip_is_handled_again(
    desk: SlipDeskAdapter, slips: Slips, via: str
) -> None:
    """One merged resident's 不满意 reopened the kept slip and the others, who had been told
    it was finished, heard nothing more."""
    kept, dup = await _merged(slips)
    third = await slips.issue("建新北路路灯不亮，晚上走路看不见", openid=THIRD)
    await slips.service.act(third.number, "merge", DISPATCHER, data={"into": kept})
    await slips.service.act(kept, "close", HANDLER, data={"result": "已更换灯泡"})
    await slips.service.act(third.number, "survey", DISPATCHER, data={"verdict": "满意"})
    if via == "chat":
        await desk.record_survey(MERGED, kept, "不满意", False, "晚上还是不亮，我家老人摔了一跤")
    else:
        await slips.service.act(dup, "survey", DISPATCHER, note="电话回访：晚上还是不亮",
                                data={"verdict": "不满意", "solved": False})
    assert (await slips.row(kept)).status == "dispatched"
    told = [n for n in await slips.outbox(kept) if n.kind == "reopened_merged"]
    assert [n.openid for n in told] == [THIRD]  # not the one who asked, not the kept's own
    [notice] = told
    assert kept in notice.text and "重新" in notice.text and "办理" in notice.text
    # plain, and nothing of the other resident: not their slip, reason or verdict
    for word in (dup, "不满意", "不亮", "摔", "电话回访", "居民"):
        assert word not in notice.text
    assert notice.template_data["number"] == kept
    pushed = [(n.kind, n.openid) for n in await slips.outbox(kept)]
    assert ("reopened", OPENID) not in pushed and ("reopened_merged", OPENID) not in pushed


async def test_a_reopen_asked_by_the_kept_slips_own_resident_is_news_to_the_merged_ones(
    desk: SlipDeskAdapter, slips: Slips
) -> None:
    kept, _dup = await _merged(slips)
    await slips.service.act(kept, "close", HANDLER, data={"result": "已更换灯泡"})
    await desk.record_survey(OPENID, kept, "不满意", False, "还是不亮")
    assert (await slips.row(kept)).status == "dispatched"
    told = [(n.kind, n.openid) for n in await slips.outbox(kept) if n.kind.startswith("reopened")
            and n.audience == "resident"]
    assert told == [("reopened_merged", MERGED)]  # the asker is answered by the chat


async def test_merged_residents_are_asked_again_after_the_kept_slip_is_redone(
    desk: SlipDeskAdapter, slips: Slips
) -> None:
    """A merged resident's 不满意 reopened the kept slip; when it was finished again, only the
    kept slip's own resident was surveyed: the unhappy resident's old verdict still stood."""
    kept, dup = await _merged(slips)
    await slips.service.act(kept, "close", HANDLER, data={"result": "已更换灯泡"})
    await desk.record_survey(MERGED, kept, "不满意", False, "晚上还是不亮")
    assert (await slips.row(kept)).status == "dispatched"
    row = await slips.row(dup)
    assert (row.status, row.satisfaction) == ("merged", None)  # this round is redone
    event = (await slips.events(dup))[-1]
    assert (event.action, event.data["previous_satisfaction"]) == ("merged_survey_reset",
                                                                   "不满意")
    before = len([n for n in await slips.outbox(kept) if n.kind == "survey"])

    await slips.service.act(kept, "sign", HANDLER)
    await slips.service.act(kept, "close", HANDLER, data={"result": "换了整套灯具"})
    asked = [n.openid for n in (await slips.outbox(kept))[before:] if n.kind == "survey"]
    assert MERGED in asked and OPENID in asked
    assert (await desk.awaiting_survey(MERGED)).number == kept
    await desk.record_survey(MERGED, kept, "满意", True, None)
    assert (await slips.row(dup)).satisfaction == "满意"
    await _intact(slips, kept, dup)


# -- 不满意 about a kept slip that is already archived ------------------------------------------
async def _archived(slips: Slips) -> tuple[str, str]:
    """The kept slip finished, rated by its own resident and archived by the dispatcher while
    the merged resident had not answered yet (they are still reminded)."""
    kept, dup = await _merged(slips)
    await slips.service.act(kept, "close", HANDLER, data={"result": "已更换灯泡"})
    await slips.service.act(kept, "survey", RESIDENT, data={"verdict": "满意"})
    await slips.service.act(kept, "archive", DISPATCHER)
    assert (await slips.row(kept)).status == "archived"
    return kept, dup


@pytest.mark.parametrize("via", ["chat", "console"])
async def test_unsatisfied_about_an_archived_kept_slip_becomes_a_new_slip_in_the_queue(
    desk: SlipDeskAdapter, slips: Slips, via: str
) -> None:
    """The resident said 不满意 and why; nothing happened to any slip (an archived slip is not
    reopened) and nobody saw it, after the chat had said "我们会重新交办"."""
    kept, dup = await _archived(slips)
    await slips.force(dup, "merged", phone="13812345678")
    if via == "chat":
        waiting = await desk.awaiting_survey(MERGED)  # the reminder's answer is taken
        assert waiting is not None and waiting.number == kept
        answered = await desk.record_survey(MERGED, kept, "不满意", False, "晚上还是不亮")
        assert answered.number == kept and answered.is_open is False  # the kept slip stays
    else:
        await slips.service.act(dup, "survey", DISPATCHER, note="晚上还是不亮",
                                data={"verdict": "不满意", "solved": False})
    # the verdict is theirs, the kept slip stays archived and is not reopened
    assert (await slips.row(dup)).satisfaction == "不满意"
    row = await slips.row(kept)
    assert (row.status, row.reopen_count) == ("archived", 0)
    # their dissatisfaction is a new slip of theirs waiting in the dispatcher's queue
    reissue = (await slips.events(kept))[-1]
    assert (reissue.action, reissue.actor_kind) == ("reissue", "system")
    assert reissue.data["merged"] == dup and "晚上还是不亮" in (reissue.note or "")
    new = await slips.row(reissue.data["new"])
    assert (new.openid, new.status, new.lead_department, new.queue_reason) == (
        MERGED, "accepted", None, "dissatisfied")
    assert kept in new.description and "晚上还是不亮" in new.description
    assert "我家门口建新北路那盏路灯不亮了" in new.description  # what they first reported
    assert new.phone == "13812345678" and new.category == row.category
    assert new.cluster_id is not None and new.cluster_id == row.cluster_id
    suggested = [d["code"] for d in new.triage["departments"]]
    assert suggested == [row.lead_department]  # the dispatch form suggests who handled it
    queue = (await slips.service.workbench(DISPATCHER)).queue
    assert [s.number for s in queue] == [new.number]
    accept = (await slips.events(new.number))[0]
    assert (accept.action, accept.data["reissued_from"], accept.data["merged"]) == (
        "accept", kept, dup)
    # the resident is told the truth (whichever way the verdict came: the chat does not know
    # the new number), the dispatchers are told; nobody hears of a 重办
    pushed = await slips.outbox(kept)
    [told] = [n for n in pushed if n.kind == "reissued"]
    assert told.openid == MERGED
    assert kept in told.text and new.number in told.text and "不能再重新打开" in told.text
    assert "区民意交办中心" in told.text and "重新交" not in told.text
    [staff] = [n for n in pushed if n.kind == "reissued_staff"]
    assert staff.audience == "staff" and new.number in staff.text and "晚上还是不亮" in staff.text
    assert not [n for n in pushed if n.kind.startswith("reopened")]
    await _intact(slips, kept, dup, new.number)
    # and it is worked like any slip: dispatched to the department that handled the kept one
    await slips.service.act(new.number, "dispatch", DISPATCHER,
                            data={"department": row.lead_department})
    assert (await slips.row(new.number)).queue_reason is None


async def test_a_satisfied_merged_verdict_on_an_archived_kept_slip_makes_no_new_slip(
    desk: SlipDeskAdapter, slips: Slips
) -> None:
    kept, dup = await _archived(slips)
    await desk.record_survey(MERGED, kept, "基本满意", None, None)
    assert (await slips.row(dup)).satisfaction == "基本满意"
    assert [e.action for e in await slips.events(kept)][-1] == "archive"
    assert [s.number for s in await desk.slips_of(MERGED)] == [dup]
