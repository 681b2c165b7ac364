"""督办 and 重办: the mark is about the current round of handling. A 重办 clears the slip's
督办 badge and opinion (a supervisor chasing the reopened slip starts afresh); the audit trail
and supervise_count keep the history, shown as 重办前曾督办. The extension and 督办 a staff
member sees are in the slip's view (the console page and GET /api/v1/slips/{number})."""

from __future__ import annotations

from datetime import timedelta

from bot.slips.views import ExtensionMark, SlipFilter, Supervision
from knowledge.calendar import default_calendar
from tests.bot.slips.conftest import HANDLER, RESIDENT, SUPERVISOR, Slips


async def _supervised_then_reopened(slips: Slips) -> str:
    view = await slips.issue()
    number = view.number
    await slips.service.act(number, "sign", HANDLER)
    await slips.service.act(number, "supervise", SUPERVISOR, note="请三日内修好")
    await slips.service.act(number, "supervise", SUPERVISOR, note="居民又来电了")
    await slips.service.act(number, "close", HANDLER, data={"result": "已更换灯泡"})
    await slips.service.act(number, "survey", RESIDENT, note="晚上还是不亮",
                            data={"verdict": "不满意"})
    return number


async def test_a_reopen_clears_the_supervise_mark_and_keeps_the_history(slips: Slips) -> None:
    number = await _supervised_then_reopened(slips)
    row = await slips.row(number)
    assert (row.status, row.reopen_count) == ("dispatched", 1)
    assert (row.supervised, row.supervised_at, row.supervise_count) == (False, None, 2)
    reopen = (await slips.events(number))[-1]
    assert reopen.action == "reopen" and reopen.data["supervision_cleared"] is True
    view = await slips.service.get(number, SUPERVISOR)
    assert view.supervised is False
    assert view.supervision == Supervision(0, None, None, earlier=2)
    # the 督办 list is of slips supervised now
    flagged = await slips.service.list(SUPERVISOR, SlipFilter(supervised=True))
    assert number not in [s.number for s in flagged.items]
    [listed] = (await slips.service.list(SUPERVISOR, SlipFilter(q=number))).items
    assert (listed.supervised, listed.supervision) == (False, None)


async def test_a_slip_supervised_again_after_a_reopen_counts_from_the_reopen(
    slips: Slips,
) -> None:
    number = await _supervised_then_reopened(slips)
    await slips.service.act(number, "supervise", SUPERVISOR, note="重办也要抓紧")
    view = await slips.service.get(number, SUPERVISOR)
    assert view.supervised is True
    s = view.supervision
    assert s is not None and (s.count, s.note, s.earlier) == (1, "重办也要抓紧", 2)
    [listed] = (await slips.service.list(SUPERVISOR, SlipFilter(supervised=True))).items
    assert listed.supervision is not None and listed.supervision.count == 1


async def test_the_view_carries_the_extension_and_supervision_for_staff_only(
    slips: Slips,
) -> None:
    view = await slips.issue()
    number = view.number
    assert (view.extension, view.supervision) == (None, None)
    await slips.service.act(number, "sign", HANDLER)
    # a working day (an extension to a weekend or a holiday is refused)
    wanted = default_calendar().workday_on_or_after((view.due_at + timedelta(days=7)).date())
    await slips.service.act(number, "request_extension", HANDLER, note="需要供电公司换电缆",
                            data={"due_date": wanted.isoformat()})
    await slips.service.act(number, "supervise", SUPERVISOR, note="请抓紧")
    got = await slips.service.get(number, HANDLER)
    assert got.extension == ExtensionMark("pending", wanted.isoformat(), "需要供电公司换电缆")
    assert got.supervision is not None and got.supervision.note == "请抓紧"
    done = await slips.service.act(number, "approve_extension", SUPERVISOR, note="同意")
    assert done.extension is not None
    assert (done.extension.state, done.extension.due_date, done.extension.reason) == (
        "approved", wanted.isoformat(), "同意")
    # the resident sees neither
    mine = await slips.service.get(number, RESIDENT)
    assert (mine.extension, mine.supervision) == (None, None)
