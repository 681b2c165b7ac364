"""An asyncio WeChat API client on aiohttp, for the few calls Minyi makes.

wechatpy's client is blocking (requests) and has no timeouts by default; this one has a
timeout on every call, shares the access token across processes (tokens.py), refreshes it
once and retries once when WeChat calls it stale, and reports everything else as
`WeChatError` (WeChat said no; see errors.py for what each code means) or `WeChatUnavailable`
(no usable answer; `maybe_delivered` tells whether the call may have gone through).

The caller owns the `aiohttp.ClientSession` (one per process, opened in a cleanup_ctx).
"""

from __future__ import annotations

import asyncio
import json
import random
import re
from dataclasses import dataclass
from typing import Any

import aiohttp
from yarl import URL

from bot.config import Settings
from bot.delivery.errors import ErrorKind, WeChatError, WeChatUnavailable
from bot.delivery.tokens import TokenManager
from bot.media.files import SNIFF_BYTES, Incoming, MediaFiles, Stored, accept
from bot.stores import Stores

_FILENAME = re.compile(r'filename="?([^";]+)"?')
CHUNK_BYTES = 64 * 1024  # a video is read and written on in pieces of this size


@dataclass(frozen=True, slots=True)
class Media:
    """A downloaded temporary media file; videos come back as a URL instead (see
    `WeChatClient.get_video`)."""

    media_id: str
    content: bytes
    content_type: str
    filename: str | None = None
    video_url: str | None = None


class MediaTooLarge(Exception):
    """A media file larger than the caller's limit (the download was stopped)."""


class BadVideoUrl(Exception):
    """A video_url that is not an http(s) address: nothing is fetched from it."""


