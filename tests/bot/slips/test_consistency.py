"""One change = one transaction: the slip row, its event and its notices together or not at
all; a stale version is refused."""

from __future__ import annotations

import asyncio

import pytest

import bot.outbox
from bot.slips.errors import InvalidInput, VersionConflict
from tests.bot.slips.conftest import DISPATCHER, HANDLER, SUPERVISOR, Slips


async def test_a_stale_version_is_refused(slips: Slips) -> None:
    view = await slips.issue()
    signed = await slips.service.act(view.number, "sign", HANDLER, expected_version=view.version)
    assert signed.version > view.version
    with pytest.raises(VersionConflict) as exc:
        await slips.service.act(view.number, "reply", HANDLER, note="答复",
                                expected_version=view.version)
    assert exc.value.actual == signed.version
    assert (await slips.row(view.number)).last_staff_reply is None


@pytest.mark.parametrize("backend", ["postgres-redis"])
async def test_of_two_concurrent_changes_from_one_version_exactly_one_wins(slips: Slips) -> None:
    view = await slips.issue()
    results = await asyncio.gather(
        slips.service.act(view.number, "reply", HANDLER, note="第一条答复",
                          expected_version=view.version),
        slips.service.act(view.number, "transfer", DISPATCHER, note="改派",
                          data={"department": "D-STHJ"}, expected_version=view.version),
        return_exceptions=True,
    )
    conflicts = [r for r in results if isinstance(r, VersionConflict)]
    assert len(conflicts) == 1, results
    events = await slips.events(view.number)
    assert [e.seq for e in events] == [1, 2, 3]  # one event added, chain unbroken


async def test_without_an_expected_version_concurrent_changes_all_apply(slips: Slips) -> None:
    views = [await slips.issue(f"第{i}盏路灯坏了") for i in range(5)]
    results = await asyncio.gather(*(
        call for v in views for call in (
            slips.service.act(v.number, "sign", HANDLER),
            slips.service.act(v.number, "supervise", SUPERVISOR, note="请抓紧"),
        )
    ), return_exceptions=True)
    assert [r for r in results if isinstance(r, Exception)] == []
    for v in views:
        row = await slips.row(v.number)
        assert row.status == "signed" and row.supervised
        assert [e.seq for e in await slips.events(v.number)] == [1, 2, 3, 4]


async def test_a_failure_while_writing_the_notice_leaves_nothing_behind(
    slips: Slips, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = await slips.issue()
    before = await slips.row(view.number)

    async def broken(session, notice):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk full")

    monkeypatch.setattr(bot.outbox, "enqueue", broken)
    with pytest.raises(RuntimeError):
        await slips.service.act(view.number, "sign", HANDLER, data={"contact": "023-67889900"})
    after = await slips.row(view.number)
    assert (after.status, after.version, after.signed_at, after.event_count) == (
        before.status, before.version, before.signed_at, before.event_count
    )
    assert len(await slips.events(view.number)) == before.event_count
    assert await slips.outbox() == []
    monkeypatch.undo()
    signed = await slips.service.act(view.number, "sign", HANDLER)
    assert signed.status == "signed" and len(await slips.outbox(view.number)) == 1


async def test_a_bad_input_changes_nothing(slips: Slips) -> None:
    view = await slips.issue()
    await slips.service.act(view.number, "sign", HANDLER)
    for data, field in (({}, "result"), ({"result": "x", "bogus": 1}, "bogus")):
        with pytest.raises(InvalidInput) as exc:
            await slips.service.act(view.number, "close", HANDLER, data=data)
        assert exc.value.field == field
    with pytest.raises(InvalidInput) as exc:
        await slips.service.act(view.number, "reply", HANDLER, note="   ")
    assert exc.value.field == "note" and exc.value.message == "请填写答复内容"
    assert (await slips.row(view.number)).status == "signed"


async def test_notices_carry_a_key_per_event_and_kind(slips: Slips) -> None:
    view = await slips.issue()
    await slips.service.act(view.number, "sign", HANDLER)
    await slips.service.act(view.number, "close", HANDLER, data={"result": "已修好"})
    rows = await slips.outbox(view.number)
    assert [(r.kind, r.idempotency_key, r.audience) for r in rows] == [
        ("signed", f"{view.number}:3:signed", "resident"),
        ("closed", f"{view.number}:4:closed", "resident"),
        ("survey", f"{view.number}:5:survey", "resident"),
    ]
    closed = rows[1]
    assert closed.text == f"您的交办单 {view.number} 已办结。办理结果：\n已修好"
    assert closed.template_data["keyword1"] == view.number
    assert closed.template_data["keyword2"] == "已办结"
    assert closed.template_data["keyword3"] == "2026-11-25 10:00"
    assert closed.template_data["remark"] == "办理结果：已修好"
    assert closed.slip_id == view.id and closed.resident_id is not None
