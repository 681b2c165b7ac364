"""A follow-up that tells of a danger now raises its slip to 特急 (product review: "咋个还没得人来
我爸还在地上" was only appended, the slip stayed 紧急). Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from tests.bot.slips.conftest import OPENID, RESIDENT, Clock, Slips, draft, triage


async def _urgent_slip(slips: Slips, clock: Clock):  # type: ignore[no-untyped-def]
    tri = triage(urgency="紧急", response_due_hours=24, lead="D-MZJ")
    view = await slips.issue("我爸在屋头摔了，我在外地，麻烦社区去看一下", triage=tri)
    clock.advance(hours=3)
    return view


async def test_a_danger_in_a_followup_raises_the_slip_to_teji(triaged: Slips, clock: Clock) -> None:
    view = await _urgent_slip(triaged, clock)
    before = await triaged.row(view.number)
    assert before.urgency == "紧急"
    await triaged.service.act(view.number, "followup", RESIDENT,
                              note="咋个还没得人来 我爸还在地上")
    row = await triaged.row(view.number)
    assert row.urgency == "特急"
    # the response limit is the policy's for 特急 (2 hours) from the follow-up, sooner than before
    assert row.response_hours == 2
    assert row.response_due_at == clock.now + timedelta(hours=2)
    assert row.response_due_at < before.response_due_at
    events = await triaged.events(view.number)
    assert [e.action for e in events][-2:] == ["followup", "escalate"]
    escalated = events[-1]
    assert escalated.data["urgency_before"] == "紧急"
    assert escalated.data["urgency"] == "特急"
    assert "120" in escalated.data["lines"]
    assert escalated.data["findings"] and escalated.data["why"]
    # the resident is told the emergency numbers; the lead and the duty desk are alerted
    out = {o.kind: o for o in await triaged.outbox(view.number)}
    assert {"escalated", "escalated_staff", "escalated_duty"} <= set(out)
    assert out["escalated"].audience == "resident" and out["escalated"].openid == OPENID
    assert "120" in out["escalated"].text and "特急" in out["escalated"].text
    assert "“咋个还没得人来" in out["escalated_duty"].text


async def test_a_plain_followup_changes_nothing(triaged: Slips, clock: Clock) -> None:
    view = await _urgent_slip(triaged, clock)
    before = await triaged.row(view.number)
    await triaged.service.act(view.number, "followup", RESIDENT, note="地址是红石路社区12栋3楼")
    row = await triaged.row(view.number)
    assert row.urgency == "紧急" and row.response_due_at == before.response_due_at
    assert [e.action for e in await triaged.events(view.number)][-1] == "followup"
    assert not [o for o in await triaged.outbox(view.number) if o.kind.startswith("escalated")]


async def test_a_teji_slip_is_not_raised_again(triaged: Slips, clock: Clock) -> None:
    view = await triaged.issue("楼道里一股煤气味", triage=triage(urgency="特急",
                                                             response_due_hours=2))
    clock.advance(minutes=30)
    await triaged.service.act(view.number, "followup", RESIDENT, note="煤气味越来越大了")
    assert [e.action for e in await triaged.events(view.number)][-1] == "followup"


async def test_the_sooner_response_limit_is_kept(triaged: Slips, clock: Clock) -> None:
    # a 紧急 slip whose response limit ends within the hour keeps it: a raise never gives more time
    view = await triaged.service.issue(draft("小区停水了", triage=triage(
        urgency="紧急", response_due_hours=24)))
    clock.advance(hours=23, minutes=30)
    before = await triaged.row(view.number)
    await triaged.service.act(view.number, "followup", RESIDENT, note="楼下着火了 好大的烟")
    row = await triaged.row(view.number)
    assert row.urgency == "特急"
    assert row.response_due_at == before.response_due_at


async def test_without_a_triage_a_followup_is_only_added(slips: Slips, clock: Clock) -> None:
    view = await _urgent_slip(slips, clock)
    await slips.service.act(view.number, "followup", RESIDENT, note="我爸还倒在地上不动")
    assert (await slips.row(view.number)).urgency == "紧急"


async def test_a_danger_in_an_urge_raises_the_slip_too(triaged: Slips, clock: Clock) -> None:
    """催办 words with a danger ("咋个还没得人来 我爸还在地上") from a channel that records
    them as an urge: the slip is still raised to 特急."""
    view = await _urgent_slip(triaged, clock)
    await triaged.service.act(view.number, "urge", RESIDENT, note="咋个还没得人来 我爸还在地上")
    row = await triaged.row(view.number)
    assert row.urgency == "特急" and row.urge_count == 1
    assert [e.action for e in await triaged.events(view.number)][-2:] == ["urge", "escalate"]
