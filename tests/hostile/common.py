"""Shared checks for the hostile-input corpus: row counts and 'the process still answers'."""

from __future__ import annotations

from aiohttp.test_utils import TestClient
from sqlalchemy import text

from handlers import keys

TABLES = ("message", "slip", "slip_event", "outbox", "staff_user", "staff_api_token")


async def row_counts(client: TestClient) -> dict[str, int]:
    db = client.server.app[keys.DATABASE]
    counts: dict[str, int] = {}
    async with db.engine.connect() as conn:
        for table in TABLES:
            counts[table] = int(
                (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
            )
    return counts


async def assert_still_up(client: TestClient) -> None:
    response = await client.get("/healthz")
    assert response.status == 200, await response.text()


def assert_clear_4xx(status: int, body: str = "") -> None:
    assert 400 <= status < 500, f"expected a clear 4xx, got {status}: {body[:300]}"
