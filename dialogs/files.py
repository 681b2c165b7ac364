"""Loading the dialog data files in knowledge/ with errors that name the file and the entry."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from knowledge.schema import load_yaml

KNOWLEDGE = Path(__file__).resolve().parents[1] / "knowledge"
INTENTS_FILE = KNOWLEDGE / "intents.yaml"
FAQ_FILE = KNOWLEDGE / "faq.yaml"
TEXTS_FILE = KNOWLEDGE / "dialog_texts.yaml"


class DialogDataError(ValueError):
    """A dialog data file is missing or wrong: `file: entry: reason`."""

    def __init__(self, file: Path | str, entry: str, reason: str) -> None:
        super().__init__(f"{Path(file).name}: {entry}: {reason}")


def read_mapping(path: Path) -> dict[str, Any]:
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DialogDataError(path, "(file)", f"cannot read: {exc}") from None
    except yaml.YAMLError as exc:
        raise DialogDataError(path, "(file)", f"not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise DialogDataError(path, "(top level)", "must be a mapping")
    return data


def str_list(path: Path, entry: str, value: Any) -> list[str]:
    """A list of non-empty strings (numbers written bare in YAML are accepted as text)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise DialogDataError(path, entry, "must be a list")
    out = []
    for index, item in enumerate(value):
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise DialogDataError(path, f"{entry}[{index}]", "must be text")
        text = str(item).strip()
        if not text:
            raise DialogDataError(path, f"{entry}[{index}]", "is empty")
        out.append(text)
    return out


def regex(path: Path, entry: str, value: Any) -> re.Pattern[str]:
    if not isinstance(value, str) or not value:
        raise DialogDataError(path, entry, "must be a regular expression")
    try:
        return re.compile(value)
    except re.error as exc:
        raise DialogDataError(path, entry, f"bad regular expression: {exc}") from None


def text(path: Path, entry: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise DialogDataError(path, entry, "must be non-empty text")
    return value
