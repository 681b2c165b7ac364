"""Fast shared state: conversations, dedupe with reply cache, locks, rate limits.

One small interface (`Stores`) with a Redis implementation for production and an in-process
one for the demo and single-process use. `open_stores(url, prefix)` picks by URL.
"""

from bot.stores.base import Claim, ClaimState, Held, LockTimeout, StateSuperseded, Stores
from bot.stores.factory import open_stores

__all__ = [
    "Claim", "ClaimState", "Held", "LockTimeout", "StateSuperseded", "Stores", "open_stores",
]
