"""JSON Schema for the API's payloads, derived from the service's own dataclasses.

Deriving the schemas from the types the handlers serialise keeps the OpenAPI document and the
responses from drifting apart: a field added to SlipView appears in both.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import date, datetime
from typing import Any, Union


class SchemaBuilder:
    """Collects component schemas (`#/components/schemas/Name`) while converting types."""

    def __init__(self) -> None:
        self.components: dict[str, dict[str, Any]] = {}

    def ref(self, cls: type) -> dict[str, Any]:
        name = cls.__name__
        if name not in self.components:
            self.components[name] = {}  # placeholder: recursive types terminate
            self.components[name] = self.object_of(cls)
        return {"$ref": f"#/components/schemas/{name}"}

    def object_of(self, cls: type) -> dict[str, Any]:
        hints = typing.get_type_hints(cls)
        properties = {}
        for field in dataclasses.fields(cls):
            properties[field.name] = self.of(hints[field.name])
        return {
            "type": "object",
            "properties": properties,
            "required": list(properties),
            "additionalProperties": False,
        }

    def of(self, hint: Any) -> dict[str, Any]:
        origin = typing.get_origin(hint)
        args = typing.get_args(hint)
        if hint is Any:
            return {}
        if origin in (Union, types.UnionType):
            options = [a for a in args if a is not type(None)]
            nullable = len(options) < len(args)
            inner = (
                self.of(options[0])
                if len(options) == 1
                else {"anyOf": [self.of(a) for a in options]}
            )
            return _nullable(inner) if nullable else inner
        if origin in (list, tuple, typing.Sequence):
            item = args[0] if args else Any
            return {"type": "array", "items": self.of(item)}
        if origin is dict or hint is dict:
            value = args[1] if len(args) == 2 else Any
            return {"type": "object", "additionalProperties": self.of(value)}
        if hint is str:
            return {"type": "string"}
        if hint is bool:
            return {"type": "boolean"}
        if hint is int:
            return {"type": "integer"}
        if hint is float:
            return {"type": "number"}
        if hint is datetime:
            return {"type": "string", "format": "date-time"}
        if hint is date:
            return {"type": "string", "format": "date"}
        if dataclasses.is_dataclass(hint):
            return self.ref(hint)
        raise TypeError(f"no JSON schema for {hint!r}")


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    kind = schema.get("type")
    if isinstance(kind, str):
        return {**schema, "type": [kind, "null"]}
    return {"anyOf": [schema, {"type": "null"}]}
