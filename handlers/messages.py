"""Answers for every message and event type WeChat sends.

Text goes to the conversation layer once it is wired in; until then the resident gets an
honest answer about what the account can do. Events that need no answer get `success`.
"""

from __future__ import annotations

from wechatpy.messages import BaseMessage

from handlers.inbox import Turn
from handlers.router import MessageRouter

# Events that change nothing the resident sees and need no reply.
SILENT_EVENTS = (
    "unsubscribe",
    "location",
    "view",
    "templatesendjobfinish",
    "masssendjobfinish",
    "subscribe_msg_popup_event",
    "subscribe_msg_change_event",
    "subscribe_msg_sent_event",
    "kf_create_session",
    "kf_close_session",
    "kf_switch_session",
    "view_miniprogram",
)


def build_router() -> MessageRouter:
    router = MessageRouter()

    @router.message("text")
    async def text(message: BaseMessage, turn: Turn) -> str | None:
        return turn.replies.say("text_not_ready")

    @router.message("image")
    async def image(message: BaseMessage, turn: Turn) -> str | None:
        return turn.replies.say("image")

    @router.message("voice")
    async def voice(message: BaseMessage, turn: Turn) -> str | None:
        recognition = (turn.inbound.fields.get("Recognition") or "").strip()
        if recognition:
            return (
                turn.replies.say("voice_recognised", text=recognition)
                + "\n"
                + turn.replies.say("text_not_ready")
            )
        return turn.replies.say("voice_unrecognised")

    @router.message("video", "shortvideo")
    async def video(message: BaseMessage, turn: Turn) -> str | None:
        return turn.replies.say("video")

    @router.message("location")
    async def location(message: BaseMessage, turn: Turn) -> str | None:
        label = str(turn.inbound.fields.get("Label") or "").strip() or "（地图上的位置）"
        return turn.replies.say("location", label=label)

    @router.message("link")
    async def link(message: BaseMessage, turn: Turn) -> str | None:
        return turn.replies.say("link")

    @router.event("subscribe", "subscribe_scan")
    async def subscribe(message: BaseMessage, turn: Turn) -> str | None:
        return turn.replies.say("welcome") + "\n\n" + turn.replies.say("menu_hint")

    @router.event("scan")
    async def scan(message: BaseMessage, turn: Turn) -> str | None:
        return turn.replies.say("menu_hint")

    @router.event("click")
    async def click(message: BaseMessage, turn: Turn) -> str | None:
        key = str(turn.inbound.fields.get("EventKey") or "")
        return turn.replies.menu_click(key) or turn.replies.say("menu_unknown")

    @router.event(
        "scancode_push",
        "scancode_waitmsg",
        "pic_sysphoto",
        "pic_photo_or_album",
        "pic_weixin",
        "location_select",
    )
    async def menu_tool(message: BaseMessage, turn: Turn) -> str | None:
        # The photo, location or scan result follows as its own message; nothing to say yet.
        return None

    @router.event(*SILENT_EVENTS)
    async def silent(message: BaseMessage, turn: Turn) -> str | None:
        return None

    @router.fallback
    async def unknown(message: BaseMessage, turn: Turn) -> str | None:
        if str(turn.inbound.fields.get("MsgType", "")).lower() == "event":
            return None  # an event type we do not know needs no answer
        return turn.replies.say("unknown")

    return router
