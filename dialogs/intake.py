"""Which slots the intake form needs, by kind of problem (knowledge/intents.yaml `intake`).

A wage dispute needs the employer, not a street address; a policy question needs neither.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dialogs.files import INTENTS_FILE, DialogDataError, read_mapping, str_list, text
from dialogs.text import normalize

# Slots the form can ask for, in the order it asks.
ASKABLE = ("description", "location", "employer", "contact_phone")


@dataclass(frozen=True, slots=True)
class Kind:
    name: str
    label: str
    needs: tuple[str, ...]
    words: tuple[str, ...] = ()
    request_types: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    questions: bool = False  # applies to a description that is a plain question
    # the request type and category apply only to a description without a problem word: "我家
    # 楼上天天拖椅子，声音很大，这个归哪个管" is a question (咨询), about a problem at a place
    plain: bool = False
    default: bool = False

    def applies(self, norm: str, triage: dict[str, Any] | None, question: bool = False,
                problem: bool = False) -> bool:
        if self.default:
            return True
        if self.words and any(w in norm for w in self.words):
            return True
        if self.questions and question:
            return True
        if not (self.request_types or self.categories) or not triage or (self.plain and problem):
            return False
        category = triage.get("category") or []
        top = category[0] if isinstance(category, list) and category else None
        type_ok = not self.request_types or triage.get("request_type") in self.request_types
        category_ok = not self.categories or top in self.categories
        return type_ok and category_ok


@dataclass(frozen=True)
class Intake:
    kinds: tuple[Kind, ...]
    by_name: dict[str, Kind] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # the first kind of a name wins, as the scan over `kinds` it replaces found it
        names: dict[str, Kind] = {}
        for kind in self.kinds:
            names.setdefault(kind.name, kind)
        object.__setattr__(self, "by_name", names)

    @classmethod
    def load(cls, path: Path = INTENTS_FILE, data: dict[str, Any] | None = None) -> Intake:
        """From knowledge/intents.yaml (`data`: its contents, when already read)."""
        data = (data if data is not None else read_mapping(path)).get("intake")
        raw = data.get("kinds") if isinstance(data, dict) else None
        if not isinstance(raw, list) or not raw:
            raise DialogDataError(path, "intake.kinds", "must be a non-empty list")
        kinds = []
        for index, item in enumerate(raw):
            where = f"intake.kinds[{index}]"
            if not isinstance(item, dict):
                raise DialogDataError(path, where, "must be a mapping")
            needs = tuple(str_list(path, f"{where}.needs", item.get("needs")))
            unknown = [slot for slot in needs if slot not in ASKABLE]
            if unknown or "description" not in needs:
                raise DialogDataError(
                    path, f"{where}.needs",
                    f"must include description and only {', '.join(ASKABLE)}",
                )
            when = item.get("when") or {}
            kinds.append(
                Kind(
                    name=text(path, f"{where}.name", item.get("name")),
                    label=text(path, f"{where}.label", item.get("label")),
                    needs=tuple(slot for slot in ASKABLE if slot in needs),
                    words=tuple(normalize(w) for w in str_list(path, f"{where}.when.words",
                                                               when.get("words"))),
                    request_types=frozenset(
                        str_list(path, f"{where}.when.request_types", when.get("request_types"))
                    ),
                    categories=frozenset(
                        str_list(path, f"{where}.when.categories", when.get("categories"))
                    ),
                    questions=bool(when.get("questions")),
                    plain=bool(when.get("plain")),
                    default=not when,
                )
            )
        if not kinds[-1].default:
            raise DialogDataError(path, "intake.kinds", "the last kind must have no `when`")
        return cls(tuple(kinds))

    def kind_for(self, description: str, triage: dict[str, Any] | None,
                 question: bool = False, problem: bool = False) -> Kind:
        """`question`: the description is a plain question (Nlu.is_plain_question);
        `problem`: it has a problem word in it (Nlu.has_problem_word)."""
        norm = normalize(description)
        return next(kind for kind in self.kinds if kind.applies(norm, triage, question, problem))

    def get(self, name: str | None) -> Kind:
        return self.by_name.get(name or "", self.kinds[-1])
