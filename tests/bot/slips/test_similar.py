"""Similar slips (普遍性): the open-slip source for triage, and clustering at issue."""

from __future__ import annotations

from datetime import timedelta

from bot.slips.service import SlipService
from bot.slips.similar import OpenSlipCache
from tests.bot.slips.conftest import DISPATCHER, RESIDENT, Clock, Slips, draft, triage
from tests.conftest import make_settings

JIANXIN = {"street": "观音桥街道", "street_code": "S-GYQ", "community": "建新东路社区",
           "community_code": "C-JXDL"}
WULIDIAN = {"street": "五里店街道", "street_code": "S-WLD"}


def similar_to(*numbers: str, score: float = 0.8) -> dict:
    return {**triage(), "similar": [{"key": n, "score": score} for n in numbers]}


async def test_a_slip_like_an_open_one_joins_its_cluster(slips: Slips) -> None:
    first = await slips.issue("建新北路12号路灯坏了")
    second = await slips.issue("建新北路路灯不亮", triage=similar_to(first.number))
    third = await slips.issue("建新北路又一盏路灯坏了", triage=similar_to(second.number))
    assert first.cluster_id is None  # nothing like it was open
    assert second.cluster_id is not None
    assert (await slips.service.get(first.number, DISPATCHER)).cluster_id == second.cluster_id
    assert third.cluster_id == second.cluster_id
    accept = (await slips.events(second.number))[0]
    assert accept.data["similar"] == [first.number]
    assert accept.data["cluster_id"] == second.cluster_id
    # the earlier slip's own history is not rewritten
    assert [e.action for e in await slips.events(first.number)] == ["accept", "dispatch"]


async def test_weak_matches_and_closed_slips_are_not_clustered(slips: Slips) -> None:
    first = await slips.issue("建新北路12号路灯坏了")
    weak = await slips.issue("别的事", triage=similar_to(first.number, score=0.2))
    assert weak.cluster_id is None
    await slips.service.act(first.number, "withdraw", RESIDENT)
    late = await slips.issue("建新北路路灯不亮", triage=similar_to(first.number))
    assert late.cluster_id is None
    assert (await slips.events(late.number))[0].data["similar"] == [first.number]


async def test_the_open_slip_cache_answers_by_area_and_time(
    database, clock: Clock, pack  # type: ignore[no-untyped-def]
) -> None:
    cache = OpenSlipCache(database, clock=clock)
    service = SlipService(database, settings=make_settings(), clock=clock, pack=pack,
                          open_slips=cache)
    lamp = await service.issue(draft("建新北路12号路灯坏了", area=JIANXIN))
    clock.advance(days=2)
    noise = await service.issue(draft("五里店噪音", area=WULIDIAN))
    gone = await service.issue(draft("已经解决了", area=JIANXIN))
    await service.act(gone.number, "withdraw", RESIDENT)

    since = clock.now - timedelta(days=30)
    assert {s.key for s in cache.recent_open_slips(None, since)} == {
        lamp.number, noise.number, gone.number
    }  # added as issued; the withdrawal is seen at the next refresh
    assert await cache.refresh() == 2
    assert [s.key for s in cache.recent_open_slips("S-GYQ", since)] == [lamp.number]
    assert [s.key for s in cache.recent_open_slips("C-JXDL", since)] == [lamp.number]
    assert [s.key for s in cache.recent_open_slips("S-WLD", since)] == [noise.number]
    assert [s.key for s in cache.recent_open_slips(None, clock.now - timedelta(days=1))] == [
        noise.number
    ]
    [slip] = cache.recent_open_slips("C-JXDL", since)
    assert slip.text == "建新北路12号路灯坏了" and slip.area_code == "C-JXDL"


def _with_shipped_triage(database, clock: Clock, pack):  # type: ignore[no-untyped-def]
    """A slip service whose shipped triage looks for similar slips in an open-slip cache."""
    from knowledge.triage import load_default_triage

    cache = OpenSlipCache(database, clock=clock)
    tri = load_default_triage(similar_source=cache)
    service = SlipService(database, settings=make_settings(), clock=clock, pack=pack,
                          triage=tri, open_slips=cache)
    return service, cache


async def test_the_shipped_triage_finds_an_open_duplicate_through_the_cache(
    database, clock: Clock, pack  # type: ignore[no-untyped-def]
) -> None:
    service, _ = _with_shipped_triage(database, clock, pack)

    def d(text: str):  # type: ignore[no-untyped-def]
        base = draft(text)
        return type(base)(**{**base.__dict__, "triage": None})

    first = await service.issue(d("建新北路12号小区门口的路灯坏了，晚上一片漆黑"))
    clock.advance(hours=3)
    second = await service.issue(d("建新北路12号门口路灯坏了好几天，晚上很黑"))
    assert second.cluster_id is not None
    assert (await service.get(first.number, DISPATCHER)).cluster_id == second.cluster_id
    assert second.universality in ("多人", "群体")


async def test_open_slips_are_compared_by_the_residents_own_words_not_shared_links(
    database, clock: Clock, pack  # type: ignore[no-untyped-def]
) -> None:
    service, cache = _with_shipped_triage(database, clock, pack)
    article = "群众发来的链接：江北区将开展老旧小区路灯和下水道集中整治 https://example.cn/a/1"

    def d(text: str, link: bool):  # type: ignore[no-untyped-def]
        base = draft(text)
        description = f"{text}\n{article}" if link else text
        return type(base)(**{**base.__dict__, "triage": None, "description": description,
                             "triage_text": text})

    first = await service.issue(d("建新北路12号小区门口的路灯坏了，晚上一片漆黑", link=True))
    clock.advance(hours=1)
    other = await service.issue(d("我家楼下有人半夜唱歌，吵得睡不着", link=True))
    assert other.cluster_id is None  # the same article does not make them one problem
    await cache.refresh()  # reloaded from the table, link line and all
    [stored] = [s for s in cache.recent_open_slips(None, clock.now - timedelta(days=1))
                if s.key == first.number]
    assert stored.text == "建新北路12号小区门口的路灯坏了，晚上一片漆黑"
    again = await service.issue(d("建新北路12号门口路灯坏了好几天，晚上很黑", link=False))
    assert again.cluster_id is not None


async def test_open_slips_are_weighed_before_the_first_complaint_needs_them(
    database, clock: Clock, pack  # type: ignore[no-untyped-def]
) -> None:
    """After a start the cache holds the open slips; the web process weighs them (and loads
    the classifier) in the background, so the first complaint of an area does not."""
    from bot.app import prepare_similar
    from handlers.conversation import ShippedTriage

    cache = OpenSlipCache(database, clock=clock)
    service = SlipService(database, settings=make_settings(), clock=clock, pack=pack)
    for text in ("建新北路12号路灯坏了", "五里店噪音很大", "北城天街门口井盖丢了"):
        await service.issue(draft(text, area=JIANXIN))
    assert await cache.refresh() == 3
    triage = ShippedTriage(cache)

    assert await prepare_similar(triage, cache) == 3
    matcher = triage.loaded().similar_source
    assert len(matcher) == 3
    # weighed once: a second pass (the next refresh) finds them all remembered
    assert await prepare_similar(triage, cache) == 3 and len(matcher) == 3


async def test_nothing_to_weigh_without_a_shipped_triage(database, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    from bot.app import prepare_similar

    assert await prepare_similar(None, OpenSlipCache(database, clock=clock)) == 0
