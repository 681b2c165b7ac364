"""Pick the store implementation from the configured URL."""

from __future__ import annotations

from bot.stores.base import Stores
from bot.stores.memory import MemoryStores
from bot.stores.redis import RedisStores


def open_stores(url: str, prefix: str) -> Stores:
    if url.startswith("memory://"):
        return MemoryStores()
    return RedisStores.from_url(url, prefix)
