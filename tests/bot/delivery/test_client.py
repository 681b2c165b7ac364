"""The aiohttp WeChat client against the simulator: shared token, refresh rules, timeouts,
error classes, media."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiohttp
import pytest

from bot.delivery.client import BadVideoUrl, MediaTooLarge, WeChatClient
from bot.delivery.errors import ErrorKind, WeChatError, WeChatUnavailable
from bot.media.files import MediaFiles
from bot.simulator.media import media_bytes
from tests.bot.delivery.conftest import StackFactory

A = "oClientResident0000000000001"


def token_calls(stack, api: str = "token") -> int:  # type: ignore[no-untyped-def]
    return len([c for c in stack.sim.calls if c["api"] == api])


async def test_processes_share_one_token(make_stack: StackFactory) -> None:
    """Four clients with their own HTTP sessions (as four processes would have) and the same
    stores fetch the token once between them, however many calls they make at once."""
    stack = await make_stack()
    stack.sim.add_resident(A)
    stack.sim.note_incoming(A, {"MsgType": "text"})
    sessions = [aiohttp.ClientSession() for _ in range(4)]
    try:
        clients = [WeChatClient(s, stack.settings, stack.stores) for s in sessions]
        stack.sim.add_fault("token", delay=0.2)  # a slow token answer invites a stampede
        await asyncio.gather(*(c.send_text(A, f"{n}") for n, c in enumerate(clients)))
    finally:
        for s in sessions:
            await s.close()
    assert token_calls(stack) == 1
    assert sum(c.tokens.fetches for c in clients) == 1
    assert len(stack.sim.sent_messages(A)) == 4


async def test_a_stale_token_is_replaced_once_for_everyone(make_stack: StackFactory) -> None:
    stack = await make_stack()
    stack.sim.add_resident(A)
    stack.sim.note_incoming(A, {"MsgType": "text"})
    stale = json.dumps({"token": "not-a-token-anymore", "expires_at": 9e12})
    await stack.stores.set_value("wechat:access_token:token:" + stack.settings.wechat.appid,
                                 stale)
    clients = [stack.client(), stack.client()]
    # both hold the stale token before either sends (on a loaded machine the first could
    # otherwise refresh before the second has even read it)
    assert [await c.tokens.get() for c in clients] == ["not-a-token-anymore"] * 2
    await asyncio.gather(*(c.send_text(A, f"{n}") for n, c in enumerate(clients)))
    assert token_calls(stack) == 1  # the second saw the first one's new token
    errors = [c["response"].get("errcode") for c in stack.sim.calls if c["api"] == "custom/send"]
    assert errors.count(40001) == 2 and errors.count(0) == 2


async def test_token_refused_again_raises_without_looping(make_stack: StackFactory) -> None:
    stack = await make_stack()
    stack.sim.add_resident(A)
    stack.sim.note_incoming(A, {"MsgType": "text"})
    stack.sim.add_fault("custom/send", errcode=42001, count=-1)
    client = stack.client()
    with pytest.raises(WeChatError) as caught:
        await client.send_text(A, "你好")
    assert caught.value.kind is ErrorKind.TOKEN
    assert token_calls(stack) == 2  # first token, one refresh
    assert token_calls(stack, "custom/send") == 2  # the call, one retry


async def test_stable_token_mode(make_stack: StackFactory) -> None:
    stack = await make_stack(**{"delivery.token_source": "stable_token"})
    stack.sim.add_resident(A)
    stack.sim.note_incoming(A, {"MsgType": "text"})
    client = stack.client()
    await client.send_text(A, "一")
    stack.sim.add_fault("custom/send", errcode=40001, count=1)
    await client.send_text(A, "二")
    calls = [c for c in stack.sim.calls if c["api"] == "stable_token"]
    # the platform hands back the same (still valid) token; the refresh then forces a new one
    assert [c["request"].get("force_refresh", False) for c in calls] == [False, False, True]
    assert token_calls(stack) == 0
    assert len(stack.sim.sent_messages(A)) == 2


async def test_error_classes(make_stack: StackFactory) -> None:
    stack = await make_stack()
    client = stack.client()
    stack.sim.add_resident(A)
    with pytest.raises(WeChatError) as caught:
        await client.send_text(A, "窗口已关闭")
    assert (caught.value.errcode, caught.value.kind) == (45015, ErrorKind.WINDOW)
    with pytest.raises(WeChatError) as caught:
        await client.send_template("oNobody00000000000000000000", "TPL", {})
    assert (caught.value.errcode, caught.value.kind) == (40003, ErrorKind.UNDELIVERABLE)
    stack.sim.add_fault("template/send", errcode=-1, count=1)
    with pytest.raises(WeChatError) as caught:
        await client.send_template(A, "TPL", {})  # no client_msg_id: not repeated here
    assert caught.value.kind is ErrorKind.TRANSIENT


async def test_busy_template_with_client_msg_id_is_retried_inside_the_call(
    make_stack: StackFactory,
) -> None:
    stack = await make_stack()
    stack.sim.add_resident(A)
    stack.sim.add_fault("template/send", errcode=-1, count=2)
    msgid = await stack.client().send_template(A, "TPL", {"first": {"value": "x"}},
                                               client_msg_id="c1")
    [sent] = stack.sim.sent_messages(A)
    assert sent["msgid"] == msgid


async def test_timeouts_and_unreachable_tell_whether_the_call_may_have_gone_through(
    make_stack: StackFactory,
) -> None:
    stack = await make_stack(**{"delivery.api_timeout_seconds": 0.3})
    stack.sim.add_resident(A)
    stack.sim.note_incoming(A, {"MsgType": "text"})
    client = stack.client()
    await client.tokens.get()
    stack.sim.add_fault("custom/send", delay=1.0, count=1)
    with pytest.raises(WeChatUnavailable) as caught:
        await client.send_text(A, "慢")
    assert caught.value.maybe_delivered
    stack.sim.add_fault("custom/send", http_status=503, count=1)
    with pytest.raises(WeChatUnavailable) as caught:
        await client.send_text(A, "网关错误")
    assert not caught.value.maybe_delivered
    down = WeChatClient(stack.http, stack.settings.with_overrides(
        **{"wechat.api_base": "http://127.0.0.1:9"}), stack.stores)
    with pytest.raises(WeChatUnavailable) as caught:
        await down.send_text(A, "连不上")
    assert not caught.value.maybe_delivered
    await stack.sim.drain()
    assert [m["data"]["text"]["content"] for m in stack.sim.sent_messages(A)] == ["慢"]


async def test_media_download(make_stack: StackFactory) -> None:
    stack = await make_stack()
    stack.sim.add_resident(A)
    image = stack.sim.issue_media("image", A)
    video = stack.sim.issue_media("video", A)
    client = stack.client()
    media = await client.get_media(image)
    assert media.content_type == "image/jpeg" and media.content[:2] == b"\xff\xd8"
    assert media.filename == f"{image}.jpg"
    clip = await client.get_media(video)
    assert clip.video_url and video in clip.video_url
    with pytest.raises(WeChatError) as caught:
        await client.get_media("no-such-media")
    assert caught.value.errcode == 40007


async def test_a_video_is_downloaded_from_its_link_without_the_token(
    make_stack: StackFactory, tmp_path: Path
) -> None:
    """media/get answers a video with {"video_url": …}; the file comes from that address, which
    is not WeChat's API: the access token is never sent there."""
    stack = await make_stack()
    stack.sim.add_resident(A)
    video = stack.sim.issue_media("video", A)
    files = MediaFiles(tmp_path / "media")
    seen: list[str] = []

    async def on_start(session, context, params) -> None:  # type: ignore[no-untyped-def]
        seen.append(str(params.url))

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_start)
    async with aiohttp.ClientSession(trace_configs=[trace]) as http:
        client = WeChatClient(http, stack.settings, stack.stores)
        answer = await client.get_media(video)
        assert answer.content == b"" and answer.video_url
        clip = await client.get_video(video, answer.video_url, files, max_bytes=1_000_000)
        assert clip.path.read_bytes() == media_bytes("video", video)
        assert clip.content_type == "video/mp4"
        with pytest.raises(MediaTooLarge):
            await client.get_video(video, answer.video_url, files, max_bytes=10)
        for bad in ("file:///etc/passwd", "javascript:alert(1)", "//no-scheme/x.mp4", ""):
            with pytest.raises(BadVideoUrl):
                await client.get_video(video, bad, files, max_bytes=1_000_000)
    downloads = [url for url in seen if "/media/download" in url]
    assert downloads and all("access_token" not in url for url in downloads)
    assert any("access_token" in url for url in seen if "/cgi-bin/media/get" in url)
