"""Reply texts (knowledge/replies.yaml): loaded once, validated, filled in by name."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from knowledge.schema import load_yaml

DEFAULT_REPLIES = Path(__file__).resolve().parent / "replies.yaml"

REQUIRED = (
    "welcome",
    "menu_hint",
    "text_not_ready",
    "image",
    "voice_recognised",
    "voice_unrecognised",
    "video",
    "location",
    "link",
    "unknown",
    "too_fast",
    "unavailable",
    "menu_unknown",
)


class RepliesError(ValueError):
    pass


@dataclass(frozen=True)
class Replies:
    texts: dict[str, Any]
    source: str

    @classmethod
    def load(cls, path: Path | None = None) -> Replies:
        path = path or DEFAULT_REPLIES
        try:
            data = load_yaml(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise RepliesError(f"{path}: cannot load: {exc}") from None
        if not isinstance(data, dict):
            raise RepliesError(f"{path}: must be a mapping of reply names to texts")
        for key in REQUIRED:
            if not isinstance(data.get(key), str) or not data[key].strip():
                raise RepliesError(f"{path}: {key}: missing or empty")
        if not isinstance(data.get("menu_click", {}), dict):
            raise RepliesError(f"{path}: menu_click: must map menu keys to texts")
        return cls(data, str(path))

    def say(self, name: str, **values: Any) -> str:
        text = self.texts.get(name)
        if not isinstance(text, str):
            raise KeyError(name)
        return text.format(
            city=self.texts.get("city", ""), account=self.texts.get("account", ""), **values
        )

    def menu_click(self, key: str) -> str | None:
        text = self.texts.get("menu_click", {}).get(key)
        return None if text is None else str(text)
