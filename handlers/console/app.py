"""setup_console(app): the console sub-app and the staff services it shares with the API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from importlib import resources

from aiohttp import web

from bot.slips.service import SlipService
from bot.staff import LoginThrottle, SessionStore, StaffDirectory
from handlers import keys as app_keys
from handlers.console import dashboard, keys, media, views_auth, views_slips, views_users
from handlers.console.catalogue import Catalogue
from handlers.console.media import media_client
from handlers.console.middlewares import auth_middleware, errors_middleware
from handlers.console.render import setup_templates
from handlers.console.security import setup_security_headers


async def _staff_services(app: web.Application) -> AsyncIterator[None]:
    """Runs after create_app's resources (database, stores) are open."""
    settings = app[app_keys.SETTINGS]
    console = settings.console
    pack = app_keys.pack_of(app)
    # Staff never issue slips, so the console's service needs no classifier.
    slips = app.get(app_keys.SLIP_SERVICE) or SlipService(
        app[app_keys.DATABASE], settings=settings, pack=pack
    )
    catalogue = Catalogue.build(pack, slips.workflow)
    app[keys.SLIPS] = slips
    app[keys.CATALOGUE] = catalogue
    app[keys.STAFF] = StaffDirectory(app[app_keys.DATABASE], departments=catalogue.departments)
    app[keys.SESSIONS] = SessionStore(
        app[app_keys.STORES],
        idle_seconds=console.session_idle_minutes * 60,
        max_age_seconds=console.session_max_hours * 3600,
    )
    app[keys.THROTTLE] = LoginThrottle(
        app[app_keys.STORES],
        per_user=console.login_attempts_per_user,
        per_ip=console.login_attempts_per_ip,
        window_seconds=console.login_window_minutes * 60,
    )
    yield


def create_console_app() -> web.Application:
    console = web.Application(middlewares=[errors_middleware, auth_middleware])
    setup_templates(console)
    setup_security_headers(console)

    async def home(request: web.Request) -> web.Response:
        raise web.HTTPSeeOther("/console/workbench")

    console.router.add_get("/", home)
    console.router.add_routes(views_auth.routes)
    console.router.add_routes(views_users.routes)
    dashboard.setup(console)  # 统计分析 and 热点诉求 (H8)
    console.router.add_routes(views_slips.routes)
    console.router.add_routes(media.routes)
    static = resources.files("handlers.console").joinpath("static")
    console.router.add_static("/static/", str(static), append_version=False)
    return console


def setup_console(app: web.Application) -> None:
    """Mount the console at /console (call from create_app after its resources)."""
    app.cleanup_ctx.append(_staff_services)
    app.cleanup_ctx.append(media_client)

    async def to_console(request: web.Request) -> web.Response:
        raise web.HTTPFound("/console/")

    app.router.add_get("/console", to_console)
    app.add_subapp("/console", create_console_app())
