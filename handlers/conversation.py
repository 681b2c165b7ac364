"""WeChat messages and events into the dialog engine.

Text, voice, image, video (and short video), location and link messages and the subscribe,
scan and menu-click events go to the conversation (`turn.services["dialogs"]`, a dialogs.engine.DialogEngine); every other type
keeps its answer from handlers/messages.py. Without an engine (no slip desk wired) the
placeholders of handlers/messages.py answer everything.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from aiohttp import web
from wechatpy.messages import BaseMessage

from dialogs.engine import DialogEngine
from dialogs.inputs import Incoming
from dialogs.kit import DialogKit
from handlers.inbox import Turn
from handlers.messages import build_router
from handlers.router import MessageRouter

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.storage import Database
    from bot.stores import Stores
    from dialogs.engine import ConversationBackup
    from dialogs.ports import Classifier, Places, SlipDesk
    from knowledge.replies import Replies

log = logging.getLogger(__name__)

DIALOGS = "dialogs"  # the key of the engine in Turn.services

# Set before the app starts to replace the real adapters (tests, benchmarks).
SLIP_DESK: web.AppKey[Any] = web.AppKey("dialog_slip_desk")
TRIAGE: web.AppKey[Any] = web.AppKey("dialog_triage")
ENGINE: web.AppKey[DialogEngine] = web.AppKey("dialog_engine")


def create_dialog_engine(
    settings: Settings,
    stores: Stores,
    desk: SlipDesk,
    *,
    triage: Classifier | None = None,
    places: Places | None = None,
    replies: Replies | None = None,
    backup: ConversationBackup | None = None,
) -> DialogEngine:
    """The engine over the stores; `backup` keeps unfinished conversations durable too."""
    from bot.stores import LockTimeout, StateSuperseded

    kit = DialogKit.load(
        desk, classifier=triage, places=places or getattr(triage, "gazetteer", None),
        replies=replies,
    )
    return DialogEngine(
        kit,
        stores,
        idle_timeout_minutes=settings.session.idle_timeout_minutes,
        lock_errors=(LockTimeout,),
        superseded_errors=(StateSuperseded,),
        backup=backup,
    )


def incoming_of(message: BaseMessage, turn: Turn) -> Incoming:
    fields = turn.inbound.fields
    kind = message.type
    common: dict[str, Any] = {"openid": turn.inbound.openid, "kind": kind,
                              "dedupe_key": turn.inbound.dedupe_key}
    if kind == "text":
        return Incoming(**common, text=_text(fields.get("Content")))
    if kind == "voice":
        return Incoming(**common, text=_text(fields.get("Recognition")),
                        media_id=_text(fields.get("MediaId")) or None)
    if kind == "image":
        return Incoming(**common, media_id=_text(fields.get("MediaId")) or None)
    if kind in ("video", "shortvideo"):
        # one kind for the conversation: both are a film the resident took (ThumbMediaId, a
        # still of it, is not kept)
        common["kind"] = "video"
        return Incoming(**common, media_id=_text(fields.get("MediaId")) or None)
    if kind == "link":
        return Incoming(**common, title=_text(fields.get("Title")) or None,
                        url=_text(fields.get("Url")) or None)
    if kind == "location":
        return Incoming(**common, lat=_float(fields.get("Location_X")),
                        lon=_float(fields.get("Location_Y")),
                        label=_text(fields.get("Label")) or None)
    common["kind"] = "event"
    return Incoming(**common, event=_text(fields.get("Event")).lower(),
                    event_key=_text(fields.get("EventKey")) or None)


def build_conversation_router() -> MessageRouter:
    router = MessageRouter()
    fallback = build_router()

    @router.message("text", "voice", "image", "video", "shortvideo", "location", "link")
    @router.event("subscribe", "subscribe_scan", "scan", "click")
    async def converse(message: BaseMessage, turn: Turn) -> str | None:
        engine = turn.services.get(DIALOGS)
        if engine is None:
            return await fallback.dispatch(message, turn)
        incoming = incoming_of(message, turn)
        if incoming.kind == "location" and (incoming.lat is None or incoming.lon is None):
            return await fallback.dispatch(message, turn)
        if (incoming.kind == "video" and not incoming.media_id) or (
            incoming.kind == "link" and not (incoming.url or incoming.title)
        ):
            return await fallback.dispatch(message, turn)
        return await engine.handle(incoming) or None

    router.include(fallback)
    return router


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


class ShippedTriage:
    """The shipped triage (knowledge pack + trained classifier), with the classifier loaded by
    the first message that needs it rather than by every app that is created: it weighs about
    20 MB and takes half a second, and a test run creates hundreds of apps (aiohttp keeps
    recently used ones alive in its middleware cache). The pack and the gazetteer, which are
    small, load at once, so a broken pack still stops start-up."""

    def __init__(self, similar_source: Any = None, pack: Any = None) -> None:
        from knowledge.gazetteer import Gazetteer
        from knowledge.pack import load_pack

        self.pack = pack if pack is not None else load_pack()
        self.gazetteer = Gazetteer(self.pack.areas)
        self._similar_source = similar_source
        self._triage: Any = None
        self._failed = False
        self._loading = threading.Lock()

    def classify(self, text: str, *, area: Any = None, now: Any = None) -> Any:
        return self._loaded().classify(text, area=area, now=now)

    def loaded(self) -> Any:
        """The triage, loading the classifier now if no message has yet (thread-safe: the web
        process calls this from a worker thread to have it ready before the first complaint)."""
        return self._loaded()

    # What the slip service asks of a triage besides classify (it looks them up by name and
    # does without when they are missing: without these two, a follow-up that told of a
    # danger never raised its slip to 特急 in a running app, only in tests that used the
    # Triage itself).
    def urgency_of(self, text: str) -> Any:
        return self._loaded().urgency_of(text)

    def compared(self, text: str) -> tuple[str, frozenset[str]]:
        return self._loaded().compared(text)

    def _loaded(self) -> Any:
        with self._loading:
            if self._triage is None:
                if self._failed:
                    raise RuntimeError("the category classifier could not be loaded")
                from knowledge.classifier import CategoryClassifier
                from knowledge.triage import Triage

                try:
                    self._triage = Triage(
                        self.pack, CategoryClassifier.load(), self._similar_source
                    )
                except Exception:
                    self._failed = True  # logged once by the caller; not retried per message
                    raise
            return self._triage


def load_triage(similar_source: Any = None, pack: Any = None) -> Classifier | None:
    """The shipped triage, or None with an error in the log when the knowledge pack cannot be
    loaded: the conversation still takes complaints, the slip service sends them to the
    dispatcher's queue unclassified."""
    try:
        return ShippedTriage(similar_source, pack)
    except Exception:  # noqa: BLE001 - a broken pack must not stop the web process
        log.exception("triage unavailable: emergencies are not recognised in the chat")
        return None


