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
    terms: tuple[str, ...] = ()  # words the entry explains ("交办单"); in `groups` too

    def matches(self, norm: str) -> bool:
        return any(all(word in norm for word in group) for group in self.groups)

    def explains(self, norm: str, meaning_words: tuple[str, ...]) -> bool:
        """The message asks what one of the entry's terms means ("签收是啥子")."""
        return any(t in norm for t in self.terms) and any(w in norm for w in meaning_words)


@dataclass(frozen=True)
class Faq:
    entries: tuple[FaqEntry, ...]
    # "是什么意思", "是啥子": with an entry's `terms`, a question about what a word means
    meaning_words: tuple[str, ...] = ()

    @classmethod
    def load(cls, path: Path = FAQ_FILE) -> Faq:
        data = read_mapping(path)
        raw = data.get("entries")
        if not isinstance(raw, list) or not raw:
            raise DialogDataError(path, "entries", "must be a non-empty list")
        meaning = tuple(normalize(w) for w in str_list(path, "meaning_words",
                                                       data.get("meaning_words")))
        entries, seen = [], set()
        for index, item in enumerate(raw):
            where = f"entries[{index}]"
            if not isinstance(item, dict):
                raise DialogDataError(path, where, "must be a mapping")
            entry_id = text(path, f"{where}.id", item.get("id"))
            if entry_id in seen:
                raise DialogDataError(path, f"{where}.id", f"{entry_id!r} appears twice")
            seen.add(entry_id)
            terms = tuple(normalize(w) for w in str_list(path, f"{where}.terms",
                                                         item.get("terms")))
            if terms and not meaning:
                raise DialogDataError(path, "meaning_words", "needed by entries with terms")
            groups = item.get("match") or []
            if not isinstance(groups, list) or not (groups or terms):
                raise DialogDataError(path, f"{where}.match", "must be a list of word lists")
            entries.append(
                FaqEntry(
                    id=entry_id,
                    title=text(path, f"{where}.title", item.get("title")),
                    groups=tuple(
                        tuple(normalize(w) for w in str_list(path, f"{where}.match[{i}]", g))
                        for i, g in enumerate(groups)
                    ) + tuple((t, w) for t in terms for w in meaning),
                    answer=text(path, f"{where}.answer", item.get("answer")).strip(),
                    examples=tuple(str_list(path, f"{where}.examples", item.get("examples"))),
                    not_examples=tuple(
                        str_list(path, f"{where}.not_examples", item.get("not_examples"))
                    ),
                    terms=terms,
                )
            )
        return cls(tuple(entries), meaning)

    def match(self, message: str) -> FaqEntry | None:
        norm = normalize(message)
        return next((entry for entry in self.entries if entry.matches(norm)), None)

    def explaining(self, message: str) -> FaqEntry | None:
        """The entry that explains a word the message asks the meaning of ("办结是什么意思",
        "延期是啥子意思嘛"), if any."""
        norm = normalize(message)
        return next((e for e in self.entries if e.explains(norm, self.meaning_words)), None)

    def get(self, entry_id: str) -> FaqEntry | None:
        return next((entry for entry in self.entries if entry.id == entry_id), None)
