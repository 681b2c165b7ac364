"""The composition root: `create_app(settings)` wires every part of a web process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from sqlalchemy import select

from bot.config import Settings
from bot.delivery.runtime import DELIVERY, delivery_services, late_reply_sink
from bot.metrics import Metrics
from bot.slips.service import SlipService
from bot.slips.similar import OpenSlipCache
from bot.storage import Database
from bot.storage.drafts import DraftBackup
from bot.storage.messages import MessageLog
from bot.storage.models import Resident
from bot.stores import open_stores
from handlers import conversation, delivery_events, health, keys, metrics, webhook
from handlers.api import setup_api
from handlers.console import setup_console
from handlers.inbox import Inbox
from handlers.open311 import setup_open311
from handlers.public import setup_public
from handlers.router import MessageRouter
from knowledge.pack import load_pack
from knowledge.replies import Replies

log = logging.getLogger(__name__)


def _slip_service(
    app: web.Application, settings: Settings, database: Database
) -> tuple[SlipService, Any, OpenSlipCache]:
    """One slip service for the process, with the triage that classifies new slips and the
    cache of recent open slips that both use to find similar complaints (普遍性)."""
    open_slips = OpenSlipCache(database)
    if conversation.TRIAGE in app:  # tests may supply their own
        triage = app[conversation.TRIAGE]
    else:
        triage = conversation.load_triage(open_slips, app[keys.PACK])
    service = SlipService(
        database,
        triage=triage,
        settings=settings,
        pack=getattr(triage, "pack", None),
        open_slips=open_slips,
    )
    app[keys.SLIP_SERVICE] = service
    return service, triage, open_slips


async def _refresh_open_slips(
    cache: OpenSlipCache, triage: Any = None, every_seconds: float = 120.0
) -> None:
    """Other processes issue and close slips too: reload the cache now and then, and weigh
    the slips it holds before a complaint needs them."""
    while True:
        try:
            if await cache.refresh():
                await prepare_similar(triage, cache)
        except Exception:  # noqa: BLE001 - a missed refresh only weakens similarity
            log.warning("could not refresh the open-slip cache", exc_info=True)
        await asyncio.sleep(every_seconds)


WARM_BATCH = 100  # open slips weighed between two turns of the event loop (~25 ms)
# A restarted demo's simulated WeChat follows again this many of the residents it had, each
# with this many lines of their chat (remember_followers).
DEMO_FOLLOWERS = 200
DEMO_CHAT_LINES = 100


async def prepare_similar(triage: Any, cache: OpenSlipCache) -> int:
    """Load the classifier and use it once (in a thread), then weigh every cached open slip
    for the similar-slip search, a batch at a time so that residents' messages are answered
    meanwhile. Without this, the first complaint after a start read every open slip of its
    area (2000: ~0.5 s) while the event loop stood still, and, outside `minyi serve`, loaded
    the classifier too. Slips weighed
    before are remembered and cost nothing; returns how many slips were looked at."""
    loaded = getattr(triage, "loaded", None)
    if loaded is None:
        return 0

    def ready() -> Any:
        shipped = loaded()
        shipped.classify("小区门口的路灯坏了三天了")  # builds the explanation's tables (~0.15 s)
        return shipped

    try:
        triage = await asyncio.to_thread(ready)
    except Exception:  # noqa: BLE001 - complaints still go to the dispatcher's queue
        log.warning("triage could not be loaded ahead of the first complaint", exc_info=True)
        return 0
    prepare = getattr(getattr(triage, "similar_source", None), "prepare", None)
    if prepare is None:
        return 0
    slips = list(cache.recent_open_slips(None, datetime.min.replace(tzinfo=UTC)))
    for start in range(0, len(slips), WARM_BATCH):
        prepare(slips[start : start + WARM_BATCH])
        await asyncio.sleep(0)
    return len(slips)


def _dialog_engine(
    app: web.Application, settings: Settings, database: Database, stores: Any,
    service: SlipService, triage: Any,
) -> Any:
    """The conversation over the slip desk (tests may set conversation.SLIP_DESK / TRIAGE)."""
    desk = app.get(conversation.SLIP_DESK) or conversation.slip_desk(
        database, settings, triage, service
    )
    app[conversation.ENGINE] = conversation.create_dialog_engine(
        settings, stores, desk, triage=triage, replies=app[keys.REPLIES],
        backup=DraftBackup(database),
    )
    return app[conversation.ENGINE]


# Connections a web process needs besides one per message being worked on: the open-slips
# refresher and a console or API request.
POOL_HEADROOM = 2


def _warn_if_the_pool_churns(settings: Settings) -> None:
    """Each message being worked on holds a database connection while it waits for the
    event loop, so under load all of them hold one. The pool keeps `pool_size` connections
    and closes every one opened beyond that as soon as it is returned: with 32 messages at
    once over a pool of 20, a new PostgreSQL connection was opened for every third message
    (bench/webhook.py; a quarter of the process's CPU went into connecting)."""
    needed = settings.wechat.max_concurrent_messages + POOL_HEADROOM
    if settings.database.url.startswith("sqlite") or settings.database.pool_size >= needed:
        return
    log.warning(
        "database.pool_size (%d) is below wechat.max_concurrent_messages + %d (%d): under "
        "load, connections beyond the pool are opened and closed for every few messages; "
        "raise pool_size or lower max_concurrent_messages",
        settings.database.pool_size, POOL_HEADROOM, needed)


def create_app(settings: Settings, *, migrate: bool = False) -> web.Application:
    """A web process. `migrate=True` upgrades the schema on start (the demo and tests);
    production runs `minyi db upgrade` once instead."""
    app = web.Application(client_max_size=settings.wechat.max_body_bytes * 2)
    app[keys.SETTINGS] = settings
    app[keys.PACK] = load_pack()  # a broken pack stops start-up, naming file, entry and reason
    app[keys.REPLIES] = Replies.load()
    app[keys.METRICS] = Metrics()

    async def resources(app: web.Application) -> AsyncIterator[None]:
        _warn_if_the_pool_churns(settings)
        database = Database.open(
            settings.database.url,
            pool_size=settings.database.pool_size,
            echo=settings.database.echo,
        )
        if migrate:
            await database.upgrade()
        stores = open_stores(settings.redis.url, settings.redis.prefix)
        app[keys.DATABASE] = database
        app[keys.STORES] = stores
        app[keys.MESSAGE_LOG] = MessageLog(database)
        router = MessageRouter()
        delivery_events.register(router, database, stores)  # before the generic events
        router.include(conversation.build_conversation_router())
        service, triage, open_slips = _slip_service(app, settings, database)
        refresher = asyncio.create_task(_refresh_open_slips(open_slips, triage))
        app[keys.INBOX] = Inbox(
            settings=settings,
            stores=stores,
            log_=app[keys.MESSAGE_LOG],
            router=router,
            late_reply=late_reply_sink(database),
            services={
                conversation.DIALOGS: _dialog_engine(
                    app, settings, database, stores, service, triage
                )
            },
            replies=app[keys.REPLIES],
            metrics=app[keys.METRICS],
        )
        yield
        refresher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await refresher  # let a query in flight end before the database closes
        await app[keys.INBOX].drain()
        await stores.close()
        await database.close()

    async def delivery(app: web.Application) -> AsyncIterator[None]:
        # the WeChat API client; the demo also runs the worker and scheduler here
        async with delivery_services(
            settings, app[keys.DATABASE], app[keys.STORES],
            run=settings.delivery.embedded_worker,
            slips=app[keys.SLIP_SERVICE],
        ) as services:
            app[DELIVERY] = services
            yield

    app.cleanup_ctx.append(resources)
    app.cleanup_ctx.append(delivery)
    webhook.setup(app)
    health.setup(app)
    metrics.setup(app)
    setup_console(app)
    setup_api(app)
    setup_public(app)
    setup_open311(app)
    return app


def create_demo_app(settings: Settings, base_url: str) -> web.Application:
    """`minyi demo`'s process: the web app plus the simulated WeChat at /simulator, playing
    the account configured in `settings` and posting to `base_url`/wechat."""
    from bot.simulator import SIMULATOR_STATE, SimulatorConfig, mount_simulator

    app = create_app(settings, migrate=True)
    wechat = settings.wechat
    simulator = mount_simulator(
        app,
        SimulatorConfig(
            token=wechat.token,
            appid=wechat.appid,
            secret=wechat.secret,
            aes_key=wechat.aes_key or None,
            webhook_url=f"{base_url}/wechat",
            encryption=wechat.encryption,
        ),
    )

    async def followers(app: web.Application) -> AsyncIterator[None]:
        await remember_followers(simulator[SIMULATOR_STATE], app[keys.DATABASE],
                                 app[keys.MESSAGE_LOG])
        yield

    # after create_app's `resources` (the database), before its `delivery` (the worker's sends)
    app.cleanup_ctx.insert(1, followers)
    return app


async def remember_followers(state: Any, database: Database, log_: MessageLog,
                             *, limit: int = DEMO_FOLLOWERS, lines: int = DEMO_CHAT_LINES) -> int:
    """The demo restarted: its simulated WeChat starts empty, but the real one would still know
    the account's followers. Those the database knows (the `limit` most recent) are followed
    again, with their 48-hour windows and the end of their chats, so staff notices reach them
    and the chat page shows what came before. Returns how many."""
    from bot.simulator.messages import describe_incoming

    async with database.engine.connect() as conn:
        rows = (await conn.execute(
            select(Resident.openid, Resident.subscribed, Resident.last_message_at)
            .order_by(Resident.updated_at.desc(), Resident.id.desc()).limit(limit)
        )).all()
    for openid, subscribed, last_message_at in reversed(rows):
        chat = []
        for line in await log_.transcript(openid, limit=lines):
            at = line.at.timestamp()
            if line.direction == "in":
                msg = {**line.payload, "MsgType": line.msg_type, "Content": line.content}
                chat.append({"role": "resident", "at": at, "msgtype": line.msg_type,
                             "kind": "event" if line.msg_type == "event" else "message",
                             "text": describe_incoming(msg)})
            elif line.channel == "passive":
                chat.append({"role": "account", "kind": "reply", "channel": "passive",
                             "msgtype": "text", "at": at, "text": line.content or ""})
            else:
                chat.append({"role": "account", "kind": "push", "channel": line.channel,
                             "msgtype": line.msg_type, "at": at, "text": line.content or ""})
        state.remember(openid, subscribed=bool(subscribed), lines=chat,
                       last_message_at=last_message_at.timestamp() if last_message_at else None)
    return len(rows)
