"""The console's list: filters, free-text search (bigram index on PostgreSQL, LIKE on SQLite),
paging and counting."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.slips.query import bigrams
from bot.slips.service import SlipService
from bot.slips.views import SlipFilter
from tests.bot.slips.conftest import ADMIN, HANDLER, Clock, Slips, draft, triage
from tests.conftest import make_settings


async def _city(slips: Slips, clock: Clock) -> dict[str, str]:
    made = {}
    made["lamp"] = (await slips.issue("建新北路12号路灯坏了三天了", location_text="建新北路12号",
                                      area={"street": "观音桥街道", "community": "建新东路社区"},
                                      phone="13800138000")).number
    clock.now = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
    made["noise"] = (await slips.issue("步行街晚上广场舞噪音太大", triage=triage(
        lead="D-STHJ", category=("环境保护", "噪声污染")),
        area={"street": "观音桥街道"})).number
    made["gas"] = (await slips.issue("楼道里有很大的煤气味", triage=triage(
        urgency="特急", category=("城乡建设", "燃气")), area={"street": "五里店街道"})).number
    clock.now = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
    made["wage"] = (await slips.issue("公司拖欠我们工人三个月工资", triage=triage(
        lead="D-RSJ", category=("劳动和社会保障", "劳动关系"), low_confidence=True))).number
    return made


async def _numbers(slips: Slips, **filters) -> list[str]:  # type: ignore[no-untyped-def]
    page = await slips.service.list(ADMIN, SlipFilter(**filters))
    return [s.number for s in page.items]


async def test_filters_combine(slips: Slips, clock: Clock) -> None:
    m = await _city(slips, clock)
    assert await _numbers(slips) == [m["wage"], m["gas"], m["noise"], m["lamp"]]  # newest first
    assert await _numbers(slips, status="accepted") == [m["wage"]]
    assert await _numbers(slips, status=("dispatched",)) == [m["gas"], m["noise"], m["lamp"]]
    assert await _numbers(slips, status="open") == [m["wage"], m["gas"], m["noise"], m["lamp"]]
    assert await _numbers(slips, status="closed") == []
    assert await _numbers(slips, department="D-STHJ") == [m["noise"]]
    assert await _numbers(slips, urgency="特急") == [m["gas"]]
    assert await _numbers(slips, area="观音桥街道") == [m["noise"], m["lamp"]]
    assert await _numbers(slips, area="建新东路社区") == [m["lamp"]]
    assert await _numbers(slips, category="城乡建设") == [m["gas"], m["lamp"]]
    assert await _numbers(slips, category="城乡建设", area="观音桥街道") == [m["lamp"]]
    assert await _numbers(slips, date_from=date(2026, 11, 26), date_to=date(2026, 11, 26)) == [
        m["gas"], m["noise"]
    ]
    assert await _numbers(slips, queue=True) == [m["wage"]]


async def test_free_text_finds_two_character_words_numbers_and_phones(
    slips: Slips, clock: Clock
) -> None:
    m = await _city(slips, clock)
    assert await _numbers(slips, q="路灯") == [m["lamp"]]
    assert await _numbers(slips, q="噪音") == [m["noise"]]
    assert await _numbers(slips, q="煤气味") == [m["gas"]]
    assert await _numbers(slips, q="建新北路") == [m["lamp"]]  # location text
    assert await _numbers(slips, q="12号") == [m["lamp"]]
    assert await _numbers(slips, q="路灯 三天") == [m["lamp"]]  # every word must match
    assert await _numbers(slips, q="路灯 噪音") == []
    assert await _numbers(slips, q="灯坏路") == []  # the characters, but not in that order
    assert await _numbers(slips, q="气") == [m["gas"]]  # one character: plain LIKE
    assert await _numbers(slips, q=m["noise"].lower()) == [m["noise"]]
    assert await _numbers(slips, q="13800138000") == [m["lamp"]]
    assert await _numbers(slips, q="50%") == []  # LIKE wildcards are literal
    assert await _numbers(slips, q="噪音", department="D-CGJ") == []


async def test_the_last_digits_of_a_slip_or_phone_number_find_it(
    slips: Slips, clock: Clock
) -> None:
    """"单号尾号 0002", "手机尾号 8000": what a resident reads out on the phone."""
    m = await _city(slips, clock)
    assert await _numbers(slips, q=m["noise"][-8:]) == [m["noise"]]  # day and count
    assert await _numbers(slips, q=m["noise"][-4:]) == [  # each day's first slip
        m["wage"], m["noise"], m["lamp"]]
    assert await _numbers(slips, q=m["noise"][2:]) == [m["noise"]]  # without the JB
    assert await _numbers(slips, q="8000") == [m["lamp"]]  # the phone's last four
    assert await _numbers(slips, q="0138000") == [m["lamp"]]
    assert await _numbers(slips, q="1380") == []  # the middle of a phone is no tail
    assert await _numbers(slips, q="8000 噪音") == []  # and every word must still match
    assert await _numbers(slips, q="8000", department="D-STHJ") == []


async def test_handlers_search_only_their_department(slips: Slips, clock: Clock) -> None:
    m = await _city(slips, clock)
    page = await slips.service.list(HANDLER, SlipFilter(q="路"))
    assert [s.number for s in page.items] == [m["lamp"]]


async def test_pages_and_counts(database, clock, pack) -> None:  # type: ignore[no-untyped-def]
    service = SlipService(database, settings=make_settings(**{"slips.count_limit": 100}),
                          clock=clock, pack=pack)
    for i in range(105):
        clock.advance(minutes=1)
        await service.issue(draft(f"第{i}号投诉：路灯坏了"))
    first = await service.list(ADMIN, SlipFilter(), per_page=20)
    assert len(first.items) == 20 and first.total == 100 and not first.total_exact
    assert first.items[0].summary == "第104号投诉：路灯坏了"
    last = await service.list(ADMIN, SlipFilter(), page=6, per_page=20)
    assert len(last.items) == 5 and last.total == 105 and last.total_exact
    assert last.items[-1].summary == "第0号投诉：路灯坏了"
    small = await service.list(ADMIN, SlipFilter(q="第10"), per_page=20)
    assert small.total == 6 and small.total_exact  # 第10号, 第100号 … 第104号


def test_python_bigrams_match_the_sql_function() -> None:
    # The same rule as minyi_bigrams() in the slips migration (checked against PostgreSQL
    # by the search tests above): distinct pairs, ASCII lowered, none across whitespace.
    assert bigrams("路灯坏了 AB") == sorted({"路灯", "灯坏", "坏了", "ab"})
    assert bigrams("灯") == []


async def test_search_pages_run_on_past_the_newest_window(database, clock, pack) -> None:  # type: ignore[no-untyped-def]
    service = SlipService(database, settings=make_settings(**{"slips.search_window": 100}),
                          clock=clock, pack=pack)
    noise = []
    for i in range(150):
        clock.advance(minutes=1)
        text = f"第{i}号：夜里工地噪音" if i % 10 == 3 else f"第{i}号：路灯坏了"
        view = await service.issue(draft(text))
        if i % 10 == 3:
            noise.append(view.number)
    newest_first = list(reversed(noise))  # 15: ten in the newest 100 slips, five older
    pages = [await service.list(ADMIN, SlipFilter(q="噪音"), page=p, per_page=4)
             for p in (1, 2, 3, 4, 5)]
    assert [s.number for p in pages for s in p.items] == newest_first
    assert [len(p.items) for p in pages] == [4, 4, 4, 3, 0]
    assert pages[0].total == 15 and pages[0].total_exact
    street = await service.list(ADMIN, SlipFilter(q="路灯 第1"), per_page=3)
    assert [s.summary for s in street.items] == ["第149号：路灯坏了", "第148号：路灯坏了",
                                                  "第147号：路灯坏了"]
    assert (await service.list(ADMIN, SlipFilter(q="第5号"))).items[0].summary == "第5号：路灯坏了"
