"""Residents' photos, voice notes and videos on a slip, for staff who may see the slip.

The copy the worker saved (bot/media) is served when there is one; WeChat's temporary media
are gone after 3 days. Until the copy is made (or for slips from before copies existed) the
file is fetched from WeChat on the spot (a video from the link media/get answers with, written
into the content-addressed store as it arrives and served from there, never whole in memory). Only
image, audio and MP4 types are passed on, never anything a browser would run; names on disk
come from the file's hash, never the request. A stored video is served from its file with
range requests, so the page's <video> player can seek without loading all of it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import NoReturn

import aiohttp
from aiohttp import web

from bot.delivery.client import BadVideoUrl, MediaTooLarge, WeChatClient
from bot.delivery.errors import WeChatError, WeChatUnavailable
from bot.media.fetcher import copies_of
from bot.media.files import TYPES, MediaFiles, Refused
from bot.media.models import FINAL, MediaCopy, MediaStatus
from bot.slips.errors import Forbidden, NotFound
from handlers import keys as app_keys
from handlers.console import keys

log = logging.getLogger(__name__)

routes = web.RouteTableDef()

SAFE_TYPES = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "audio/amr": "amr",
    "audio/mpeg": "mp3",
    "audio/speex": "speex",
    "audio/x-speex": "speex",
    "video/mp4": "mp4",
}
INLINE = ("image/", "video/")  # shown in the page; audio is downloaded


async def media_client(app: web.Application) -> AsyncIterator[None]:
    """A WeChat API client for downloads, when the account's credentials are configured
    (and none was given to the app already)."""
    wechat = app[app_keys.SETTINGS].wechat
    if keys.MEDIA in app or not (wechat.appid and wechat.secret):
        app.setdefault(keys.MEDIA, None)
        yield
        return
    async with aiohttp.ClientSession(headers={"User-Agent": "minyi-console"}) as http:
        app[keys.MEDIA] = WeChatClient(http, app[app_keys.SETTINGS], app[app_keys.STORES])
        yield


@routes.get("/slips/{number}/media/{index:\\d+}")
async def slip_media(request: web.Request) -> web.StreamResponse:
    member = request[keys.MEMBER]
    if member is None:
        raise web.HTTPForbidden()
    try:
        view = await request.config_dict[keys.SLIPS].get(
            request.match_info["number"], member.actor()
        )
    except NotFound:
        raise web.HTTPNotFound() from None
    except Forbidden:
        raise web.HTTPForbidden() from None
    index = int(request.match_info["index"])
    if index >= len(view.media):
        raise web.HTTPNotFound()
    media_id = str(view.media[index].get("media_id") or "")
    copy = (await copies_of(request.config_dict[app_keys.DATABASE], [media_id])).get(media_id)
    if copy is not None and copy.status == MediaStatus.STORED:
        return await _stored(request, copy, f"{view.number}-{index + 1}")
    client = request.config_dict[keys.MEDIA]
    if client is None or (copy is not None and copy.status in FINAL):
        raise web.HTTPNotFound()  # the page says why (expired, not saved)
    try:
        media = await client.get_media(media_id)
        if media.video_url is not None:
            # into the store as it arrives (not held in memory), then served from the file
            settings = request.config_dict[app_keys.SETTINGS].media
            stored = await client.get_video(media_id, media.video_url,
                                            MediaFiles(settings.dir),
                                            max_bytes=settings.max_video_bytes)
            return web.FileResponse(stored.path, headers={
                "Content-Type": stored.content_type,
                "Content-Disposition":
                    f'inline; filename="{view.number}-{index + 1}.{TYPES[stored.content_type]}"',
                "Content-Security-Policy": "default-src 'none'; sandbox",
                "X-Content-Type-Options": "nosniff",
            })
    except (WeChatError, WeChatUnavailable) as exc:
        log.info("console: media %s of %s not available: %s", index, view.number, exc)
        return web.Response(status=502, text="这个文件暂时无法从微信获取（临时素材只保存 3 天）。")
    except (MediaTooLarge, BadVideoUrl, Refused) as exc:
        log.warning("console: refused media %s of %s: %s", index, view.number, exc)
        raise web.HTTPNotFound() from None
    kind = SAFE_TYPES.get(media.content_type)
    if kind is None:
        log.warning("console: refused media of type %s on %s", media.content_type, view.number)
        raise web.HTTPNotFound()
    disposition = "inline" if media.content_type.startswith(INLINE) else "attachment"
    return web.Response(
        body=media.content,
        content_type=media.content_type,
        headers={
            "Content-Disposition": f'{disposition}; filename="{view.number}-{index + 1}.{kind}"',
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


async def _stored(request: web.Request, copy: MediaCopy, name: str) -> web.StreamResponse:
    settings = request.config_dict[app_keys.SETTINGS]
    content_type = copy.content_type or ""
    if content_type not in TYPES or not copy.sha256:
        raise web.HTTPNotFound()
    disposition = "inline" if content_type.startswith(INLINE) else "attachment"
    headers = {
        "Content-Disposition": f'{disposition}; filename="{name}.{TYPES[content_type]}"',
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "X-Content-Type-Options": "nosniff",
    }
    files = MediaFiles(settings.media.dir)
    if content_type.startswith("video/"):
        path = files.path_for(copy.sha256, content_type)
        if not await asyncio.to_thread(path.is_file):
            _missing(copy, settings.media.dir)
        return web.FileResponse(path, headers={**headers, "Content-Type": content_type})
    content = await asyncio.to_thread(files.read, copy.sha256, content_type)
    if content is None:
        _missing(copy, settings.media.dir)
    return web.Response(body=content, content_type=content_type, headers=headers)


def _missing(copy: MediaCopy, directory: str) -> NoReturn:
    log.error("console: stored media %s is missing from %s", copy.sha256, directory)
    raise web.HTTPNotFound()