def slip_desk(
    database: Database, settings: Settings, triage: Classifier | None, service: Any = None
) -> SlipDesk:
    """The slip service behind the dialogs' port (bot/slips/desk.py)."""
    from bot.slips.desk import SlipDeskAdapter
    from bot.slips.service import SlipService
    from dialogs.ports import IssuedSlip, SlipStatus

    service = service or SlipService(database, triage=triage, settings=settings)
    return SlipDeskAdapter(service, database, issued=IssuedSlip, status=SlipStatus)


async def serve_actions(settings: Settings, host: str, port: int) -> None:
    """`minyi actions`: the dialog actions as a Rasa action server, until interrupted. The
    server has no authentication: keep it on a private address, next to the Rasa server."""
    import asyncio

    from bot.storage import Database
    from dialogs.server import action_server

    database = Database.open(settings.database.url, pool_size=settings.database.pool_size)
    try:
        triage = load_triage()
        kit = DialogKit.load(slip_desk(database, settings, triage), classifier=triage,
                             places=getattr(triage, "gazetteer", None))
        async with action_server(kit, host, port) as bound:
            print(f"Rasa action server: http://{host}:{bound}/webhook "
                  f"(GET /actions lists them; Ctrl+C stops)", flush=True)
            await asyncio.Event().wait()
    finally:
        await database.close()


def domain_yaml() -> str:
    """The Rasa domain (slots, form, intents, actions) these actions expect, as YAML."""
    import yaml

    from dialogs.server import domain_of

    kit = DialogKit.load(None)  # type: ignore[arg-type] - names only, no desk needed
    return yaml.safe_dump(domain_of(kit), allow_unicode=True, sort_keys=False)
