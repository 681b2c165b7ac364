"""What residents said with their ratings, for the dashboard (群众评价原话): the reason of a
不满意 and a comment beside a 满意, newest first, counted as the 满意率 counts them (the same
slips, range and department); answers without words are not listed."""

from __future__ import annotations

from datetime import date

from bot.stats.filters import StatsFilter
from bot.stats.queries import Statistics
from bot.storage import Database
from tests.bot.stats.dataset import A, B, march, said

MARCH = StatsFilter(**march())


async def test_only_answers_with_words_are_listed(stats: Statistics) -> None:
    assert await stats.survey_words(MARCH) == []


async def test_words_are_listed_newest_first_with_the_rated_department(
    stats: Statistics, db: Database
) -> None:
    await said(db, "JB2026030700001", "还是坏的，根本没人来")  # A, 不满意, answered 3-08
    await said(db, "JB2026030800001", "师傅态度很好")  # B, 满意, answered 3-10
    await said(db, "JB2026022800001", "挺快的")  # February: outside the range
    words = await stats.survey_words(MARCH)
    assert [(w.number, w.verdict, w.words, w.department) for w in words] == [
        ("JB2026030800001", "满意", "师傅态度很好", "区住房城乡建委"),
        ("JB2026030700001", "不满意", "还是坏的，根本没人来", "区城市管理局"),
    ]
    assert [w.number for w in await stats.survey_words(StatsFilter(**march(), department=A))
            ] == ["JB2026030700001"]
    assert [w.number for w in await stats.survey_words(StatsFilter(**march(), department=B))
            ] == ["JB2026030800001"]
    assert await stats.survey_words(StatsFilter(**march(), category="交通运输")) == []
    assert [w.number for w in await stats.survey_words(MARCH, limit=1)] == ["JB2026030800001"]
    february = StatsFilter(date_from=date(2026, 2, 1), date_to=date(2026, 2, 28))
    assert [w.words for w in await stats.survey_words(february)] == ["挺快的"]
