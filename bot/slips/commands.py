"""`minyi slips show/list` and `minyi audit verify`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.exc import DBAPIError

from bot.config import Settings
from bot.storage import Database
from bot.storage.errors import report_database_error


def add_slip_commands(sub: argparse._SubParsersAction) -> None:
    slips = sub.add_parser("slips", help="look at slips (民意交办单)")
    slips_sub = slips.add_subparsers(dest="slips_command", required=True)

    show = slips_sub.add_parser("show", help="one slip with its timeline")
    show.add_argument("number", help="slip number, e.g. JB2026112500017")
    show.add_argument("--json", action="store_true", help="one JSON object")
    show.add_argument("--config")
    show.set_defaults(func=cmd_slips_show)

    lst = slips_sub.add_parser("list", help="slips, newest first")
    lst.add_argument("--json", action="store_true", help="one JSON object per line")
    lst.add_argument("--status", action="append", help="state code, or open / closed (repeat)")
    lst.add_argument("--department", help="lead department code")
    lst.add_argument("--urgency")
    lst.add_argument("--q", help="free text")
    lst.add_argument("--limit", type=int, default=50)
    lst.add_argument("--config")
    lst.set_defaults(func=cmd_slips_list)

    audit = sub.add_parser("audit", help="the audit trail")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_sub.add_parser("verify", help="check every slip's hash chain (exit 1 if broken)")
    verify.add_argument("--slip", help="check only this slip number")
    verify.add_argument("--config")
    verify.set_defaults(func=cmd_audit_verify)


def _run(settings: Settings, work: Callable[[Database], Awaitable[int]]) -> int:
    async def main() -> int:
        database = Database.open(settings.database.url)
        try:
            return await work(database)
        except DBAPIError as exc:  # as `minyi user …` does
            return await report_database_error(database, settings.database.url, exc)
        finally:
            await database.close()

    return asyncio.run(main())


def _service(database: Database, settings: Settings) -> Any:
    from bot.slips.service import SlipService

    return SlipService(database, settings=settings)


LIGHT_WORDS = {"green": "绿灯", "yellow": "黄灯", "red": "红灯"}


def _light_word(light: str) -> str:
    return LIGHT_WORDS.get(light, "—")


def cmd_slips_show(args: argparse.Namespace, settings: Settings) -> int:
    from bot.slips.actor import Actor
    from bot.slips.errors import NotFound

    async def work(database: Database) -> int:
        service = _service(database, settings)
        actor = Actor.system("cli")
        try:
            view = await service.get(args.number, actor)
        except NotFound:
            print(f"minyi: no slip {args.number}", file=sys.stderr)
            return 1
        events = await service.timeline(view.id, actor)
        if args.json:
            out = view.to_dict()
            out["timeline"] = [e.to_dict() for e in events]
            print(json.dumps(out, ensure_ascii=False))
            return 0
        local = service.timing.calendar.local
        print(f"{view.number}  {view.status_label}  {view.urgency or ''}  "
              f"{view.lead_department.name if view.lead_department else '（待派单）'}")
        print(f"  {view.description}")
        if view.due_at:
            print(f"  办结时限 {local(view.due_at):%Y-%m-%d %H:%M}  {_light_word(view.light)}")
        for e in events:
            print(f"  {e.seq:>3} {local(e.at):%Y-%m-%d %H:%M} {e.action_label} {e.actor_name} "
                  f"→ {e.to_status_label} {e.note or ''}")
        return 0

    return _run(settings, work)


def cmd_slips_list(args: argparse.Namespace, settings: Settings) -> int:
    from bot.slips.actor import Actor
    from bot.slips.views import SlipFilter
    from bot.staff.commands import unknown_department

    problem = unknown_department(args.department)
    if problem:  # it listed nothing, as if the department had no slips
        print(f"minyi: --department: {problem}", file=sys.stderr)
        return 2

    async def work(database: Database) -> int:
        service = _service(database, settings)
        filters = SlipFilter(
            status=tuple(args.status) if args.status else None,
            department=args.department,
            urgency=args.urgency,
            q=args.q,
        )
        limit = max(1, min(args.limit, 200))
        page = await service.list(Actor.system("cli"), filters, per_page=limit)
        for item in page.items:
            if args.json:
                print(json.dumps(item.to_dict(), ensure_ascii=False))
            else:
                dept = item.lead_department.name if item.lead_department else "（待派单）"
                print(f"{item.number}  {item.status_label:<4} {_light_word(item.light)}  {dept}  "
                      f"{item.summary}")
        if not args.json:
            more = "" if page.total_exact else "+"
            print(f"({len(page.items)} of {page.total}{more})")
        return 0

    return _run(settings, work)


def cmd_audit_verify(args: argparse.Namespace, settings: Settings) -> int:
    from bot.slips.audit import verify_slips

    async def work(database: Database) -> int:
        checked, broken = 0, []
        async with database.session() as session:
            async for count, problem in verify_slips(session, number=args.slip):
                checked = count
                if problem is not None:
                    broken.append(problem)
        if args.slip and checked == 0:
            print(f"minyi: no slip {args.slip}", file=sys.stderr)
            return 1
        for problem in broken:
            print(f"BROKEN {problem}")
        if broken:
            print(f"audit chain broken in {len(broken)} of {checked} slips", file=sys.stderr)
            return 1
        print(f"audit chains intact: {checked} slips")
        return 0

    return _run(settings, work)
