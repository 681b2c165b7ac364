"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, TypeDecorator
from sqlalchemy.dialects.postgresql import JSONB

INT4_MAX = 2**31 - 1  # Integer columns on PostgreSQL
INT8_MAX = 2**63 - 1  # BigInteger columns, and SQLite's INTEGER

# PostgreSQL text cannot hold NUL, and no driver can encode a lone surrogate (JSON's "\ud800").
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> bool:
    """Can this text be saved on every backend? (SQLite takes NUL; PostgreSQL refuses it.)"""
    return _UNSTORABLE.search(text) is None


def row_id(raw: str | int, limit: int = INT4_MAX) -> int | None:
    """A row id from a URL or form: ASCII digits within the column's range, else None
    (str.isdigit() takes "²", which int() refuses; an id past the column's range is no row,
    and PostgreSQL would refuse to compare it)."""
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 19:
        value = int(raw)
    else:
        return None
    return value if 0 < value <= limit else None


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes in and out (SQLite would hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class JSONType(TypeDecorator[Any]):
    """JSONB on PostgreSQL (indexable), JSON text elsewhere."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())


def utcnow() -> datetime:
    return datetime.now(UTC)
