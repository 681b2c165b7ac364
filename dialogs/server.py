"""The dialog actions as a Rasa action server: rasa-sdk's own endpoint (`rasa_sdk.endpoint`).

A Rasa deployment points its `action_endpoint` at it and gets the same classes the in-process
engine runs: `validate_complaint_form`, `action_ask_<slot>`, `action_submit_complaint`, …
(`GET /actions` lists them; `GET /health`; `POST /webhook` runs one). The server runs in the
caller's event loop, so the slip desk's database connections live in the same loop.
"""

from __future__ import annotations

import contextlib
import logging
import socket
from collections.abc import AsyncIterator

from rasa_sdk.endpoint import create_app
from sanic import Sanic

from dialogs.actions import action_executor, all_actions
from dialogs.domain import domain
from dialogs.kit import DialogKit

log = logging.getLogger(__name__)


def domain_of(kit: DialogKit) -> dict:
    """The domain a Rasa assistant needs to use these actions (slots, form, intents)."""
    return domain([a.name() for a in all_actions(kit)])


@contextlib.asynccontextmanager
async def action_server(
    kit: DialogKit, host: str = "127.0.0.1", port: int = 5055
) -> AsyncIterator[int]:
    """Serve the actions on host:port (0: any free port) until the block ends; yields the port."""
    executor = action_executor(kit)
    app = create_app(executor, cors_origins=None)
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound = sock.getsockname()[1]
    server = await app.create_server(sock=sock, access_log=False, return_asyncio_server=True)
    try:
        if server is None:
            raise RuntimeError("sanic did not create a server")
        await server.startup()
        await server.before_start()
        await server.after_start()
        log.info("Rasa action server on http://%s:%d (%d actions)", host, bound,
                 len(executor.actions))
        yield bound
    finally:
        if server is not None and server.app.state.is_started:
            await server.before_stop()
            closing = server.close()
            if closing is not None:
                await closing
            await server.after_stop()
        sock.close()
        Sanic.unregister_app(app)
