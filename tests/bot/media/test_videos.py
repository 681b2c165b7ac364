"""Residents' videos are copied out of WeChat like their photos: media/get answers a video
with {"video_url": …} and the file is downloaded from there (the simulator does what WeChat
does, over real HTTP)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from bot.media.files import MediaFiles
from bot.media.models import MediaStatus
from bot.simulator.media import media_bytes
from bot.simulator.models import MEDIA_TTL
from tests.bot.delivery.conftest import StackFactory
from tests.bot.media.test_fetcher import A, _copies, _fetcher, _media_calls, _slip, _stack


async def test_a_video_is_copied_through_its_link_and_kept_after_wechat_deletes_it(
    make_stack: StackFactory, tmp_path: Path
) -> None:
    stack = await _stack(make_stack, tmp_path)
    video = stack.sim.issue_media("video", A)
    await _slip(stack, [{"type": "video", "media_id": video}])
    assert (await _copies(stack))[video].status == MediaStatus.PENDING

    await _fetcher(stack).drain()
    stack.sim.advance(MEDIA_TTL + 60)  # WeChat has deleted it now

    copy = (await _copies(stack))[video]
    expected = media_bytes("video", video)
    assert (copy.status, copy.content_type, copy.size, copy.kind) == (
        MediaStatus.STORED, "video/mp4", len(expected), "video")
    assert copy.sha256 == hashlib.sha256(expected).hexdigest()
    files = MediaFiles(tmp_path / "media")
    assert files.read(copy.sha256, "video/mp4") == expected
    assert files.path_for(copy.sha256, "video/mp4").suffix == ".mp4"
    assert len(_media_calls(stack)) == 1


async def test_a_video_wechat_no_longer_has_is_marked_expired(
    make_stack: StackFactory, tmp_path: Path
) -> None:
    stack = await _stack(make_stack, tmp_path)
    video = stack.sim.issue_media("video", A)
    await _slip(stack, [{"type": "video", "media_id": video}])
    stack.sim.advance(MEDIA_TTL + 60)
    await _fetcher(stack).drain()
    copy = (await _copies(stack))[video]
    assert (copy.status, copy.attempts, copy.sha256) == (MediaStatus.EXPIRED, 1, None)
    assert "40007" in copy.last_error


async def test_videos_have_their_own_size_cap(make_stack: StackFactory, tmp_path: Path) -> None:
    # a photo cap smaller than the video: the video is still kept (its own cap applies)
    stack = await _stack(make_stack, tmp_path, **{"media.max_bytes": 40})
    video = stack.sim.issue_media("video", A)
    assert len(media_bytes("video", video)) > 40
    await _slip(stack, [{"type": "video", "media_id": video}])
    await _fetcher(stack).drain()
    assert (await _copies(stack))[video].status == MediaStatus.STORED

    # and a video over the video cap is not kept, at once
    small = await _stack(make_stack, tmp_path / "small", **{"media.max_video_bytes": 20})
    other = small.sim.issue_media("video", A)
    await _slip(small, [{"type": "video", "media_id": other}], key="m2")
    await _fetcher(small).drain()
    copy = (await _copies(small))[other]
    assert (copy.status, copy.attempts) == (MediaStatus.FAILED, 1)
    assert "more than 20" in copy.last_error


async def test_a_video_that_is_not_one_is_not_kept(
    make_stack: StackFactory, tmp_path: Path
) -> None:
    # the slip says video, WeChat's media id is a photo: not served as a video to staff
    stack = await _stack(make_stack, tmp_path)
    photo = stack.sim.issue_media("image", A)
    await _slip(stack, [{"type": "video", "media_id": photo}])
    await _fetcher(stack).drain()
    copy = (await _copies(stack))[photo]
    assert copy.status == MediaStatus.FAILED and "image/jpeg" in copy.last_error
