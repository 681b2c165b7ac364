"""Residents' photos and voice notes are copied out of WeChat before WeChat deletes them."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.delivery.client import WeChatClient
from bot.media.fetcher import MediaFetcher
from bot.media.files import MediaFiles, Refused, accept
from bot.media.models import MediaCopy, MediaStatus
from bot.simulator.media import amr, jpeg, media_bytes, mp4_stub
from bot.simulator.models import MEDIA_TTL
from bot.slips.actor import Actor
from bot.slips.service import SlipService
from bot.slips.views import SlipDraft
from tests.bot.delivery.conftest import Stack, StackFactory
from tests.handlers.staff_app import triage_for

A = "oMediaResident00000000000001"
FAST_MEDIA = {"media.retry_base_seconds": 0.01, "media.retry_max_seconds": 0.05,
              "media.poll_seconds": 0.02, "media.max_attempts": 3}


async def _stack(make_stack: StackFactory, tmp_path: Path, **overrides: object) -> Stack:
    stack = await make_stack(**{**FAST_MEDIA, "media.dir": str(tmp_path / "media"),
                                **overrides})
    stack.sim.add_resident(A)
    return stack


def _fetcher(stack: Stack, name: str = "w1") -> MediaFetcher:
    client = WeChatClient(stack.http, stack.settings, stack.stores, retry_delay=0.01)
    return MediaFetcher(stack.db, client, stack.settings.media, worker_id=name)


async def _slip(stack: Stack, media: list[dict[str, str]], key: str = "m1"):
    service = SlipService(stack.db, settings=stack.settings)
    return service, await service.issue(SlipDraft(
        openid=A, description="小区门口的井盖丢了，照片发给你们", idempotency_key=key,
        location_text="建新北路 12 号", media=media, triage=triage_for("D-CGJ", "区城市管理局"),
    ))


async def _copies(stack: Stack) -> dict[str, MediaCopy]:
    async with stack.db.session() as session:
        return {c.media_id: c for c in (await session.scalars(select(MediaCopy))).all()}


def _media_calls(stack: Stack) -> list[dict]:
    return [c for c in stack.sim.calls if c["api"] == "media/get"]


async def test_photo_and_voice_are_kept_after_wechat_deletes_them(
    make_stack: StackFactory, tmp_path: Path
) -> None:
    stack = await _stack(make_stack, tmp_path)
    photo, voice = stack.sim.issue_media("image", A), stack.sim.issue_media("voice", A)
    await _slip(stack, [{"type": "image", "media_id": photo}, {"type": "voice", "media_id": voice}])
    assert {c.status for c in (await _copies(stack)).values()} == {MediaStatus.PENDING}

    await _fetcher(stack).drain()
    stack.sim.advance(MEDIA_TTL + 60)  # WeChat has deleted them now

    copies = await _copies(stack)
    files = MediaFiles(tmp_path / "media")
    for media_id, kind, content_type in ((photo, "image", "image/jpeg"),
                                         (voice, "voice", "audio/amr")):
        copy = copies[media_id]
        expected = media_bytes(kind, media_id)
        assert (copy.status, copy.content_type, copy.size) == (
            MediaStatus.STORED, content_type, len(expected))
        assert copy.sha256 == hashlib.sha256(expected).hexdigest()
        assert files.read(copy.sha256, content_type) == expected
        assert files.path_for(copy.sha256, content_type).name.startswith(copy.sha256)
    assert len(_media_calls(stack)) == 2


async def test_media_added_later_is_copied_and_each_id_only_once(
    make_stack: StackFactory, tmp_path: Path
) -> None:
    stack = await _stack(make_stack, tmp_path)
    photo, later = stack.sim.issue_media("image", A), stack.sim.issue_media("image", A)
    service, slip = await _slip(stack, [{"type": "image", "media_id": photo}])
    # the resident sends another photo to the open slip, and the same one again
    await service.act(slip.number, "followup", Actor.resident(A), data={"media": [
        {"type": "image", "media_id": later}, {"type": "image", "media_id": photo}]})
    copies = await _copies(stack)
    assert set(copies) == {photo, later}
    await _fetcher(stack).drain()
    assert {c.status for c in (await _copies(stack)).values()} == {MediaStatus.STORED}
    assert sorted(c["query"]["media_id"] for c in _media_calls(stack)) == sorted(
        [photo, later])


async def test_media_wechat_no_longer_has_is_marked_expired_at_once(
    make_stack: StackFactory, tmp_path: Path
) -> None:
    stack = await _stack(make_stack, tmp_path)
    photo = stack.sim.issue_media("image", A)
    await _slip(stack, [{"type": "image", "media_id": photo}])
    stack.sim.advance(MEDIA_TTL + 60)
    await _fetcher(stack).drain()
    copy = (await _copies(stack))[photo]
    assert (copy.status, copy.attempts, copy.sha256) == (MediaStatus.EXPIRED, 1, None)
    assert "40007" in copy.last_error
    assert not (tmp_path / "media").exists() or not any((tmp_path / "media").rglob("*.*"))


async def test_busy_wechat_is_retried_with_backoff_then_stored(
    make_stack: StackFactory, tmp_path: Path
) -> None:
    stack = await _stack(make_stack, tmp_path)
    photo = stack.sim.issue_media("image", A)
    await _slip(stack, [{"type": "image", "media_id": photo}])
    # the client itself tries 3 times per attempt: the first attempt fails, the second works
    stack.sim.add_fault("media/get", errcode=-1, count=4)
    await _fetcher(stack).drain()
    copy = (await _copies(stack))[photo]
    assert (copy.status, copy.attempts, copy.last_error) == (MediaStatus.STORED, 2, None)


async def test_gives_up_after_max_attempts_and_says_so(
    make_stack: StackFactory, tmp_path: Path
) -> None:
    stack = await _stack(make_stack, tmp_path)
    photo = stack.sim.issue_media("image", A)
    await _slip(stack, [{"type": "image", "media_id": photo}])
    stack.sim.add_fault("media/get", http_status=502, count=1000)
    await _fetcher(stack).drain()
    copy = (await _copies(stack))[photo]
    assert (copy.status, copy.attempts) == (MediaStatus.FAILED, 3)
    assert copy.last_error.startswith("gave up after 3 attempts")


async def test_a_file_over_the_size_cap_is_not_kept(
    make_stack: StackFactory, tmp_path: Path
) -> None:
    stack = await _stack(make_stack, tmp_path, **{"media.max_bytes": 100})
    photo = stack.sim.issue_media("image", A)
    assert len(media_bytes("image", photo)) > 100
    await _slip(stack, [{"type": "image", "media_id": photo}])
    await _fetcher(stack).drain()
    copy = (await _copies(stack))[photo]
    assert (copy.status, copy.attempts) == (MediaStatus.FAILED, 1)
    assert "more than 100" in copy.last_error


async def test_two_workers_share_the_work_without_fetching_twice(
    make_stack: StackFactory, tmp_path: Path
) -> None:
    stack = await _stack(make_stack, tmp_path, **{"media.batch_size": 2})
    ids = [stack.sim.issue_media("image", A) for _ in range(8)]
    await _slip(stack, [{"type": "image", "media_id": m} for m in ids])
    first, second = _fetcher(stack, "w1"), _fetcher(stack, "w2")
    await asyncio.gather(first.drain(), second.drain())
    assert {c.status for c in (await _copies(stack)).values()} == {MediaStatus.STORED}
    assert sorted(c["query"]["media_id"] for c in _media_calls(stack)) == sorted(ids)


@pytest.mark.parametrize(("declared", "content", "kept_as"), [
    ("image/jpeg", jpeg("x"), "image/jpeg"),
    ("image/jpg", jpeg("x"), "image/jpeg"),
    ("image/png", jpeg("x"), "image/jpeg"),  # served as what the bytes are
    ("application/octet-stream", amr(), "audio/amr"),
    ("audio/amr", amr(), "audio/amr"),
    ("audio/x-speex", b"OggS\x00\x02" + b"\x00" * 22 + b"Speex   1.2", "audio/speex"),
    ("image/png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "image/png"),
    ("video/mp4", b"\x00\x00\x00\x18ftypmp42", "video/mp4"),
    ("application/octet-stream", mp4_stub("x"), "video/mp4"),
])
def test_accepted_types(declared: str, content: bytes, kept_as: str) -> None:
    assert accept(declared, content) == kept_as


@pytest.mark.parametrize(("declared", "content"), [
    ("text/html", jpeg("x")),  # a browser could be told to run it
    ("image/svg+xml", b"<svg onload=alert(1)>"),
    ("image/jpeg", b"<html><script>alert(1)</script>"),
    ("audio/amr", jpeg("x")),  # says audio, is an image
    ("video/mp4", jpeg("x")),  # says video, is an image
    ("image/jpeg", mp4_stub("x")),  # says image, is a video
    ("video/quicktime", b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00"),
    ("video/mp4", b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00"),  # not an MP4 brand
    ("video/mp4", b"\x00\x00\x00\x18ftypheic"),  # an iPhone photo in an ISO box
    ("", b"plain text"),
])
def test_refused_types(declared: str, content: bytes) -> None:
    with pytest.raises(Refused):
        accept(declared, content)


def test_stored_names_cannot_leave_the_directory(tmp_path: Path) -> None:
    files = MediaFiles(tmp_path)
    for bad in ("../" * 10 + "etc/passwd", "a" * 63 + "/", "A" * 64, ""):
        with pytest.raises(ValueError):
            files.path_for(bad, "image/jpeg")
    with pytest.raises(ValueError):
        files.path_for("a" * 64, "text/html")
    assert files.read("../../etc/passwd", "image/jpeg") is None
