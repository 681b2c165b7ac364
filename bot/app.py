"""The composition root: `create_app(settings)` wires every part of a web process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from bot.config import Settings
from bot.delivery.runtime import DELIVERY, delivery_services, late_reply_sink
from bot.metrics import Metrics
from bot.storage import Database
from bot.storage.messages import MessageLog
from bot.stores import open_stores
from handlers import conversation, delivery_events, health, keys, metrics, webhook
from handlers.api import setup_api
from handlers.console import setup_console
from handlers.inbox import Inbox
from handlers.open311 import setup_open311
from handlers.public import setup_public
from handlers.router import MessageRouter
from knowledge.replies import Replies


def _dialog_engine(
    app: web.Application, settings: Settings, database: Database, stores: Any
) -> Any:
    """The conversation over the slip desk (tests may set conversation.SLIP_DESK / TRIAGE)."""
    triage = app[conversation.TRIAGE] if conversation.TRIAGE in app else conversation.load_triage()
    desk = app.get(conversation.SLIP_DESK) or conversation.slip_desk(database, settings, triage)
    app[conversation.ENGINE] = conversation.create_dialog_engine(
        settings, stores, desk, triage=triage, replies=app[keys.REPLIES]
    )
    return app[conversation.ENGINE]


def create_app(settings: Settings, *, migrate: bool = False) -> web.Application:
    """A web process. `migrate=True` upgrades the schema on start (the demo and tests);
    production runs `minyi db upgrade` once instead."""
    app = web.Application(client_max_size=settings.wechat.max_body_bytes * 2)
    app[keys.SETTINGS] = settings
    app[keys.REPLIES] = Replies.load()
    app[keys.METRICS] = Metrics()

    async def resources(app: web.Application) -> AsyncIterator[None]:
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
        app[keys.INBOX] = Inbox(
            settings=settings,
            stores=stores,
            log_=app[keys.MESSAGE_LOG],
            router=router,
            late_reply=late_reply_sink(database),
            services={conversation.DIALOGS: _dialog_engine(app, settings, database, stores)},
            replies=app[keys.REPLIES],
            metrics=app[keys.METRICS],
        )
        yield
        await app[keys.INBOX].drain()
        await stores.close()
        await database.close()

    async def delivery(app: web.Application) -> AsyncIterator[None]:
        # the WeChat API client; the demo also runs the worker and scheduler here
        async with delivery_services(
            settings, app[keys.DATABASE], app[keys.STORES],
            run=settings.delivery.embedded_worker,
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
