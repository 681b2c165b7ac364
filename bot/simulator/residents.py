"""Resident actions and platform events: build WeChat's XML, post it, log both sides."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot.simulator.messages import describe_incoming, describe_reply, parse_xml
from bot.simulator.models import MESSAGE_TYPES, NotFollowingError, ResidentError
from bot.simulator.peer import UNAVAILABLE_NOTICE, PostResult, WeChatPeer

if TYPE_CHECKING:
    from bot.simulator.state import SimulatorState


def peer_of(state: SimulatorState) -> WeChatPeer:
    if state.peer is None:
        raise RuntimeError("the simulator has no WeChatPeer yet (is the app started?)")
    return state.peer


def record_post(
    state: SimulatorState, openid: str, msg: Mapping[str, Any], result: PostResult
) -> None:
    state.posts.append(
        {
            "seq": state.next_seq(),
            "at": state.now(),
            "openid": openid,
            "msgtype": msg.get("MsgType"),
            "event": msg.get("Event"),
            "msg_id": msg.get("MsgId"),
            "status": result.status,
            "attempts": result.attempts,
            "elapsed_ms": round(result.elapsed * 1000, 1),
            "error": result.error,
            "reply": result.reply,
        }
    )


def build_message(
    state: SimulatorState,
    openid: str,
    type: str,
    fields: Mapping[str, Any],
    base_url: str | None = None,
) -> str:
    """The XML WeChat would post for a resident action; image/voice/video get media ids."""
    peer = peer_of(state)
    msg_id = fields.get("msg_id")
    msg_id = int(msg_id) if msg_id not in (None, "") else None
    base = (base_url if base_url is not None else state.base_url).rstrip("/")
    if type == "text":
        content = str(fields.get("content") or "")
        if not content.strip():
            raise ResidentError("文字消息不能为空")
        return peer.text_xml(openid, content, msg_id=msg_id)
    if type == "image":
        media_id = state.issue_media("image", openid)
        pic_url = f"{base}/media/download?media_id={media_id}"
        return peer.image_xml(openid, media_id, pic_url, msg_id=msg_id)
    if type == "voice":
        recognition = fields.get("recognition")
        return peer.voice_xml(
            openid,
            state.issue_media("voice", openid),
            msg_id=msg_id,
            recognition=None if recognition is None else str(recognition),
        )
    if type in ("video", "shortvideo"):
        return peer.video_xml(
            openid,
            state.issue_media("video", openid),
            state.issue_media("thumb", openid),
            short=type == "shortvideo",
            msg_id=msg_id,
        )
    if type == "location":
        try:
            lat, lon = float(fields["lat"]), float(fields["lon"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ResidentError("位置消息需要 lat 和 lon 两个数") from exc
        return peer.location_xml(
            openid,
            lat,
            lon,
            scale=int(fields.get("scale") or 15),
            label=str(fields.get("label") or ""),
            msg_id=msg_id,
        )
    if type == "link":
        return peer.link_xml(
            openid,
            str(fields.get("title") or ""),
            str(fields.get("description") or ""),
            str(fields.get("url") or ""),
            msg_id=msg_id,
        )
    if type == "event":
        event = str(fields.get("event") or "")
        if not event:
            raise ResidentError("事件需要 event 名称，例如 subscribe、CLICK")
        key = fields.get("event_key")
        extra = fields.get("extra") or {}
        if not isinstance(extra, Mapping):
            raise ResidentError("extra 必须是对象")
        return peer.event_xml(
            openid, event, event_key=None if key is None else str(key), extra=extra
        )
    raise ResidentError(f"不认识的消息类型 {type!r}，可用：{'、'.join(MESSAGE_TYPES)}")


async def send_as_resident(
    state: SimulatorState,
    openid: str,
    type: str = "text",
    *,
    retry: bool = True,
    base_url: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A resident does something: post it to the webhook like WeChat, log both sides.

    Fields by type: text `content`; voice `recognition` (omit = no element); location
    `lat`, `lon`, `scale`, `label`; link `title`, `description`, `url`; event `event`,
    `event_key`, `extra`; any message `msg_id` (to replay one).
    """
    openid = str(openid or "").strip()
    if not openid:
        raise ResidentError("需要居民的 openid")
    resident = state.residents.get(openid)
    subscribing = type == "event" and fields.get("event") == "subscribe"
    if resident is not None and not resident.subscribed and not subscribing:
        raise NotFollowingError("这位居民已取消关注，请先关注公众号再发消息")
    xml = build_message(state, openid, type, fields, base_url)
    msg = parse_xml(xml)
    state.note_incoming(openid, msg)
    kind = "event" if msg.get("MsgType") == "event" else "message"
    entry = state.log(
        openid,
        "resident",
        kind,
        describe_incoming(msg),
        msgtype=str(msg.get("MsgType")),
        data=msg,
    )
    result = await peer_of(state).post(xml, retry=retry)
    record_post(state, openid, msg, result)
    if result.error:
        state.log(openid, "system", "notice", UNAVAILABLE_NOTICE, data={"error": result.error})
    elif result.reply is not None:
        state.log(
            openid,
            "account",
            "reply",
            describe_reply(result.reply),
            channel="passive",
            msgtype=str(result.reply.get("MsgType")),
            data=result.reply,
        )
    return {
        "seq": entry["seq"],
        "msg_id": msg.get("MsgId"),
        "xml": xml,
        "status": result.status,
        "attempts": result.attempts,
        "elapsed_ms": round(result.elapsed * 1000, 1),
        "error": result.error,
        "reply": result.reply,
        "reply_text": describe_reply(result.reply) if result.reply else None,
    }


async def post_platform_event(
    state: SimulatorState, openid: str, event: str, extra: Mapping[str, Any], delay: float = 0.05
) -> PostResult:
    """Post a platform event (job finished) to the webhook, shortly after the API call."""
    await asyncio.sleep(delay)
    peer = peer_of(state)
    xml = peer.event_xml(openid, event, extra=extra)
    result = await peer.post(xml)
    record_post(state, openid, parse_xml(xml), result)
    return result
