"""Relational storage: SQLAlchemy 2 async models, the database handle, repositories, Alembic."""

from bot.storage.db import Database

__all__ = ["Database"]
