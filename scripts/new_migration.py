"""Generate an Alembic migration from the models (developers only).

    .venv/bin/python scripts/new_migration.py "what changed" REV_ID --head PARENT [--branch LABEL]

Each area of the schema is its own branch off `0001` (upgrade goes to all heads); a new table
set starts a branch with --head 0001 --branch NAME, a change to it continues with
--head NAME@head. Review the generated file before committing.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine

from bot.storage.migrate import alembic_config


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("message")
    parser.add_argument("rev_id")
    parser.add_argument("--head", required=True)
    parser.add_argument("--branch")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{Path(tmp) / 'autogen.db'}")
        with engine.begin() as conn:
            config = alembic_config(conn)
            command.upgrade(config, "heads")
            config.set_main_option("file_template", "%%(year)d-%%(month).2d-%%(day).2d_%%(slug)s")
            command.revision(
                config,
                message=args.message,
                autogenerate=True,
                rev_id=args.rev_id,
                head=args.head,
                branch_label=args.branch,
            )


if __name__ == "__main__":
    main()
