"""A web process weighs the open slips it loads for the similar-slip search in the background
after it starts, before a complaint needs them: the first complaint of an area after a start
read every open slip of the area with the event loop held (2000 slips: half a second)."""

from __future__ import annotations

import asyncio

from aiohttp.test_utils import TestServer

from bot.app import create_app
from bot.slips.service import SlipService
from bot.storage import Database
from handlers import conversation
from knowledge.pack import load_pack
from tests.bot.slips.conftest import draft
from tests.conftest import make_settings

AREA = {"street": "观音桥街道", "street_code": "S-GYQ"}


async def test_a_started_process_weighs_the_open_slips_it_found(sqlite_url: str) -> None:
    settings = make_settings(**{"database.url": sqlite_url, "redis.url": "memory://"})
    database = Database.open(sqlite_url)
    try:
        service = SlipService(database, settings=settings, pack=load_pack())
        for text in ("建新北路12号路灯坏了", "观音桥步行街下水道堵了"):
            await service.issue(draft(text, area=AREA))
    finally:
        await database.close()

    app = create_app(settings)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        triage = app[conversation.ENGINE].kit.classifier
        assert isinstance(triage, conversation.ShippedTriage)
        for _ in range(200):  # the refresher runs in the background
            matcher = triage._triage.similar_source if triage._triage is not None else None
            if matcher is not None and len(matcher) == 2:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the open slips were not weighed after the start")
    finally:
        await server.close()
