"""`site`: 2 × `minyi serve` and 2 × `minyi worker` (the first with the scheduler)
on one PostgreSQL database and one Redis prefix, the WeChat simulator as their WeChat API, and
a Proxy that plays WeChat in front of the web processes. Every process logs to its own file in
a tmp dir "deployN", named in assertion messages."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp.test_utils import TestServer
from redis import Redis

from bot.simulator import SIMULATOR_STATE, SimulatorConfig, WeChatPeer, create_simulator_app
from bot.staff.catalogue import department_names
from bot.staff.directory import StaffDirectory
from bot.staff.passwords import generate_password
from bot.storage import Database
from tests.bot.delivery.conftest import TEMPLATE_ID
from tests.conftest import AES_KEY, APPID, REDIS_URL, SECRET, TOKEN, _admin_on, make_settings
from tests.deploy.harness import Deployment, Proxy, write_config


@dataclass
class Site:
    deployment: Deployment
    proxy: Proxy
    http: aiohttp.ClientSession
    staff: dict[str, str]  # Authorization header of an admin's write token

    async def api(self, method: str, path: str, upstream: str, **kwargs: Any) -> Any:
        url = self.deployment.web[upstream].url + "/api/v1" + path
        async with self.http.request(method, url, headers=self.staff,
                                     timeout=aiohttp.ClientTimeout(total=30),
                                     **kwargs) as response:
            body = await response.json()
            assert response.status == 200, (method, path, response.status, body)
            return body


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def site(pg_migrated: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    """One deployment for the module's tests (starting four processes costs tens of seconds
    on a loaded machine); each test uses residents of its own. WeChat's timing is real: 5 s
    and up to three re-posts; the web processes answer within wechat.reply_budget_seconds."""
    await _admin_on(pg_migrated, f"TRUNCATE {', '.join(_tables())} RESTART IDENTITY CASCADE")
    prefix = f"minyitest-deploy-{uuid.uuid4().hex[:8]}"
    logs = tmp_path_factory.mktemp("deploy")
    sim_config = SimulatorConfig(
        token=TOKEN, appid=APPID, secret=SECRET, aes_key=AES_KEY,
        webhook_url="http://127.0.0.1:9/wechat",  # unused: the Proxy posts to the processes
        encryption="safe",
        reply_timeout=5.0, retries=3, push_job_events=False,
    )
    server = TestServer(create_simulator_app(sim_config), host="127.0.0.1")
    await server.start_server()
    settings = make_settings(**{
        "database.url": pg_migrated,
        "redis.url": REDIS_URL,
        "redis.prefix": prefix,
        "wechat.encryption": "safe",
        "wechat.api_base": str(server.make_url("")).rstrip("/"),
        "delivery.poll_seconds": 0.1,
        "delivery.retry.base_seconds": 0.05,
        "delivery.retry.max_seconds": 0.5,
        "delivery.api_timeout_seconds": 3.0,
        "delivery.connect_timeout_seconds": 0.5,
        "delivery.lease_seconds": 15.0,
        "delivery.templates.default.template_id": TEMPLATE_ID,
        "logging.level": "INFO",
    })
    config = write_config(settings, logs / "config.yaml")
    db = Database.open(pg_migrated)
    deployment = Deployment(settings, config, logs, db, server.app[SIMULATOR_STATE])
    http = aiohttp.ClientSession()
    site = Site(deployment, Proxy(WeChatPeer(sim_config, http), http, deployment.sim,
                                  deployment.web), http, {})
    try:
        # the four processes start together
        await asyncio.gather(
            deployment.start_web("web-1"),
            deployment.start_web("web-2"),
            deployment.start_worker("worker-1", scheduler=True),
            deployment.start_worker("worker-2", scheduler=False),
        )
        directory = StaffDirectory(db, departments=department_names())
        admin = await directory.create_user("ops", password=generate_password(), role="admin",
                                            display_name="值班管理员")
        _, token = await directory.create_token(admin.id, name="deploy test", scope="write")
        site.staff = {"Authorization": f"Bearer {token}"}
        yield site
    finally:
        await deployment.stop()
        await http.close()
        await db.close()
        await server.close()
        client = Redis.from_url(REDIS_URL)
        try:
            keys = list(client.scan_iter(f"{prefix}:*"))
            if keys:
                client.delete(*keys)
        finally:
            client.close()


def _tables() -> list[str]:
    from bot.storage.registry import Base

    return [f'"{t.name}"' for t in Base.metadata.sorted_tables]
