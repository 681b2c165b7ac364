"""What a command line tool says when the database refuses a query."""

from __future__ import annotations

import sys

from sqlalchemy.exc import DBAPIError

from bot.storage.db import Database


async def report_database_error(database: Database, url: str, exc: DBAPIError) -> int:
    """Print one line for a `minyi` command's database error and return its exit code: 2 with
    the fix when the database has no tables yet (`minyi slips list` before `minyi db upgrade`
    printed a SQLAlchemy traceback), 1 with the driver's message otherwise."""
    from bot.cli import _shown_url as shown_url

    try:
        empty = not await database.has_tables()
    except Exception:  # noqa: BLE001 - unreachable too: the original error says more
        empty = False
    if empty:
        print(f"minyi: the database {shown_url(url)} has no tables yet: "
              "run `minyi db upgrade` first", file=sys.stderr)
        return 2
    print(f"minyi: database error ({exc.orig!r}); run `minyi db upgrade` first?", file=sys.stderr)
    return 1
