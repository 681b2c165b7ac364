"""What the console's filters and forms offer: departments, areas, categories (from the
knowledge pack), loaded once at start-up."""

from __future__ import annotations

from dataclasses import dataclass

from bot.slips.workflow import Workflow
from knowledge.pack import KnowledgePack

URGENCIES = ("特急", "紧急", "一般")


@dataclass(frozen=True)
class Catalogue:
    departments: dict[str, str]  # code → name
    streets: dict[str, str]  # code → name
    categories: tuple[str, ...]  # first-level classes
    statuses: dict[str, str]  # state code → staff label

    @classmethod
    def build(cls, pack: KnowledgePack, workflow: Workflow) -> Catalogue:
        return cls(
            departments={d.code: d.name for d in pack.departments},
            streets={s.code: s.name for s in pack.areas.streets},
            categories=tuple(pack.taxonomy.first_level),
            statuses={code: state.label for code, state in workflow.states.items()},
        )

    def department_name(self, code: str | None) -> str:
        if not code:
            return ""
        return self.departments.get(code, code)
