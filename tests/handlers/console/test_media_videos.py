"""A resident's video on the slip page: a player over the saved copy (through the same
authenticated media route as photos), or the reason in words when there is none."""

from __future__ import annotations

from bot.simulator.media import media_bytes
from bot.simulator.models import MEDIA_TTL
from tests.handlers.console.test_media_copies import Desk, desk  # noqa: F401  fixture
from tests.handlers.staff_app import NewBrowser, signed_in


async def test_saved_video_plays_in_the_page_after_wechat_deleted_it(
    desk: Desk, browsers: NewBrowser  # noqa: F811
) -> None:
    slip, (video,) = await desk.slip("video")
    await desk.copy_media()
    desk.sim.advance(MEDIA_TTL + 3600)  # four days later: WeChat answers 40007 now
    calls = len(desk.sim.calls)

    cg = await signed_in(browsers, desk.client, "cg")
    response = await cg.session.get(cg.url(f"/console/slips/{slip.number}"))
    page = await response.text()
    href = f"/console/slips/{slip.number}/media/0"
    assert f'<video controls preload="metadata" src="{href}">' in page
    assert "图片、语音和视频" in page and "未能保存" not in page and "还没保存好" not in page
    assert "media-src 'self'" in response.headers["Content-Security-Policy"]

    response = await cg.session.get(cg.url(href))
    expected = media_bytes("video", video)
    assert response.status == 200 and response.content_type == "video/mp4"
    assert await response.read() == expected
    assert response.headers["Content-Disposition"].startswith("inline")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    # the player asks for parts of it
    response = await cg.session.get(cg.url(href), headers={"Range": "bytes=0-7"})
    assert response.status == 206 and await response.read() == expected[:8]
    assert len(desk.sim.calls) == calls  # not asked of WeChat again

    # only staff who may see the slip
    hb = await signed_in(browsers, desk.client, "hb")
    assert (await hb.session.get(hb.url(href))).status == 403


async def test_expired_video_says_so_instead_of_a_broken_player(
    desk: Desk, browsers: NewBrowser  # noqa: F811
) -> None:
    slip, _ = await desk.slip("video")
    desk.sim.advance(MEDIA_TTL + 3600)  # nobody copied it in time
    await desk.copy_media()
    cg = await signed_in(browsers, desk.client, "cg")
    _, page = await cg.get(f"/console/slips/{slip.number}")
    assert "视频已过期，未能保存" in page and "<video" not in page
    response = await cg.session.get(cg.url(f"/console/slips/{slip.number}/media/0"))
    assert response.status == 404


async def test_before_it_is_saved_the_video_comes_from_its_wechat_link(
    desk: Desk, browsers: NewBrowser  # noqa: F811
) -> None:
    slip, (video,) = await desk.slip("video")
    cg = await signed_in(browsers, desk.client, "cg")
    _, page = await cg.get(f"/console/slips/{slip.number}")
    assert f'<video controls preload="metadata" src="/console/slips/{slip.number}/media/0">' in page
    assert "还没保存好" in page
    response = await cg.session.get(cg.url(f"/console/slips/{slip.number}/media/0"))
    assert response.status == 200 and response.content_type == "video/mp4"
    assert await response.read() == media_bytes("video", video)
