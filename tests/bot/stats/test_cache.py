"""The public cache: one generation for every page, moved by the slips' watermark."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import delete, insert, select

from bot.slips.models import SlipEvent
from bot.stats.cache import WatermarkCache
from bot.stats.watermark import slip_watermark
from bot.storage import Database
from tests.bot.stats.dataset import insert as insert_dataset


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Source:
    """A watermark and the data behind two pages; counts the readings."""

    def __init__(self) -> None:
        self.mark = 1
        self.readings = 0
        self.closed = 0
        self.fail = False

    async def watermark(self) -> int:
        self.readings += 1
        await asyncio.sleep(0)
        if self.fail:
            raise ConnectionError("database away")
        return self.mark

    async def figure(self) -> int:
        return self.closed


def make(source: Source, clock: Clock) -> WatermarkCache:
    return WatermarkCache(300, source.watermark, check_every=1.0, clock=clock)


async def test_pages_cached_apart_agree_once_the_watermark_moves() -> None:
    source, clock = Source(), Clock()
    cache = make(source, clock)
    assert await cache.get("front", source.figure) == 0
    source.closed, source.mark = 1, 2  # a slip is closed
    clock.now += 30
    # the list is asked for the first time: fresh; the front page must follow, not wait 300 s
    assert await cache.get("list", source.figure) == 1
    assert await cache.get("front", source.figure) == 1


async def test_the_watermark_is_read_at_most_once_a_check_interval() -> None:
    source, clock = Source(), Clock()
    cache = make(source, clock)
    for _ in range(5):
        await cache.get("front", source.figure)
    assert source.readings == 1
    clock.now += 0.5
    source.closed, source.mark = 1, 2
    assert await cache.get("front", source.figure) == 0  # not read again yet
    clock.now += 0.6
    assert await cache.get("front", source.figure) == 1
    assert source.readings == 2


async def test_concurrent_requests_share_one_reading() -> None:
    source, clock = Source(), Clock()
    cache = make(source, clock)
    values = await asyncio.gather(*(cache.get(i % 3, source.figure) for i in range(50)))
    assert values == [0] * 50 and source.readings == 1


async def test_without_a_change_entries_live_their_ttl() -> None:
    source, clock = Source(), Clock()
    cache = make(source, clock)
    await cache.get("front", source.figure)
    source.closed = 1  # changed without an event: not seen until the entry expires
    clock.now += 299
    assert await cache.get("front", source.figure) == 0
    clock.now += 2
    assert await cache.get("front", source.figure) == 1


async def test_a_failed_reading_keeps_the_cached_pages() -> None:
    source, clock = Source(), Clock()
    cache = make(source, clock)
    await cache.get("front", source.figure)
    source.fail, source.closed = True, 1
    clock.now += 5
    assert await cache.get("front", source.figure) == 0
    assert await cache.current() == 1
    # with nothing known yet, the failure is the caller's
    with pytest.raises(ConnectionError):
        await make(source, Clock()).get("front", source.figure)


async def test_the_slip_watermark_moves_with_every_event_even_a_late_one(db: Database) -> None:
    assert await slip_watermark(db) == (None, 0)
    await insert_dataset(db)
    first = await slip_watermark(db)
    assert first[0] is not None and first[1] >= 2
    async with db.session() as session:
        rows = (await session.execute(select(SlipEvent.__table__).order_by(SlipEvent.id))).all()
        middle = dict(rows[len(rows) // 2]._mapping)
        # an event whose id was handed out before the newest one's but committed after it
        await session.execute(delete(SlipEvent).where(SlipEvent.id == middle["id"]))
    gap = await slip_watermark(db)
    assert gap[0] == first[0] and gap != first
    async with db.session() as session:
        await session.execute(insert(SlipEvent).values(**middle))
    assert await slip_watermark(db) == first != gap
