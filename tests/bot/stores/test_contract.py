"""One contract, two implementations: in-process and real Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.stores import ClaimState, LockTimeout, StateSuperseded, Stores
from bot.stores.memory import MemoryStores
from bot.stores.redis import RedisStores
from tests.conftest import REDIS_URL


@pytest.fixture(params=["memory", "redis"])
async def stores(request: pytest.FixtureRequest) -> AsyncIterator[Stores]:
    if request.param == "memory":
        store: Stores = MemoryStores()
    else:
        prefix = request.getfixturevalue("redis_prefix")
        store = RedisStores.from_url(REDIS_URL, prefix)
        assert await store.ping(), "Redis must be running for the test suite"
    yield store
    await store.close()


async def test_conversation_state_round_trips_and_expires(stores: Stores) -> None:
    state = {"form": "intake", "slots": {"description": "路灯坏了", "phone": None}, "turns": 2}
    await stores.save_state("o1", state, ttl_seconds=0.3)
    assert await stores.load_state("o1") == state
    assert await stores.load_state("o2") is None
    await asyncio.sleep(0.45)
    assert await stores.load_state("o1") is None


async def test_state_is_a_copy_not_a_live_reference(stores: Stores) -> None:
    state = {"slots": {"a": 1}}
    await stores.save_state("o1", state, 60)
    state["slots"]["a"] = 2
    assert (await stores.load_state("o1")) == {"slots": {"a": 1}}
    await stores.drop_state("o1")
    assert await stores.load_state("o1") is None


async def test_dedupe_claim_pending_done(stores: Stores) -> None:
    assert (await stores.claim("k", 5)).state is ClaimState.NEW
    assert (await stores.claim("k", 5)).state is ClaimState.PENDING
    await stores.finish("k", "您好", 60)
    claim = await stores.claim("k", 5)
    assert claim.state is ClaimState.DONE and claim.reply == "您好"
    assert (await stores.peek("k")).reply == "您好"


async def test_empty_reply_is_cached_as_done(stores: Stores) -> None:
    await stores.claim("k", 5)
    await stores.finish("k", "", 60)
    claim = await stores.claim("k", 5)
    assert claim.state is ClaimState.DONE and claim.reply == ""


async def test_abandoned_claim_can_be_taken_again(stores: Stores) -> None:
    await stores.claim("k", 5)
    await stores.abandon("k")
    assert (await stores.claim("k", 5)).state is ClaimState.NEW


async def test_abandon_never_drops_a_finished_reply(stores: Stores) -> None:
    await stores.claim("k", 5)
    await stores.finish("k", "答复", 60)
    await stores.abandon("k")
    assert (await stores.peek("k")).reply == "答复"


async def test_lease_lapses_unless_renewed(stores: Stores) -> None:
    await stores.claim("dead", 0.2)
    await stores.claim("alive", 0.2)
    for _ in range(3):
        await asyncio.sleep(0.1)
        await stores.renew("alive", 0.2)
    assert (await stores.peek("dead")).state is ClaimState.NEW
    assert (await stores.peek("alive")).state is ClaimState.PENDING


async def test_lock_excludes_and_times_out(stores: Stores) -> None:
    order: list[str] = []

    async def worker(name: str) -> None:
        async with stores.lock("resident", ttl_seconds=5, wait_seconds=5):
            order.append(f"{name}-in")
            await asyncio.sleep(0.05)
            order.append(f"{name}-out")

    await asyncio.gather(worker("a"), worker("b"))
    assert order[0].endswith("-in") and order[1].endswith("-out")
    assert order[0][0] == order[1][0]  # nobody entered while the other was inside

    async with stores.lock("busy", ttl_seconds=5, wait_seconds=5):
        with pytest.raises(LockTimeout):
            async with stores.lock("busy", ttl_seconds=5, wait_seconds=0.1):
                pass


async def test_hold_reads_the_state_with_the_lock_and_writes_it_with_the_release(
    stores: Stores,
) -> None:
    async with stores.hold("o1", ttl_seconds=5, wait_seconds=1) as held:
        assert held.state is None  # nothing stored yet
        held.keep({"slots": {"description": "路灯坏了"}}, 60)
        assert await stores.load_state("o1") is None  # written on release, not before
        with pytest.raises(LockTimeout):  # it is the conversation's lock
            async with stores.lock("o1", ttl_seconds=5, wait_seconds=0.1):
                pass
    assert await stores.load_state("o1") == {"slots": {"description": "路灯坏了"}}
    async with stores.hold("o1", ttl_seconds=5, wait_seconds=1) as held:
        assert held.state == {"slots": {"description": "路灯坏了"}}
        # nothing kept: the state stays as it was
    assert await stores.load_state("o1") == {"slots": {"description": "路灯坏了"}}


async def test_a_hold_that_fails_writes_nothing_and_frees_the_lock(stores: Stores) -> None:
    await stores.save_state("o1", {"turns": 1}, 60)
    with pytest.raises(RuntimeError):
        async with stores.hold("o1", ttl_seconds=5, wait_seconds=1) as held:
            held.keep({"turns": 2}, 60)
            raise RuntimeError("the turn failed")
    assert await stores.load_state("o1") == {"turns": 1}
    async with stores.hold("o1", ttl_seconds=5, wait_seconds=0.1) as held:
        assert held.state == {"turns": 1}


async def test_holds_of_one_key_take_turns(stores: Stores) -> None:
    async def turn() -> None:
        async with stores.hold("o1", ttl_seconds=5, wait_seconds=5) as held:
            count = (held.state or {"turns": 0})["turns"]
            await asyncio.sleep(0.02)
            held.keep({"turns": count + 1}, 60)

    await asyncio.gather(*(turn() for _ in range(5)))
    assert await stores.load_state("o1") == {"turns": 5}  # no turn lost to another


async def test_rate_limit_counts_per_key(stores: Stores) -> None:
    results = [await stores.hit("o1", limit=3, window_seconds=60) for _ in range(5)]
    assert results == [True, True, True, False, False]
    assert await stores.hit("o2", limit=3, window_seconds=60)


async def test_values_with_only_if_absent(stores: Stores) -> None:
    assert await stores.set_value("token", "a", 60, only_if_absent=True)
    assert not await stores.set_value("token", "b", 60, only_if_absent=True)
    assert await stores.get_value("token") == "a"
    await stores.set_value("token", "c", 60)
    assert await stores.get_value("token") == "c"
    await stores.delete_value("token")
    assert await stores.get_value("token") is None


async def test_redis_keys_carry_the_prefix(redis_prefix: str) -> None:
    from redis.asyncio import Redis

    store = RedisStores.from_url(REDIS_URL, redis_prefix)
    await store.save_state("o1", {"a": 1}, 60)
    client = Redis.from_url(REDIS_URL)
    keys = [k async for k in client.scan_iter(f"{redis_prefix}:*")]
    await client.aclose()
    await store.close()
    assert sorted(keys) == [f"{redis_prefix}:state:o1".encode(), f"{redis_prefix}:ver:o1".encode()]


# -- a holder whose lock lapsed (its process stood still past the lease) -----------------------


@pytest.fixture
async def two_processes(redis_prefix: str) -> AsyncIterator[tuple[RedisStores, RedisStores]]:
    """Two web processes' stores on one Redis."""
    first, second = (RedisStores.from_url(REDIS_URL, redis_prefix) for _ in range(2))
    yield first, second
    await first.close()
    await second.close()


