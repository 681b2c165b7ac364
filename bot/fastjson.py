"""JSON text through orjson where it writes and reads what the json module would.

For the values written on every message (conversation state, database JSON columns). A value
orjson would treat differently — a datetime or dataclass it would serialise, non-string keys,
integers past 64 bits, NaN and the like on reading — takes the json module's path, so the
result is what json gives (or json's error).
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_STRICT = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def dumps(value: Any) -> str:
    try:
        return orjson.dumps(value, option=_STRICT).decode()
    except TypeError:
        return json.dumps(value, ensure_ascii=False)


def loads(text: str | bytes) -> Any:
    try:
        return orjson.loads(text)
    except ValueError:
        return json.loads(text)