class WeChatClient:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        settings: Settings,
        stores: Stores,
        *,
        retries: int = 2,
        retry_delay: float = 0.2,
    ) -> None:
        self._session = session
        self._base = settings.wechat.api_base.rstrip("/")
        delivery = settings.delivery
        self._timeout = aiohttp.ClientTimeout(
            total=delivery.api_timeout_seconds, sock_connect=delivery.connect_timeout_seconds
        )
        # a video is larger than an API answer: a stall limit per read, and all of it within
        # the media copier's lease (a longer download would be taken up by another worker)
        self._download_timeout = aiohttp.ClientTimeout(
            total=settings.media.lease_seconds,
            sock_connect=delivery.connect_timeout_seconds,
            sock_read=delivery.api_timeout_seconds,
        )
        self._retries = retries
        self._retry_delay = retry_delay
        self.tokens = TokenManager(
            self._request,
            stores,
            appid=settings.wechat.appid,
            secret=settings.wechat.secret,
            source=delivery.token_source,
            lock_wait=delivery.api_timeout_seconds + delivery.connect_timeout_seconds + 2,
        )

    # -- sending ------------------------------------------------------------------------------

    async def send_text(self, openid: str, content: str) -> None:
        """A customer-service text message (only inside the resident's 48-hour window)."""
        await self.send_custom({"touser": openid, "msgtype": "text", "text": {"content": content}})

    async def send_custom(self, payload: dict[str, Any]) -> None:
        await self._call("custom/send", "/cgi-bin/message/custom/send", payload)

    async def send_template(
        self,
        openid: str,
        template_id: str,
        data: dict[str, Any],
        *,
        url: str | None = None,
        miniprogram: dict[str, str] | None = None,
        client_msg_id: str | None = None,
    ) -> int | None:
        """A template message; returns WeChat's msgid (TEMPLATESENDJOBFINISH carries it).
        The same `client_msg_id` for the same resident is sent once within 10 minutes, so a
        retry with it cannot send twice."""
        payload: dict[str, Any] = {"touser": openid, "template_id": template_id, "data": data}
        if url:
            payload["url"] = url
        if miniprogram:
            payload["miniprogram"] = miniprogram
        if client_msg_id:
            payload["client_msg_id"] = client_msg_id
        answer = await self._call("template/send", "/cgi-bin/message/template/send", payload,
                                  retry_transient=bool(client_msg_id))
        return _msgid(answer)

    async def send_subscribe(
        self,
        openid: str,
        template_id: str,
        data: dict[str, Any],
        *,
        page: str | None = None,
        miniprogram: dict[str, str] | None = None,
    ) -> int | None:
        """A subscription notification (订阅通知, bizsend)."""
        payload: dict[str, Any] = {"touser": openid, "template_id": template_id, "data": data}
        if page:
            payload["page"] = page
        if miniprogram:
            payload["miniprogram"] = miniprogram
        answer = await self._call("subscribe/bizsend", "/cgi-bin/message/subscribe/bizsend",
                                  payload)
        return _msgid(answer)

    async def get_media(self, media_id: str, *, max_bytes: int | None = None) -> Media:
        """Download a temporary media file (a resident's photo or voice note); MediaTooLarge
        when it has more than `max_bytes`."""
        api = "media/get"
        for attempt in range(self._retries + 1):
            try:
                return await self._with_token(
                    api, lambda token: self._download(media_id, token, max_bytes)
                )
            except WeChatUnavailable:
                if attempt == self._retries:
                    raise
            except WeChatError as exc:
                if exc.kind is not ErrorKind.TRANSIENT or attempt == self._retries:
                    raise
            await self._pause(attempt)
        raise AssertionError("unreachable")

    async def get_video(
        self, media_id: str, url: str, files: MediaFiles, *, max_bytes: int
    ) -> Stored:
        """Download the video a `get_media` answer links to (`Media.video_url`) into the media
        store: media/get answers a video with `{"video_url": …}`, a plain download without the
        access token (which is never sent there). The file is written to a temporary file in
        the media directory as it arrives (never held in memory), hashed and counted on the
        way, and renamed into place under its hash when complete. MediaTooLarge over
        `max_bytes` and Refused when the first bytes are not an MP4 (both stop the download;
        no partial file is left); BadVideoUrl for an address that is not http(s). Network
        failures and HTTP errors are retried (from the start)."""
        api = "media/get video_url"
        try:
            address = URL(url)
        except (TypeError, ValueError):
            address = URL()
        if address.scheme not in ("http", "https") or not address.host:
            raise BadVideoUrl(f"not an http(s) address: {url[:200]!r}")
        for attempt in range(self._retries + 1):
            try:
                return await self._stream_file(api, url, files, max_bytes, kind="video")
            except WeChatUnavailable:
                if attempt == self._retries:
                    raise
            await self._pause(attempt)
        raise AssertionError("unreachable")

    # -- plumbing ------------------------------------------------------------------------------

    async def _call(
        self, api: str, path: str, payload: dict[str, Any], *, retry_transient: bool = False
    ) -> dict[str, Any]:
        """POST with the token. Token errors: refresh once, retry once. Busy (-1) and timeouts
        are retried here (with backoff) only when repeating is harmless (`retry_transient`):
        otherwise the caller's schedule decides."""
        tries = self._retries + 1 if retry_transient else 1
        doubt = False  # an earlier try may have gone through
        for attempt in range(tries):
            try:
                return await self._with_token(
                    api, lambda token: self._post(api, path, payload, token)
                )
            except WeChatUnavailable as exc:
                doubt = doubt or exc.maybe_delivered
                if attempt == tries - 1:
                    raise WeChatUnavailable(api, exc.reason, maybe_delivered=doubt) from None
            except WeChatError as exc:
                if exc.kind is not ErrorKind.TRANSIENT or attempt == tries - 1:
                    raise
            await self._pause(attempt)
        raise AssertionError("unreachable")

    async def _with_token(self, api: str, call: Any) -> Any:
        token = await self._token(api, None)
        try:
            return await call(token)
        except WeChatError as exc:
            if exc.kind is not ErrorKind.TOKEN:
                raise
        return await call(await self._token(api, token))

    async def _token(self, api: str, stale: str | None) -> str:
        """A token for `api`; failing to get one means the call itself never left."""
        try:
            return await (self.tokens.refresh(stale) if stale else self.tokens.get())
        except WeChatUnavailable as exc:
            raise WeChatUnavailable(api, f"no access token: {exc.reason}",
                                    maybe_delivered=False) from None

    async def _post(
        self, api: str, path: str, payload: dict[str, Any], token: str
    ) -> dict[str, Any]:
        data = await self._request(api, "POST", path, {"access_token": token}, payload)
        errcode = _errcode(data)
        if errcode:
            raise WeChatError(api, errcode, str(data.get("errmsg") or ""))
        return data

    async def _request(
        self,
        api: str,
        method: str,
        path: str,
        params: dict[str, Any] | None,
        body: dict[str, Any] | None,
    ) -> dict[str, Any]:
        """One HTTP exchange; a JSON object back, or WeChatUnavailable."""
        try:
            async with self._session.request(
                method,
                self._base + path,
                params=params,
                data=None if body is None else json.dumps(body, ensure_ascii=False).encode(),
                headers=None if body is None else {"Content-Type": "application/json"},
                timeout=self._timeout,
            ) as response:
                if response.status >= 500:
                    # a gateway error: WeChat's own API answers errors with 200 + errcode
                    raise WeChatUnavailable(api, f"HTTP {response.status}",
                                            maybe_delivered=False)
                if response.status != 200:
                    raise WeChatUnavailable(api, f"HTTP {response.status}",
                                            maybe_delivered=True)
                raw = await response.read()
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            raise WeChatUnavailable(api, f"cannot connect: {exc}", maybe_delivered=False) from None
        except (TimeoutError, aiohttp.ClientError) as exc:
            reason = "timed out" if isinstance(exc, TimeoutError) else f"{type(exc).__name__}"
            raise WeChatUnavailable(api, f"{reason} {exc}".strip(), maybe_delivered=True) from None
        try:
            data = json.loads(raw)
        except ValueError:
            raise WeChatUnavailable(api, "answer is not JSON", maybe_delivered=True) from None
        if not isinstance(data, dict):
            raise WeChatUnavailable(api, "answer is not a JSON object", maybe_delivered=True)
        return data

    async def _download(self, media_id: str, token: str, max_bytes: int | None = None) -> Media:
        api = "media/get"
        media = await self._fetch_file(
            api, media_id, self._base + "/cgi-bin/media/get", max_bytes, limits=self._timeout,
            params={"access_token": token, "media_id": media_id},
        )
        if media.content_type in ("application/json", "text/plain"):
            try:
                data = json.loads(media.content)
            except ValueError:
                data = None
            if isinstance(data, dict):
                errcode = _errcode(data)
                if errcode:
                    raise WeChatError(api, errcode, str(data.get("errmsg") or ""))
                if data.get("video_url"):
                    return Media(media_id, b"", "video/mp4", None, str(data["video_url"]))
        return media

    async def _fetch_file(
        self,
        api: str,
        media_id: str,
        url: str,
        max_bytes: int | None,
        *,
        limits: aiohttp.ClientTimeout,
        params: dict[str, str] | None = None,
    ) -> Media:
        """One GET of a file, read up to `max_bytes`; WeChatUnavailable for anything but 200."""
        try:
            async with self._session.get(url, params=params, timeout=limits) as response:
                if response.status != 200:
                    raise WeChatUnavailable(api, f"HTTP {response.status}", maybe_delivered=False)
                if max_bytes is None:
                    content = await response.read()
                else:
                    content = await _read_at_most(response, max_bytes)
                content_type = response.content_type
                disposition = response.headers.get("Content-Disposition", "")
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise WeChatUnavailable(api, f"{type(exc).__name__} {exc}".strip(),
                                    maybe_delivered=False) from None
        match = _FILENAME.search(disposition)
        return Media(media_id, content, content_type, match.group(1) if match else None)

    async def _stream_file(
        self, api: str, url: str, files: MediaFiles, max_bytes: int, *, kind: str
    ) -> Stored:
        """One GET of a file into the media store, chunk by chunk, within the download time
        limit (the media copier's lease); WeChatUnavailable for anything but 200."""
        incoming: Incoming | None = None
        try:
            async with self._session.get(url, timeout=self._download_timeout) as response:
                if response.status != 200:
                    raise WeChatUnavailable(api, f"HTTP {response.status}", maybe_delivered=False)
                if response.content_length is not None and response.content_length > max_bytes:
                    raise MediaTooLarge(f"{response.content_length} bytes, more than {max_bytes}")
                declared = response.content_type
                incoming = await asyncio.to_thread(files.receive)
                head = b""
                content_type: str | None = None
                async for chunk in response.content.iter_chunked(CHUNK_BYTES):
                    if incoming.size + len(chunk) > max_bytes:
                        raise MediaTooLarge(f"more than {max_bytes} bytes")
                    if content_type is None:
                        # the type check needs only the first bytes: refuse before writing on
                        head += chunk[:SNIFF_BYTES - len(head)]
                        if len(head) >= SNIFF_BYTES:
                            content_type = accept(declared, head, kind=kind)
                    await asyncio.to_thread(incoming.write, chunk)
                if content_type is None:  # a file shorter than SNIFF_BYTES
                    content_type = accept(declared, head, kind=kind)
            stored = await asyncio.to_thread(incoming.keep, content_type)
            incoming = None
            return stored
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise WeChatUnavailable(api, f"{type(exc).__name__} {exc}".strip(),
                                    maybe_delivered=False) from None
        finally:
            if incoming is not None:
                incoming.discard()

    async def _pause(self, attempt: int) -> None:
        delay = self._retry_delay * (2**attempt)
        await asyncio.sleep(delay * (0.5 + random.random()))


async def _read_at_most(response: aiohttp.ClientResponse, limit: int) -> bytes:
    if response.content_length is not None and response.content_length > limit:
        raise MediaTooLarge(f"{response.content_length} bytes, more than {limit}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise MediaTooLarge(f"more than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _errcode(data: dict[str, Any]) -> int:
    try:
        return int(data.get("errcode") or 0)
    except (TypeError, ValueError):
        return -1


def _msgid(data: dict[str, Any]) -> int | None:
    try:
        return int(data["msgid"]) if data.get("msgid") is not None else None
    except (TypeError, ValueError):
        return None
