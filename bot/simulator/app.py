"""create_simulator_app: the simulated WeChat platform as an aiohttp application."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from bot.simulator.api import add_api_routes
from bot.simulator.config import SimulatorConfig
from bot.simulator.control import add_control_routes
from bot.simulator.page import add_page_routes
from bot.simulator.peer import WeChatPeer
from bot.simulator.state import SIMULATOR_STATE, SimulatorState


async def _peer_session(app: web.Application) -> AsyncIterator[None]:
    state = app[SIMULATOR_STATE]
    async with aiohttp.ClientSession() as session:
        state.peer = WeChatPeer(state.config, session)
        yield
        await state.aclose()
        state.peer = None


def create_simulator_app(config: SimulatorConfig) -> web.Application:
    """The simulator: mount it as a sub-app (`app.add_subapp("/simulator", ...)`) or run it
    on its own port. Its state is at `app[SIMULATOR_STATE]`."""
    app = web.Application()
    app[SIMULATOR_STATE] = SimulatorState(config)
    add_api_routes(app)
    add_control_routes(app)
    add_page_routes(app)
    app.cleanup_ctx.append(_peer_session)
    return app


def mount_simulator(
    parent: web.Application, config: SimulatorConfig, prefix: str = "/simulator"
) -> web.Application:
    """Mount the simulator under `prefix` and redirect the bare prefix to `prefix/`
    (a sub-app only answers below its prefix; the page's relative URLs need the slash)."""
    simulator = create_simulator_app(config)

    async def to_page(request: web.Request) -> web.Response:
        raise web.HTTPFound(prefix + "/")

    # registered before the sub-app: otherwise the sub-app claims the bare prefix and 404s
    parent.router.add_get(prefix, to_page)
    parent.add_subapp(prefix, simulator)
    return simulator
