"""`minyi serve` loads the classifier before its port opens: the first complaint after a
start does not hold the event loop (and every message in flight) while it loads. Found by
tests/deploy: right after a start, every message of the first burst missed WeChat's 5 s."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestServer

from bench.dialogs import rules_triage
from bot.cli import serve_app
from handlers import conversation
from tests.conftest import make_settings


class Recording:
    """The triage, noting what it was asked to classify."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.pack = inner.pack
        self.gazetteer = getattr(inner, "gazetteer", None)
        self.texts: list[str] = []

    def classify(self, text: str, **kwargs: Any) -> Any:
        self.texts.append(text)
        return self.inner.classify(text, **kwargs)


async def test_the_classifier_is_used_once_before_the_first_message(sqlite_url: str) -> None:
    settings = make_settings(**{"database.url": sqlite_url, "redis.url": "memory://"})
    app = serve_app(settings)
    triage = app[conversation.TRIAGE] = Recording(rules_triage())
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        assert len(triage.texts) == 1  # at start-up, no message has come in
        assert app[conversation.ENGINE].kit.classifier is triage
    finally:
        await server.close()
