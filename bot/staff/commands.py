"""`minyi user …`: staff accounts and API tokens from the command line."""

from __future__ import annotations

import argparse
import asyncio
import sys
import unicodedata

from sqlalchemy.exc import DBAPIError

from bot.config import Settings
from bot.staff.catalogue import department_names
from bot.staff.directory import StaffDirectory
from bot.staff.errors import StaffInputError
from bot.staff.passwords import generate_password
from bot.staff.roles import ROLE_LABELS, Role, TokenScope
from bot.storage import Database
from bot.storage.errors import report_database_error


def add_staff_commands(sub: argparse._SubParsersAction) -> None:
    user = sub.add_parser("user", help="staff accounts and API tokens")
    user_sub = user.add_subparsers(dest="user_command", required=True)

    add = user_sub.add_parser("add", help="create a staff account")
    add.add_argument("name", help="login name (lower-case letters, digits, . _ -)")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--department", help="department code (required for handlers)")
    add.add_argument("--display-name", help="the person's name as staff see it")
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from stdin (otherwise one is generated and printed)",
    )
    add.add_argument("--config")
    add.set_defaults(func=cmd_user_add)

    lst = user_sub.add_parser("list", help="list staff accounts")
    lst.add_argument("--config")
    lst.set_defaults(func=cmd_user_list)

    passwd = user_sub.add_parser("passwd", help="set a new password (ends every session)")
    passwd.add_argument("name")
    passwd.add_argument("--password-stdin", action="store_true")
    passwd.add_argument("--config")
    passwd.set_defaults(func=cmd_user_passwd)

    token = user_sub.add_parser("token", help="create an API token for an account")
    token.add_argument("name", help="the account the token acts as")
    token.add_argument("--label", required=True, help="what the token is for")
    token.add_argument("--scope", choices=[s.value for s in TokenScope], default="read")
    token.add_argument("--config")
    token.set_defaults(func=cmd_user_token)


def _run(settings: Settings, work) -> int:
    async def main() -> int:
        database = Database.open(settings.database.url)
        try:
            directory = StaffDirectory(database, departments=department_names())
            return await work(directory)
        except StaffInputError as exc:
            print(f"minyi: {exc.field}: {exc.message}", file=sys.stderr)
            return 2
        except DBAPIError as exc:
            return await report_database_error(database, settings.database.url, exc)
        finally:
            await database.close()

    return asyncio.run(main())


def _read_password() -> str:
    return sys.stdin.readline().rstrip("\r\n")


def unknown_department(code: str | None) -> str | None:
    """The CLI's message for a department code not in the catalogue, with the valid codes and
    their names (the directory's own message, 没有这个部门代码, listed none); None if it is known
    or not given."""
    code = (code or "").strip()
    departments = department_names()
    if not code or code in departments:
        return None
    return f"no department with code {code!r}; the codes are:\n" + "\n".join(
        _packed([f"{c} {name}" for c, name in departments.items()]))


def _packed(items: list[str], width: int = 100) -> list[str]:
    """Items on indented lines of at most `width` terminal columns (a CJK character takes two),
    none split across lines."""
    lines: list[str] = []
    line, used = "", 0
    for item in items:
        cols = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in item)
        if line and used + 2 + cols > width:
            lines.append(line + ",")
            line, used = "", 0
        line, used = (f"{line}, {item}", used + 2 + cols) if line else (f"  {item}", 2 + cols)
    if line:
        lines.append(line)
    return lines


def cmd_user_add(args: argparse.Namespace, settings: Settings) -> int:
    problem = unknown_department(args.department)
    if problem:
        print(f"minyi: department: {problem}", file=sys.stderr)
        return 2
    password = _read_password() if args.password_stdin else generate_password()

    async def work(directory: StaffDirectory) -> int:
        member = await directory.create_user(
            args.name,
            password=password,
            role=args.role,
            display_name=args.display_name,
            department=args.department,
        )
        where = f", {member.department}" if member.department else ""
        print(f"created {member.username} ({ROLE_LABELS[member.role]}{where})")
        if not args.password_stdin:
            print(f"password: {password}")
        return 0

    return _run(settings, work)


def cmd_user_list(args: argparse.Namespace, settings: Settings) -> int:
    async def work(directory: StaffDirectory) -> int:
        for m in await directory.list_users():
            state = "active" if m.active else "disabled"
            print(f"{m.username}\t{m.role}\t{m.department or '-'}\t{state}\t{m.display_name}")
        return 0

    return _run(settings, work)


def cmd_user_passwd(args: argparse.Namespace, settings: Settings) -> int:
    password = _read_password() if args.password_stdin else generate_password()

    async def work(directory: StaffDirectory) -> int:
        member = await directory.by_username(args.name)
        if member is None:
            print(f"minyi: no account named {args.name}", file=sys.stderr)
            return 1
        await directory.set_password(member.id, password)
        print(f"password changed for {member.username}; their sessions have ended")
        if not args.password_stdin:
            print(f"password: {password}")
        return 0

    return _run(settings, work)


def cmd_user_token(args: argparse.Namespace, settings: Settings) -> int:
    async def work(directory: StaffDirectory) -> int:
        member = await directory.by_username(args.name)
        if member is None:
            print(f"minyi: no account named {args.name}", file=sys.stderr)
            return 1
        info, token = await directory.create_token(member.id, name=args.label, scope=args.scope)
        print(f"token {info.prefix}… ({info.scope}) for {member.username}; shown only once:")
        print(token)
        return 0

    return _run(settings, work)
