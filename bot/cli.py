"""`minyi`: the command line (DESIGN.md §4)."""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import re
import socket
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from aiohttp import web

from bot.config import ConfigError, Settings, load_settings
from bot.delivery.commands import add_delivery_commands as _add_delivery_commands
from bot.knowledge_commands import add_knowledge_commands as _add_knowledge_commands
from bot.logs import configure_logging
from bot.slips.commands import add_slip_commands as _add_slip_commands
from bot.staff.commands import add_staff_commands as _add_staff_commands

log = logging.getLogger("minyi")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        settings = load_settings(getattr(args, "config", None))
    except ConfigError as exc:
        print(f"minyi: configuration error:\n{exc}", file=sys.stderr)
        return 2
    try:
        return int(args.func(args, settings) or 0)
    except ConfigError as exc:
        print(f"minyi: configuration error:\n{exc}", file=sys.stderr)
        return 2
    except PortUnavailable as exc:
        print(f"minyi: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="minyi", description="Minyi (民意) complaint desk")
    sub = parser.add_subparsers(dest="command")

    demo = sub.add_parser("demo", help="run the self-contained demo (SQLite, simulated WeChat)")
    demo.add_argument("--port", type=int, default=8080)
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--config")
    demo.set_defaults(func=cmd_demo)

    serve = sub.add_parser("serve", help="run a production web process")
    serve.add_argument("--config")
    serve.add_argument("--port", type=int)
    serve.add_argument("--host")
    serve.set_defaults(func=cmd_serve)

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_sub.add_parser("upgrade", help="bring the schema to the newest migration")
    upgrade.add_argument("--config")
    upgrade.set_defaults(func=cmd_db_upgrade)
    _add_staff_commands(sub)
    _add_slip_commands(sub)
    _add_delivery_commands(sub)
    _add_knowledge_commands(sub)
    _add_dialog_commands(sub)
    return parser


def _add_dialog_commands(sub: argparse._SubParsersAction) -> None:
    actions = sub.add_parser("actions", help="serve the dialog actions as a Rasa action server")
    actions.add_argument("--port", type=int, default=5055)
    actions.add_argument("--host", default="127.0.0.1", help="no authentication: keep it private")
    actions.add_argument("--config")
    actions.add_argument("--domain", action="store_true",
                         help="print the Rasa domain (YAML) the actions expect, and exit")
    actions.set_defaults(func=cmd_actions)


def cmd_actions(args: argparse.Namespace, settings: Settings) -> int:
    from handlers.conversation import domain_yaml, serve_actions

    if args.domain:
        print(domain_yaml(), end="")
        return 0
    configure_logging(settings.logging.level, settings.logging.format)
    asyncio.run(serve_actions(settings, args.host, args.port))
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import create_demo_app
    from bot.staff.demo import demo_staff_hook
    from handlers import keys

    settings = settings.for_demo().with_overrides(**{"server.port": args.port})
    _require_free_port(args.host, args.port)
    configure_logging(settings.logging.level, settings.logging.format)
    base = f"http://{args.host}:{args.port}"
    settings = settings.with_overrides(
        **{"wechat.api_base": f"{base}/simulator", "server.public_url": base}
    )
    app = create_demo_app(settings, base)

    async def announce(_app: web.Application) -> None:
        print(
            "\nMinyi demo is running.\n"
            f"  Resident chat (simulated WeChat): {base}/simulator\n"
            f"  WeChat webhook:                   {base}/wechat\n"
            f"  Health:                           {base}/healthz\n"
            f"  Database: {settings.database.url}   Stores: {settings.redis.url}\n",
            flush=True,
        )

    async def last_line(_app: web.Application) -> None:
        print("Press Ctrl+C to stop.\n", flush=True)

    app.on_startup.append(announce)
    app.on_startup.append(demo_staff_hook(settings, base, keys.DATABASE))
    app.on_startup.append(last_line)  # after the console and logins, and the log lines
    with _listen_errors(args.host, args.port):
        web.run_app(app, host=args.host, port=args.port, print=None)
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    overrides = {}
    if args.port:
        overrides["server.port"] = args.port
    if args.host:
        overrides["server.host"] = args.host
    settings = settings.with_overrides(**overrides)
    _require_production_secrets(settings)
    _require_free_port(settings.server.host, settings.server.port)
    configure_logging(settings.logging.level, settings.logging.format)
    app = serve_app(settings)

    async def started(_app: web.Application) -> None:
        # the one line an operator looks for; the database URL without its password
        log.info("minyi serve on http://%s:%s (database %s, stores %s)",
                 settings.server.host, settings.server.port,
                 _shown_url(settings.database.url), _shown_url(settings.redis.url))

    app.on_startup.append(started)
    with _listen_errors(settings.server.host, settings.server.port):
        web.run_app(
            app,
            host=settings.server.host,
            port=settings.server.port,
            print=None,
            access_log=None,
            loop=new_event_loop(),
        )
    return 0


class PortUnavailable(Exception):
    """The web process cannot listen where it was told to; the message is the one line shown."""


def _port_message(host: str | None, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return (f"port {port} is already in use: stop the other process "
                "or choose another with --port")
    return f"cannot listen on {host or '*'}:{port}: {exc.strerror or exc}"


def _require_free_port(host: str | None, port: int) -> None:
    """Bind (and release) every address the web server will listen on, before anything is
    announced: `minyi demo` printed its URLs and logins, then a traceback, when the port was
    taken, and the URLs led to the other process. Options as asyncio's create_server sets them,
    so a port only in TIME_WAIT is not refused here."""
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
    except OSError as exc:
        raise PortUnavailable(f"cannot listen on {host or '*'}:{port}: {exc}") from None
    for family, kind, proto, _name, address in dict.fromkeys(infos):
        with socket.socket(family, kind, proto) as probe:
            if hasattr(socket, "SO_REUSEADDR") and sys.platform != "win32":
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6 and hasattr(socket, "IPPROTO_IPV6"):
                probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                probe.bind(address)
            except OSError as exc:
                raise PortUnavailable(_port_message(host, port, exc)) from None


@contextmanager
def _listen_errors(host: str | None, port: int) -> Iterator[None]:
    """The port taken between the check above and the server's own bind: the same one line."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in (errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES):
            raise
        raise PortUnavailable(_port_message(host, port, exc)) from None


def serve_app(settings: Settings) -> web.Application:
    """`minyi serve`'s application: create_app, warmed up before its port opens."""
    from bot.app import create_app

    app = create_app(settings)
    app.on_startup.append(warm_up)  # runs after create_app's resources are set up
    return app


async def warm_up(app: web.Application) -> None:
    """Load what the first complaint would load otherwise, with the event loop held and every
    message in flight waiting (the classifier and the word segmenter: a second, several on a
    busy machine; found by tests/deploy). The port opens, and /healthz answers, after this."""
    from handlers import conversation

    engine = app.get(conversation.ENGINE)
    classifier = getattr(getattr(engine, "kit", None), "classifier", None)
    if classifier is None:
        return
    try:
        await asyncio.to_thread(classifier.classify, "小区门口的路灯坏了三天了")
    except Exception:  # noqa: BLE001 - the first message will say what is wrong
        log.warning("could not warm up the classifier", exc_info=True)


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop where it is installed (it is a dependency): the webhook's throughput and
    latency depend on the event loop; the standard one otherwise."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is pinned in pyproject
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def _require_production_secrets(settings: Settings) -> None:
    missing = [
        name
        for name, value in (
            ("wechat.token (MINYI_WECHAT_TOKEN)", settings.wechat.token),
            ("wechat.appid (MINYI_WECHAT_APPID)", settings.wechat.appid),
            ("security.secret_key (MINYI_SECRET_KEY)", settings.security.secret_key),
        )
        if not value
    ]
    if settings.wechat.encryption != "plain" and not settings.wechat.aes_key:
        missing.append("wechat.aes_key (MINYI_WECHAT_AES_KEY), or wechat.encryption: plain")
    if missing:
        raise ConfigError(
            "\n".join(f"{settings.source}: {name}: required to serve" for name in missing)
        )


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from bot.storage import Database

    async def run() -> None:
        database = Database.open(settings.database.url)
        try:
            await database.upgrade()
        finally:
            await database.close()

    asyncio.run(run())
    print(f"database at the newest schema: {_shown_url(settings.database.url)}")
    return 0


def _shown_url(url: str) -> str:
    """A database or Redis URL fit for a terminal or a log: its password replaced by ***."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from bot.redis_urls import is_sentinel_url

    if not is_sentinel_url(url):  # several hosts: not a SQLAlchemy URL
        try:
            return make_url(url).render_as_string(hide_password=True)
        except (ArgumentError, ValueError):
            pass
    scheme, _, rest = url.partition("://")
    userinfo, at, hosts = rest.rpartition("@")
    if at:
        user, colon, _ = userinfo.partition(":")
        rest = f"{user}{':***' if colon else ''}@{hosts}"
    rest = re.sub(r"(password=)[^&]*", r"\1***", rest)
    return f"{scheme}://{rest}"


if __name__ == "__main__":
    sys.exit(main())
