"""The durable copy of unfinished conversations, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text, update

from bot.config import Settings
from bot.storage import Database
from bot.storage.drafts import ConversationDraft, DraftBackup
from bot.storage.types import utcnow


async def test_a_copy_is_saved_replaced_read_and_dropped(backend_settings: Settings) -> None:
    db = Database.open(backend_settings.database.url)
    try:
        copies = DraftBackup(db)
        assert await copies.load("dialog:oDraft", 3600) is None
        await copies.save("dialog:oDraft", {"slots": {"description": "路灯坏了"}})
        await copies.save("dialog:oDraft", {"slots": {"description": "路灯坏了三天了"}})
        assert await copies.load("dialog:oDraft", 3600) == {
            "slots": {"description": "路灯坏了三天了"}}
        async with db.session() as session:  # older than the store's own expiry: ignored
            await session.execute(update(ConversationDraft).values(
                updated_at=utcnow() - timedelta(hours=2)))
        assert await copies.load("dialog:oDraft", 3600) is None
        await copies.drop("dialog:oDraft")
        await copies.drop("dialog:oDraft")  # nothing left: no error
        assert await copies.load("dialog:oDraft", 10**6) is None
    finally:
        await db.close()


async def test_skipping_the_disk_flush_stays_with_the_copy(backend_settings: Settings) -> None:
    """On PostgreSQL a copy's commit does not wait for the disk; that must not leak into the
    pooled connection, whose next user may be issuing a slip (which must be flushed)."""
    db = Database.open(backend_settings.database.url, pool_size=1)
    try:
        copies = DraftBackup(db)
        await copies.save("dialog:oFlush", {"slots": {"description": "路灯坏了"}})
        await copies.drop("dialog:oFlush")
        await copies.save("dialog:oFlush", {"slots": {"description": "路灯坏了三天了"}})
        assert await copies.load("dialog:oFlush", 3600) == {
            "slots": {"description": "路灯坏了三天了"}}
        if db.dialect == "postgresql":
            async with db.engine.connect() as conn:  # the same (only) pooled connection
                assert await conn.scalar(text("SHOW synchronous_commit")) == "on"
    finally:
        await db.close()
