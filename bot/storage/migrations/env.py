"""Alembic environment: always handed a live connection by bot.storage.migrate."""

from __future__ import annotations

from alembic import context

from bot.storage.registry import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `minyi db upgrade` (bot.storage.migrate)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
