"""Residents' videos are copied out of WeChat like their photos: media/get answers a video
with {"video_url": …} and the file is downloaded from there (the simulator does what WeChat
does, over real HTTP)."""

from __future__ import annotations

import hashlib
import struct
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiohttp import web

from bot.media.files import Incoming, MediaFiles
from bot.media.models import MediaStatus
from bot.simulator import control
from bot.simulator.media import media_bytes, mp4_stub
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


# -- large videos: streamed to disk, never whole in memory ------------------------------------

CHUNK = 64 * 1024


def _big_mp4_chunks(megabytes: int, *, head: bytes | None = None) -> Iterator[bytes]:
    """A `megabytes` MB MP4 (an `ftyp` box, then one `mdat` box of filler) in 64 KB pieces,
    made as it is sent: neither the simulator nor the test ever holds all of it."""
    total = megabytes * 1024 * 1024
    ftyp = mp4_stub("")[:28]  # the stub's ftyp box
    first = head if head is not None else ftyp + struct.pack(">I", total - len(ftyp)) + b"mdat"
    yield first + bytes(CHUNK - len(first))
    for n in range(1, total // CHUNK):
        yield n.to_bytes(4, "big") * (CHUNK // 4)


def _serve_big_videos(monkeypatch: pytest.MonkeyPatch, megabytes: int,
                      head: bytes | None = None) -> list[int]:
    """The simulator's video links serve a large video, streamed (chunked, no length); the
    list has the sizes of the pieces the bot writes to its partial file."""

    async def body() -> AsyncIterator[bytes]:
        for chunk in _big_mp4_chunks(megabytes, head=head):
            yield chunk

    def media_response(kind: str, media_id: str) -> web.Response:
        return web.Response(body=body(), content_type="video/mp4")

    monkeypatch.setattr(control, "media_response", media_response)
    written: list[int] = []
    write = Incoming.write

    def counted(self: Incoming, chunk: bytes) -> None:
        written.append(len(chunk))
        write(self, chunk)

    monkeypatch.setattr(Incoming, "write", counted)
    return written


def _parts(tmp_path: Path) -> list[Path]:
    return list((tmp_path / "media").rglob(".part-*"))


async def test_a_large_video_is_streamed_to_its_file_not_held_in_memory(
    make_stack: StackFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    megabytes = 16
    _serve_big_videos(monkeypatch, megabytes)
    stack = await _stack(make_stack, tmp_path, **{"media.max_video_bytes": 64 * 1024 * 1024})
    video = stack.sim.issue_media("video", A)
    await _slip(stack, [{"type": "video", "media_id": video}])
    fetcher = _fetcher(stack)

    tracemalloc.start()
    try:
        await fetcher.drain()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    size = megabytes * 1024 * 1024
    # the whole file in memory once would be `size`; what is in flight is the pieces aiohttp
    # buffers (about 1.5 MB here, with the simulator in the same process, whatever the size)
    assert peak < size // 4, f"peak {peak} bytes while copying a {size} byte video"
    expected = hashlib.sha256()
    for chunk in _big_mp4_chunks(megabytes):
        expected.update(chunk)
    copy = (await _copies(stack))[video]
    assert (copy.status, copy.content_type, copy.size) == (MediaStatus.STORED, "video/mp4", size)
    assert copy.sha256 == expected.hexdigest()
    path = MediaFiles(tmp_path / "media").path_for(copy.sha256, "video/mp4")
    assert path.name == f"{expected.hexdigest()}.mp4"
    assert path.read_bytes() == b"".join(_big_mp4_chunks(megabytes))
    assert _parts(tmp_path) == []


async def test_a_video_over_the_cap_is_stopped_and_leaves_no_partial_file(
    make_stack: StackFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # no Content-Length to refuse it by: it is counted as it arrives
    written = _serve_big_videos(monkeypatch, 8)
    stack = await _stack(make_stack, tmp_path, **{"media.max_video_bytes": 1024 * 1024})
    video = stack.sim.issue_media("video", A)
    await _slip(stack, [{"type": "video", "media_id": video}])
    await _fetcher(stack).drain()
    copy = (await _copies(stack))[video]
    assert (copy.status, copy.attempts, copy.sha256) == (MediaStatus.FAILED, 1, None)
    assert f"more than {1024 * 1024}" in copy.last_error
    assert _parts(tmp_path) == [] and not list((tmp_path / "media").rglob("*.mp4"))
    assert 0 < sum(written) <= 1024 * 1024  # stopped at the cap, not read to the end


async def test_a_video_link_that_is_not_an_mp4_is_refused_from_its_first_bytes(
    make_stack: StackFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    written = _serve_big_videos(monkeypatch, 8, head=b"<html><body>not a video</body></html>")
    stack = await _stack(make_stack, tmp_path)
    video = stack.sim.issue_media("video", A)
    await _slip(stack, [{"type": "video", "media_id": video}])
    await _fetcher(stack).drain()
    copy = (await _copies(stack))[video]
    assert (copy.status, copy.attempts) == (MediaStatus.FAILED, 1)
    assert "not kept" in copy.last_error
    assert _parts(tmp_path) == [] and not list((tmp_path / "media").rglob("*.mp4"))
    assert written == []  # refused on its first bytes: nothing written
