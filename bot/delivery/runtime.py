"""Putting delivery together: in a web process (create_app; the demo runs the worker there
too) and in `minyi worker` processes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import select

from bot.config import Settings
from bot.delivery.client import WeChatClient
from bot.delivery.scheduler import Scheduler
from bot.delivery.worker import LATE_REPLY, DeliveryWorker, default_worker_id
from bot.media.fetcher import MediaFetcher
from bot.outbox import Notice, enqueue
from bot.storage import Database
from bot.storage.messages import Recorded
from bot.storage.models import Resident
from bot.stores import Stores, open_stores

log = logging.getLogger(__name__)


@dataclass
class DeliveryServices:
    client: WeChatClient
    worker: DeliveryWorker
    scheduler: Scheduler | None
    media: MediaFetcher  # copies residents' photos and voice notes out of WeChat
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)


# Where create_app keeps the process's delivery services (the WeChat client for media/get).
DELIVERY: web.AppKey[DeliveryServices] = web.AppKey("delivery", DeliveryServices)


@asynccontextmanager
async def delivery_services(
    settings: Settings,
    db: Database,
    stores: Stores,
    *,
    run: bool,
    worker_id: str | None = None,
    scheduler: bool = True,
    slips: Any | None = None,
) -> AsyncIterator[DeliveryServices]:
    """The process's one WeChat HTTP session and client, its worker, scheduler and media
    copier; with `run`, the worker and the copier (and the scheduler, if enabled) run in the
    background until the block ends, and finish the calls they started before it does."""
    worker_id = worker_id or default_worker_id()
    async with aiohttp.ClientSession(
        headers={"User-Agent": "minyi-delivery"},
        connector=aiohttp.TCPConnector(limit=max(16, settings.delivery.concurrency * 2)),
    ) as http:
        client = WeChatClient(http, settings, stores)
        worker = DeliveryWorker(db, client, settings, stores=stores, worker_id=worker_id)
        jobs = None
        if run and scheduler and settings.delivery.scheduler.enabled:
            if slips is None:
                from bot.slips.service import SlipService

                slips = SlipService(db, settings=settings)
            jobs = Scheduler(db, stores, slips, settings, worker_id=worker_id)
        media = MediaFetcher(db, client, settings.media, worker_id=worker_id)
        services = DeliveryServices(client, worker, jobs, media)
        stop = asyncio.Event()
        if run:
            services.tasks.append(asyncio.create_task(worker.run(stop), name="delivery-worker"))
            services.tasks.append(asyncio.create_task(media.run(stop), name="media-copies"))
            if jobs is not None:
                services.tasks.append(asyncio.create_task(jobs.run(stop), name="scheduler"))
        try:
            yield services
        finally:
            stop.set()
            if services.tasks:
                await asyncio.gather(*services.tasks, return_exceptions=True)


def late_reply_sink(db: Database) -> Callable[[Recorded, str], Awaitable[None]]:
    """For the inbox: a reply that missed WeChat's 5-second limit goes out through the
    outbox (kind late_reply; the resident just wrote, so the chat window is open)."""

    async def sink(recorded: Recorded, reply: str) -> None:
        try:
            async with db.session() as session:
                openid = (await session.execute(
                    select(Resident.openid).where(Resident.id == recorded.resident_id)
                )).scalar_one_or_none()
                await enqueue(session, Notice(
                    kind=LATE_REPLY, text=reply, openid=openid,
                    resident_id=recorded.resident_id,
                    idempotency_key=f"late_reply:{recorded.message_id}",
                ))
        except Exception:
            log.exception("late reply to message %s not queued", recorded.message_id)

    return sink


def run_worker_process(
    settings: Settings, *, worker_id: str | None = None, scheduler: bool = True,
    drain: bool = False,
) -> int:
    """`minyi worker`: deliver and run the jobs until SIGTERM / SIGINT (the calls in hand are
    finished first), or with `drain` until the outbox is empty."""
    return asyncio.run(_worker_main(settings, worker_id, scheduler, drain))


async def _worker_main(
    settings: Settings, worker_id: str | None, scheduler: bool, drain: bool
) -> int:
    db = Database.open(settings.database.url, pool_size=settings.database.pool_size,
                       echo=settings.database.echo)
    stores = open_stores(settings.redis.url, settings.redis.prefix)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        async with delivery_services(
            settings, db, stores, run=not drain, worker_id=worker_id,
            scheduler=scheduler and not drain,
        ) as services:
            log.info("minyi worker %s: delivering (database %s)", services.worker.worker_id,
                     settings.database.url.split("@")[-1])
            if drain:
                await services.worker.drain(within=3600)
                while await services.media.run_once():  # what is due now, no waiting
                    pass
            else:
                await stop.wait()
    finally:
        await stores.close()
        await db.close()
    return 0
