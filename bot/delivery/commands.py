"""`minyi worker`: outbox delivery and scheduled jobs."""

from __future__ import annotations

import argparse

from bot.config import Settings
from bot.logs import configure_logging


def add_delivery_commands(sub: argparse._SubParsersAction) -> None:
    worker = sub.add_parser(
        "worker", help="deliver notifications to WeChat and run scheduled jobs (any number)"
    )
    worker.add_argument("--config")
    worker.add_argument("--id", help="this worker's name in claims and logs "
                        "(default host:pid:random)")
    worker.add_argument("--no-scheduler", action="store_true",
                        help="deliver only; leave the scheduled jobs to other workers")
    worker.add_argument("--drain", action="store_true",
                        help="deliver until no notification is pending, then exit")
    worker.set_defaults(func=cmd_worker)


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    from bot.delivery.runtime import run_worker_process

    configure_logging(settings.logging.level, settings.logging.format)
    return run_worker_process(
        settings, worker_id=args.id, scheduler=not args.no_scheduler, drain=args.drain
    )
