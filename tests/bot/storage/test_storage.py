"""The same storage code on SQLite and PostgreSQL, over real connections."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import inspect, select

from bot.storage import Database
from bot.storage.messages import InboundRecord, MessageLog
from bot.storage.migrate import downgrade_connection, upgrade_connection
from bot.storage.models import Message, Resident
from bot.storage.registry import Base


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request: pytest.FixtureRequest) -> str:
    if request.param == "sqlite":
        return request.getfixturevalue("empty_sqlite_url")
    return request.getfixturevalue("pg_databases").create()


async def _tables(db: Database) -> set[str]:
    async with db.engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names())) - {
            "alembic_version"
        }


async def test_migrations_stairway_up_down_up(empty_db_url: str) -> None:
    db = Database.open(empty_db_url)
    try:
        await db.upgrade()
        assert await _tables(db) == {t.name for t in Base.metadata.sorted_tables}
        async with db.engine.begin() as conn:
            await conn.run_sync(downgrade_connection, "base")
        assert await _tables(db) == set()
        await db.upgrade()
        await db.upgrade()  # idempotent
        assert await _tables(db) == {t.name for t in Base.metadata.sorted_tables}
    finally:
        await db.close()


async def test_models_match_the_migrations(empty_db_url: str) -> None:
    """Autogenerate finds nothing to add: a model change without a migration fails here."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    db = Database.open(empty_db_url)
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(upgrade_connection)
            diff = await conn.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata)
            )
    finally:
        await db.close()
    assert diff == []


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    return sqlite_url if request.param == "sqlite" else request.getfixturevalue("pg_url")


@pytest.fixture
async def database(db_url: str):  # type: ignore[no-untyped-def]
    db = Database.open(db_url)
    if db_url.startswith("sqlite"):
        await db.upgrade()
    yield db
    await db.close()


async def test_inbound_messages_are_recorded_once_with_wechat_ids(database: Database) -> None:
    log = MessageLog(database)
    record = InboundRecord(
        openid="oResident0001",
        msg_type="text",
        dedupe_key="oResident0001:m:6054768590064713728",
        wechat_msg_id=6054768590064713728,
        content="小区门口的路灯坏了三天了",
    )
    assert await log.prior_reply(record.dedupe_key) is None
    first = await log.record_exchange(record, "已收到")
    assert first.is_new and first.reply == "已收到"
    assert await log.prior_reply(record.dedupe_key) == "已收到"
    again = await log.record_exchange(record, "另一个答复")
    assert not again.is_new
    assert again.message_id == first.message_id
    assert again.reply == "已收到"  # the first answer stands
    transcript = await log.transcript("oResident0001")
    assert [(m.direction, m.content) for m in transcript] == [
        ("in", "小区门口的路灯坏了三天了"),
        ("out", "已收到"),
    ]
    assert transcript[0].at.tzinfo is not None
    async with database.session() as session:
        row = (
            await session.execute(select(Message).where(Message.id == first.message_id))
        ).scalar_one()
    assert row.wechat_msg_id == 6054768590064713728
    assert row.reply == "已收到"


async def test_a_msgid_past_bigint_is_kept_as_text_only(database: Database) -> None:
    """WeChat's MsgId is 64-bit and may not fit a signed BIGINT (found by tests/hostile: the
    webhook answered 503 on both backends)."""
    log = MessageLog(database)
    huge = 2**63
    record = InboundRecord(
        openid="oBigId", msg_type="text", dedupe_key=f"oBigId:m:{huge}", wechat_msg_id=huge
    )
    first = await log.record_exchange(record, "")
    assert first.is_new
    async with database.session() as session:
        row = (
            await session.execute(select(Message).where(Message.id == first.message_id))
        ).scalar_one()
    assert row.wechat_msg_id is None and row.dedupe_key == f"oBigId:m:{huge}"


async def test_concurrent_duplicates_make_one_row(database: Database) -> None:
    log = MessageLog(database)
    record = InboundRecord(openid="oDup", msg_type="text", dedupe_key="oDup:m:1", content="x")
    results = await asyncio.gather(*(log.record_exchange(record, f"r{i}") for i in range(8)))
    assert len({r.reply for r in results}) == 1
    assert sum(r.is_new for r in results) == 1
    async with database.session() as session:
        count = len(
            (await session.execute(select(Message).where(Message.dedupe_key == "oDup:m:1"))).all()
        )
        residents = (
            (await session.execute(select(Resident).where(Resident.openid == "oDup")))
            .scalars()
            .all()
        )
    assert count == 1 and len(residents) == 1
    assert residents[0].last_message_at is not None


async def test_subscription_state_follows_events(database: Database) -> None:
    log = MessageLog(database)
    await log.record_exchange(
        InboundRecord("oSub", "event", "oSub:e:1:unsubscribe:", event="unsubscribe"),
        "",
        subscribed=False,
    )
    async with database.session() as session:
        resident = (
            await session.execute(select(Resident).where(Resident.openid == "oSub"))
        ).scalar_one()
    assert resident.subscribed is False
    await log.record_exchange(
        InboundRecord("oSub", "event", "oSub:e:2:subscribe:", event="subscribe"),
        "欢迎",
        subscribed=True,
    )
    async with database.session() as session:
        resident = (
            await session.execute(select(Resident).where(Resident.openid == "oSub"))
        ).scalar_one()
    assert resident.subscribed is True


async def test_a_failed_unit_of_work_leaves_nothing(database: Database) -> None:
    with pytest.raises(RuntimeError):
        async with database.session() as session:
            session.add(Resident(openid="oHalf"))
            await session.flush()
            raise RuntimeError("crash mid-transaction")
    async with database.session() as session:
        assert (
            await session.execute(select(Resident).where(Resident.openid == "oHalf"))
        ).first() is None
