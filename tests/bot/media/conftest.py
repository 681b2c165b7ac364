"""The media copier against the WeChat simulator over real HTTP, on both backends (the
delivery tests' stack: simulator on an ephemeral port, database, stores, one session)."""

from __future__ import annotations

from tests.bot.delivery.conftest import make_stack  # noqa: F401  fixture
