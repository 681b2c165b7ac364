"""Questions about the desk itself (knowledge/faq.yaml) and their answers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dialogs.files import FAQ_FILE, DialogDataError, read_mapping, str_list, text
from dialogs.text import normalize


@dataclass(frozen=True, slots=True)
class FaqEntry:
    id: str
    title: str
    groups: tuple[tuple[str, ...], ...]
    answer: str
    examples: tuple[str, ...]
    not_examples: tuple[str, ...]

    def matches(self, norm: str) -> bool:
        return any(all(word in norm for word in group) for group in self.groups)


@dataclass(frozen=True)
class Faq:
    entries: tuple[FaqEntry, ...]

    @classmethod
    def load(cls, path: Path = FAQ_FILE) -> Faq:
        data = read_mapping(path)
        raw = data.get("entries")
        if not isinstance(raw, list) or not raw:
            raise DialogDataError(path, "entries", "must be a non-empty list")
        entries, seen = [], set()
        for index, item in enumerate(raw):
            where = f"entries[{index}]"
            if not isinstance(item, dict):
                raise DialogDataError(path, where, "must be a mapping")
            entry_id = text(path, f"{where}.id", item.get("id"))
            if entry_id in seen:
                raise DialogDataError(path, f"{where}.id", f"{entry_id!r} appears twice")
            seen.add(entry_id)
            groups = item.get("match")
            if not isinstance(groups, list) or not groups:
                raise DialogDataError(path, f"{where}.match", "must be a list of word lists")
            entries.append(
                FaqEntry(
                    id=entry_id,
                    title=text(path, f"{where}.title", item.get("title")),
                    groups=tuple(
                        tuple(normalize(w) for w in str_list(path, f"{where}.match[{i}]", g))
                        for i, g in enumerate(groups)
                    ),
                    answer=text(path, f"{where}.answer", item.get("answer")).strip(),
                    examples=tuple(str_list(path, f"{where}.examples", item.get("examples"))),
                    not_examples=tuple(
                        str_list(path, f"{where}.not_examples", item.get("not_examples"))
                    ),
                )
            )
        return cls(tuple(entries))

    def match(self, message: str) -> FaqEntry | None:
        norm = normalize(message)
        return next((entry for entry in self.entries if entry.matches(norm)), None)

    def get(self, entry_id: str) -> FaqEntry | None:
        return next((entry for entry in self.entries if entry.id == entry_id), None)
