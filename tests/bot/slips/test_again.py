"""A problem the same resident reported lately, and that was done, reported triaged ("楼下的垃圾
桶又满了 没人收" after "小区垃圾好几天没人收了"): the new slip names the earlier one, so staff
see that it came back (12th session's demo walk: nothing tied them). Scored as the open-slip
search scores (knowledge/similarity.py); only the resident's own slips, finished within
AGAIN_DAYS. Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from typing import Any

from bot.slips.similar import AGAIN_DAYS
from tests.bot.slips.conftest import HANDLER, OTHER_RESIDENT, Clock, Slips, triage

FIRST = "我们小区垃圾好几天没人收了，臭得很"
AGAIN = "楼下的垃圾桶又满了 没人收"


async def _done(slips: Slips, text: str = FIRST, **kwargs: Any) -> str:
    view = await slips.issue(text, triage=triage(lead="D-CGJ"), **kwargs)
    await slips.service.act(view.number, "sign", HANDLER)
    await slips.service.act(view.number, "close", HANDLER, data={"result": "已清运"})
    return view.number


async def _earlier(slips: Slips, number: str) -> Any:
    accept = (await slips.events(number))[0]
    assert accept.action == "accept"
    return accept.data.get("earlier")


async def test_the_same_problem_again_names_the_earlier_slip(triaged: Slips, clock: Clock) -> None:
    first = await _done(triaged)
    clock.advance(days=3)
    view = await triaged.issue(AGAIN, triage=triage(lead="D-CGJ"))
    earlier = await _earlier(triaged, view.number)
    assert earlier["number"] == first and earlier["score"] >= 0.5
    assert earlier["resolved_at"]


async def test_another_problem_another_resident_or_a_long_time_after_is_not_named(
    triaged: Slips, clock: Clock
) -> None:
    await _done(triaged)
    clock.advance(days=1)
    other_problem = await triaged.issue("建新北路12号门口的路灯坏了", triage=triage(lead="D-CGJ"))
    assert await _earlier(triaged, other_problem.number) is None
    other_resident = await triaged.issue(AGAIN, openid=OTHER_RESIDENT.id,
                                       triage=triage(lead="D-CGJ"))
    assert await _earlier(triaged, other_resident.number) is None
    clock.advance(days=AGAIN_DAYS + 1)
    later = await triaged.issue(AGAIN, triage=triage(lead="D-CGJ"))
    assert await _earlier(triaged, later.number) is None


async def test_a_slip_still_open_is_not_an_earlier_one(triaged: Slips, clock: Clock) -> None:
    """An open one is the same report twice: the open-slip search links those (普遍性)."""
    await triaged.issue(FIRST, triage=triage(lead="D-CGJ"))
    clock.advance(hours=5)
    view = await triaged.issue(AGAIN, triage=triage(lead="D-CGJ"))
    assert await _earlier(triaged, view.number) is None


async def test_a_triage_that_cannot_compare_costs_no_complaint(
    database, clock: Clock, pack  # type: ignore[no-untyped-def]
) -> None:
    """The app's triage loads its classifier on first use; if that fails, looking for the
    earlier slip fails too, and the slip is issued without it."""
    from bot.slips.service import SlipService
    from tests.conftest import make_settings

    class Broken:
        def compared(self, text: str) -> tuple[str, frozenset[str]]:
            raise RuntimeError("the category classifier could not be loaded")

    slips = Slips(SlipService(database, settings=make_settings(), clock=clock, pack=pack,
                              triage=Broken()), database)
    await _done(slips)
    view = await slips.issue(AGAIN, triage=triage(lead="D-CGJ"))
    assert view.status == "dispatched" and await _earlier(slips, view.number) is None


async def test_the_chat_desk_tells_the_earlier_slip_once(triaged: Slips, clock: Clock) -> None:
    """The resident hears it too (bot/slips/desk.py gives it to the chat): the earlier slip's
    number and when it was done; a retry of the same message does not say it again."""
    from bot.slips.desk import SlipDeskAdapter
    from tests.bot.slips.conftest import draft

    first = await _done(triaged)
    done_at = clock.now
    clock.advance(days=3)
    desk = SlipDeskAdapter(triaged.service, triaged.db)
    again = draft(AGAIN, key="oResidentAAAA0001:again", triage=triage(lead="D-CGJ"))
    issued = await desk.issue(again)
    assert issued.earlier == first
    assert issued.earlier_resolved_at is not None
    assert abs((issued.earlier_resolved_at - done_at).total_seconds()) < 1
    retried = await desk.issue(again)
    assert retried.number == issued.number and retried.earlier is None
    other = await desk.issue(draft("建新北路12号门口的路灯坏了", triage=triage(lead="D-CGJ")))
    assert other.earlier is None


async def test_lists_mark_an_open_slip_that_repeats_an_earlier_one(
    triaged: Slips, clock: Clock
) -> None:
    """再次反映 in the workbench and the slip list: handlers see it without opening the slip."""
    first = await _done(triaged)
    clock.advance(days=2)
    again = await triaged.issue(AGAIN, triage=triage(lead="D-CGJ"))
    other = await triaged.issue("建新北路12号门口的路灯坏了", triage=triage(lead="D-CGJ"))
    bench = await triaged.service.workbench(HANDLER)
    marks = {s.number: s.earlier for s in bench.to_sign}
    assert marks[again.number] == first and marks[other.number] is None
    page = await triaged.service.list(HANDLER)
    listed = {s.number: s.earlier for s in page.items}
    assert listed[again.number] == first and listed[first] is None  # done: no longer marked