async def lapse(redis_prefix: str, key: str) -> None:
    """The lock's lease runs out, as it does while its holder's process is frozen."""
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_URL)
    await client.delete(f"{redis_prefix}:lock:{key}")
    await client.aclose()


async def test_a_lapsed_holder_cannot_put_back_an_older_conversation(
    two_processes: tuple[RedisStores, RedisStores], redis_prefix: str
) -> None:
    stalled, other = two_processes
    await other.save_state("o1", {"turns": 1}, 60)
    with pytest.raises(StateSuperseded):
        async with stalled.hold("o1", ttl_seconds=5, wait_seconds=1) as held:
            assert held.state == {"turns": 1}
            await lapse(redis_prefix, "o1")
            async with other.hold("o1", ttl_seconds=5, wait_seconds=0.1) as moved_on:
                moved_on.keep({"turns": 2, "by": "other"}, 60)
            held.keep({"turns": 2, "by": "stalled"}, 60)
    assert await other.load_state("o1") == {"turns": 2, "by": "other"}
    # the refused holder did not release the other's lock either: the next turn gets it
    async with other.hold("o1", ttl_seconds=5, wait_seconds=0.1) as held:
        assert held.state == {"turns": 2, "by": "other"}


async def test_a_lapsed_holder_cannot_write_in_the_middle_of_its_turn(
    two_processes: tuple[RedisStores, RedisStores], redis_prefix: str
) -> None:
    stalled, other = two_processes
    async with stalled.hold("o1", ttl_seconds=5, wait_seconds=1) as held:
        await held.save({"turns": 1, "by": "stalled"}, 60)  # its own: written, lock kept
        assert await other.load_state("o1") == {"turns": 1, "by": "stalled"}
        with pytest.raises(LockTimeout):
            async with other.hold("o1", ttl_seconds=5, wait_seconds=0.05):
                pass
        await lapse(redis_prefix, "o1")
        async with other.hold("o1", ttl_seconds=5, wait_seconds=0.1) as moved_on:
            moved_on.keep({"turns": 2, "by": "other"}, 60)
        with pytest.raises(StateSuperseded):
            await held.save({"turns": 2, "by": "stalled"}, 60)
        held.kept = None  # the turn is dropped: nothing written at release
    assert await other.load_state("o1") == {"turns": 2, "by": "other"}


async def test_a_stall_nobody_stepped_into_still_writes(redis_prefix: str) -> None:
    """One process whose event loop stood still past the lease (nothing renewed it) and that
    nobody else replaced: its turn is the newest, and is kept."""
    import time

    store = RedisStores.from_url(REDIS_URL, redis_prefix)
    try:
        await store.save_state("o1", {"turns": 1}, 60)
        async with store.hold("o1", ttl_seconds=0.15, wait_seconds=1) as held:
            time.sleep(0.3)  # noqa: ASYNC251 - the stall itself: no renewal can run
            held.keep({"turns": 2}, 60)
        assert await store.load_state("o1") == {"turns": 2}
    finally:
        await store.close()


async def test_writes_outside_a_hold_make_a_holders_read_stale(
    two_processes: tuple[RedisStores, RedisStores], redis_prefix: str
) -> None:
    holder, other = two_processes
    await other.save_state("o1", {"turns": 1}, 60)
    with pytest.raises(StateSuperseded):
        async with holder.hold("o1", ttl_seconds=5, wait_seconds=1) as held:
            await other.save_state("o1", {"turns": 5}, 60)
            held.keep({"turns": 2}, 60)
    assert await other.load_state("o1") == {"turns": 5}
    with pytest.raises(StateSuperseded):
        async with holder.hold("o1", ttl_seconds=5, wait_seconds=1) as held:
            await other.drop_state("o1")  # e.g. a resident's data erased meanwhile
            held.keep({"turns": 6}, 60)
    assert await other.load_state("o1") is None
