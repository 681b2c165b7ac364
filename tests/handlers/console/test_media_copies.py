"""A slip's photos and voice notes on the slip page come from the copy the worker saved, so
they are still there after WeChat deletes its temporary media (3 days)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.config import Settings
from bot.delivery.runtime import DELIVERY
from bot.simulator import SIMULATOR_STATE, SimulatorState, create_simulator_app
from bot.simulator.media import media_bytes
from bot.simulator.models import MEDIA_TTL
from tests.bot.delivery.conftest import FAST, sim_config
from tests.handlers.staff_app import (
    FAST_PASSWORDS,
    NewBrowser,
    add_member,
    issue_slip,
    signed_in,
    staff_of,
)

RESIDENT = "oMediaConsoleResident0000001"


@dataclass
class Desk:
    client: TestClient
    sim: SimulatorState

    async def slip(self, *kinds: str):
        ids = [self.sim.issue_media(kind, RESIDENT) for kind in kinds]
        slip = await issue_slip(self.client, openid=RESIDENT, media=[
            {"type": kind, "media_id": m} for kind, m in zip(kinds, ids, strict=True)])
        return slip, ids

    async def copy_media(self) -> None:
        await self.client.server.app[DELIVERY].media.drain()


@pytest.fixture
async def desk(aiohttp_client, console_settings: Settings, tmp_path: Path
               ) -> AsyncIterator[Desk]:
    server = TestServer(create_simulator_app(sim_config()), host="127.0.0.1")
    await server.start_server()
    try:
        settings = console_settings.with_overrides(**{
            **FAST, "wechat.api_base": str(server.make_url("")).rstrip("/"),
            "media.dir": str(tmp_path / "media"), "media.retry_base_seconds": 0.01,
            "media.max_attempts": 2,
        })
        client = await aiohttp_client(create_app(settings, migrate=True))
        staff_of(client).passwords = FAST_PASSWORDS
        sim = server.app[SIMULATOR_STATE]
        sim.add_resident(RESIDENT)
        await add_member(client, "cg", "handler", "D-CGJ", "城管李科长")
        await add_member(client, "hb", "handler", "D-STHJ", "环保王科长")
        yield Desk(client, sim)
    finally:
        await server.close()


async def test_saved_photo_and_voice_are_served_after_wechat_deleted_them(
    desk: Desk, browsers: NewBrowser
) -> None:
    slip, (photo, voice) = await desk.slip("image", "voice")
    await desk.copy_media()
    desk.sim.advance(MEDIA_TTL + 3600)  # four days later: WeChat answers 40007 now
    calls = len(desk.sim.calls)

    cg = await signed_in(browsers, desk.client, "cg")
    _, page = await cg.get(f"/console/slips/{slip.number}")
    assert f'<img src="/console/slips/{slip.number}/media/0" alt="群众发来的图片"' in page
    assert f'href="/console/slips/{slip.number}/media/1">语音<br>下载' in page
    assert "未能保存" not in page

    response = await cg.session.get(cg.url(f"/console/slips/{slip.number}/media/0"))
    assert response.status == 200 and response.content_type == "image/jpeg"
    assert await response.read() == media_bytes("image", photo)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert response.headers["Content-Disposition"].startswith("inline")
    response = await cg.session.get(cg.url(f"/console/slips/{slip.number}/media/1"))
    assert response.status == 200 and response.content_type == "audio/amr"
    assert await response.read() == media_bytes("voice", voice)
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert len(desk.sim.calls) == calls  # not asked of WeChat again

    # only staff who may see the slip; nobody signed in is sent to the login page
    hb = await signed_in(browsers, desk.client, "hb")
    response = await hb.session.get(hb.url(f"/console/slips/{slip.number}/media/0"))
    assert response.status == 403
    response = await desk.client.get(f"/console/slips/{slip.number}/media/0",
                                     allow_redirects=False)
    assert response.status == 303 and "/console/login" in response.headers["Location"]
    for path in ("media/2", "media/-1", "media/..%2F..%2Fetc%2Fpasswd", "media/0%2F..%2F1"):
        response = await cg.session.get(cg.url(f"/console/slips/{slip.number}/{path}"))
        assert response.status == 404, path


async def test_expired_photo_says_so_instead_of_a_broken_image(
    desk: Desk, browsers: NewBrowser
) -> None:
    slip, _ = await desk.slip("image")
    desk.sim.advance(MEDIA_TTL + 3600)  # nobody copied it in time (workers were down)
    await desk.copy_media()
    cg = await signed_in(browsers, desk.client, "cg")
    _, page = await cg.get(f"/console/slips/{slip.number}")
    assert "图片已过期，未能保存" in page and "<img" not in page
    response = await cg.session.get(cg.url(f"/console/slips/{slip.number}/media/0"))
    assert response.status == 404


async def test_photo_wechat_keeps_failing_for_ends_as_not_saved(
    desk: Desk, browsers: NewBrowser
) -> None:
    slip, _ = await desk.slip("image")
    desk.sim.add_fault("media/get", http_status=502, count=1000)
    await desk.copy_media()
    cg = await signed_in(browsers, desk.client, "cg")
    _, page = await cg.get(f"/console/slips/{slip.number}")
    assert "图片未能从微信取回，未能保存" in page and "<img" not in page


async def test_before_it_is_saved_the_photo_comes_from_wechat(
    desk: Desk, browsers: NewBrowser
) -> None:
    slip, (photo,) = await desk.slip("image")
    cg = await signed_in(browsers, desk.client, "cg")
    _, page = await cg.get(f"/console/slips/{slip.number}")
    assert f'<img src="/console/slips/{slip.number}/media/0"' in page
    response = await cg.session.get(cg.url(f"/console/slips/{slip.number}/media/0"))
    assert response.status == 200 and await response.read() == media_bytes("image", photo)
