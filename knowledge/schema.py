"""Reading and checking knowledge files: every problem becomes a KnowledgeError that names
the file, the entry (``departments[3].level``) and the reason."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import yaml

from knowledge.errors import KnowledgeError

# libyaml's parser when PyYAML has it (several times faster: the data files are read at every
# start, and the tests start hundreds of apps)
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """``yaml.safe_load`` with libyaml's parser when there is one."""
    return yaml.load(text, Loader=_BaseLoader)  # noqa: S506 - the safe loader


class _StrictLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe loader that rejects a key given twice in one mapping (a common editing slip)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    result: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} appears twice in one mapping", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=deep)
    return result


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping
)


def display_path(path: Path) -> str:
    """The path as people see it: relative to the repository when the pack lives in it."""
    path = path.resolve()
    repo = Path(__file__).resolve().parents[1]
    try:
        return path.relative_to(repo).as_posix()
    except ValueError:
        return str(path)


def read_yaml(path: Path) -> dict[str, Any]:
    """Load a YAML file whose top level is a mapping."""
    name = display_path(path)
    if not path.is_file():
        raise KnowledgeError(name, "(file)", "file is missing")
    try:
        with path.open(encoding="utf-8") as fh:
            data = yaml.load(fh, Loader=_StrictLoader)  # noqa: S506 - safe loader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "(file)"
        problem = getattr(exc, "problem", None) or str(exc)
        raise KnowledgeError(name, where, f"not valid YAML: {problem}") from exc
    except UnicodeDecodeError as exc:
        raise KnowledgeError(name, "(file)", "not UTF-8 text") from exc
    if not isinstance(data, dict):
        raise KnowledgeError(name, "(file)", "the top level must be a mapping of keys to values")
    return data


def read_csv(path: Path, header: list[str]) -> Iterator[tuple[int, list[str]]]:
    """Rows of a UTF-8 CSV file with exactly ``header``, as (line number, cells)."""
    name = display_path(path)
    if not path.is_file():
        raise KnowledgeError(name, "(file)", "file is missing")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        first = next(reader, None)
        if first != header:
            raise KnowledgeError(name, "line 1", f"header must be {','.join(header)}, got {first}")
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise KnowledgeError(
                    name, f"line {reader.line_num}", f"expected {len(header)} cells, got {len(row)}"
                )
            yield reader.line_num, [cell.strip() for cell in row]


class Node:
    """A value inside a knowledge file together with where it is, for error messages."""

    def __init__(self, file: str, where: str, value: Any) -> None:
        self.file = file
        self.where = where
        self.value = value

    # -- errors --------------------------------------------------------------------------------
    def fail(self, reason: str, key: str | None = None) -> NoReturn:
        where = f"{self.where}.{key}" if key else self.where
        raise KnowledgeError(self.file, where, reason)

    # -- navigation ----------------------------------------------------------------------------
    def child(self, key: str) -> Node:
        return Node(self.file, f"{self.where}.{key}" if self.where else key, self.mapping()[key])

    def mapping(self, allowed: Iterable[str] | None = None) -> dict[str, Any]:
        if not isinstance(self.value, dict):
            self.fail(f"must be a mapping, got {_kind(self.value)}")
        if allowed is not None:
            allowed = set(allowed)
            for key in self.value:
                if key not in allowed:
                    self.fail(f"unknown key (allowed: {', '.join(sorted(allowed))})", str(key))
        return self.value

    def items(self, key: str, *, required: bool = True) -> list[Node]:
        """The entries of a list under ``key`` as Nodes named ``key[i]``."""
        data = self.mapping()
        if key not in data or data[key] is None:
            if required:
                self.fail("is required", key)
            return []
        value = data[key]
        where = f"{self.where}.{key}" if self.where else key
        if not isinstance(value, list):
            Node(self.file, where, value).fail(f"must be a list, got {_kind(value)}")
        return [Node(self.file, f"{where}[{i}]", v) for i, v in enumerate(value)]

    def entries(self, key: str) -> list[tuple[str, Node]]:
        """The entries of a mapping under ``key`` as (name, Node named ``key.name``)."""
        data = self.mapping()
        if key not in data:
            self.fail("is required", key)
        node = self.child(key)
        return [
            (str(k), Node(self.file, f"{node.where}.{k}", v)) for k, v in node.mapping().items()
        ]

    # -- scalar fields -------------------------------------------------------------------------
    def text(self, key: str, *, required: bool = True, default: str | None = None) -> str:
        data = self.mapping()
        if key not in data or data[key] is None:
            if required:
                self.fail("is required", key)
            return default  # type: ignore[return-value]
        value = data[key]
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            self.fail(f"must be non-empty text, got {value!r}", key)
        return value.strip()

    def opt_text(self, key: str) -> str | None:
        return self.text(key, required=False)

    def choice(self, key: str, choices: Iterable[str], *, default: str | None = None) -> str:
        choices = list(choices)
        value = self.text(key, required=default is None, default=default)
        if value not in choices:
            self.fail(f"{value!r} is not one of {'/'.join(choices)}", key)
        return value

    def number(
        self,
        key: str,
        *,
        lo: float | None = None,
        hi: float | None = None,
        default: float | None = None,
        integer: bool = False,
    ) -> float:
        data = self.mapping()
        if key not in data or data[key] is None:
            if default is None:
                self.fail("is required", key)
            return default
        value = data[key]
        kinds = (int,) if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, kinds):
            self.fail(f"must be {'a whole number' if integer else 'a number'}, got {value!r}", key)
        if lo is not None and value < lo:
            self.fail(f"must be at least {lo}, got {value}", key)
        if hi is not None and value > hi:
            self.fail(f"must be at most {hi}, got {value}", key)
        return value

    def integer(self, key: str, *, lo: int | None = None, hi: int | None = None,
                default: int | None = None) -> int:
        return int(self.number(key, lo=lo, hi=hi, default=default, integer=True))

    def flag(self, key: str, *, default: bool = False) -> bool:
        data = self.mapping()
        if key not in data or data[key] is None:
            return default
        if not isinstance(data[key], bool):
            self.fail(f"must be true or false, got {data[key]!r}", key)
        return data[key]

    def words(self, key: str, *, required: bool = False) -> tuple[str, ...]:
        """A list of non-empty, distinct texts (a single text counts as a one-item list)."""
        data = self.mapping()
        if key not in data or data[key] is None:
            if required:
                self.fail("is required", key)
            return ()
        value = data[key]
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.fail(f"must be a list of texts, got {_kind(value)}", key)
        out: list[str] = []
        for i, item in enumerate(value):
            if isinstance(item, int) and not isinstance(item, bool):
                item = str(item)
            if not isinstance(item, str) or not item.strip():
                self.fail(f"must be non-empty text, got {item!r}", f"{key}[{i}]")
            if item.strip() in out:
                self.fail(f"{item.strip()!r} is listed twice", f"{key}[{i}]")
            out.append(item.strip())
        if required and not out:
            self.fail("must list at least one entry", key)
        return tuple(out)

    def patterns(self, key: str) -> tuple[re.Pattern[str], ...]:
        """A list of regular expressions; each must compile."""
        out = []
        for i, text in enumerate(self.words(key)):
            try:
                out.append(re.compile(text))
            except re.error as exc:
                self.fail(f"not a valid regular expression ({exc}): {text!r}", f"{key}[{i}]")
        return tuple(out)


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "text", type(None): "nothing"}.get(
        type(value), type(value).__name__
    )
