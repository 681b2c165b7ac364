"""Residents' photos and voice notes on a slip, fetched from WeChat (temporary media) for staff
who may see the slip. Only image and audio types are passed on, never anything a browser
would run."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from bot.delivery.client import WeChatClient
from bot.delivery.errors import WeChatError, WeChatUnavailable
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
}


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
    client = request.config_dict[keys.MEDIA]
    if client is None or index >= len(view.media):
        raise web.HTTPNotFound()
    media_id = str(view.media[index].get("media_id") or "")
    try:
        media = await client.get_media(media_id)
    except (WeChatError, WeChatUnavailable) as exc:
        log.info("console: media %s of %s not available: %s", index, view.number, exc)
        return web.Response(status=502, text="这个文件暂时无法从微信获取（临时素材只保存 3 天）。")
    kind = SAFE_TYPES.get(media.content_type)
    if kind is None:
        log.warning("console: refused media of type %s on %s", media.content_type, view.number)
        raise web.HTTPNotFound()
    disposition = "inline" if media.content_type.startswith("image/") else "attachment"
    return web.Response(
        body=media.content,
        content_type=media.content_type,
        headers={
            "Content-Disposition": f'{disposition}; filename="{view.number}-{index + 1}.{kind}"',
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )
