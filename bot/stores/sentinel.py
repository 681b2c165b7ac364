"""Redis behind Sentinel: a client of the current master that follows failovers by itself.

It asks the sentinels for the master on every new connection and drops its connections when
the master changes, so a failover needs no restart and no change of configuration. The URL
form is in bot/redis_urls.py.
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.sentinel import Sentinel, SentinelConnectionPool

from bot.redis_urls import parse_sentinel_url


class _BlockingSentinelPool(SentinelConnectionPool, BlockingConnectionPool):
    """Sentinel's master lookup with the blocking pool's waiting for a free connection (in a
    burst a request waits instead of failing with "Too many connections")."""


def sentinel_client(
    url: str, **connection: Any
) -> tuple[Redis, Sentinel]:
    """A client of the current master, and the Sentinel handle to close with it."""
    address = parse_sentinel_url(url)
    timeouts = {k: connection[k] for k in ("socket_timeout", "socket_connect_timeout")
                if k in connection}
    # TLS to the sentinels (sentinel_kwargs) and to the master (the pool's connections)
    tls: dict[str, Any] = {"ssl": True, **address.tls_options} if address.tls else {}
    sentinel = Sentinel(
        list(address.sentinels),
        sentinel_kwargs={"password": address.sentinel_password, **timeouts, **tls},
    )
    client = sentinel.master_for(
        address.service,
        connection_pool_class=_BlockingSentinelPool,
        db=address.db,
        username=address.username,
        password=address.password,
        **connection,
        **tls,
    )
    return client, sentinel
