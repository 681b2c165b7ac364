"""What the console's filters and forms offer: departments, areas, categories (from the
knowledge pack), loaded once at start-up."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.slips.workflow import Workflow
from knowledge.pack import KnowledgePack

URGENCIES = ("特急", "紧急", "一般")


@dataclass(frozen=True)
class Catalogue:
    departments: dict[str, str]  # code → name
    streets: dict[str, str]  # code → name
    categories: tuple[str, ...]  # first-level classes
    statuses: dict[str, str]  # state code → staff label
    # the dispatch desk(s) (kind dispatch): they route slips and are never a handling unit,
    # so 派单/改派 do not offer them
    desks: frozenset[str] = frozenset()
    # every category path under each first-level class, for correcting a slip's category
    # (first level → ("城乡建设/城乡规划", …), in the taxonomy's order)
    category_paths: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def build(cls, pack: KnowledgePack, workflow: Workflow) -> Catalogue:
        return cls(
            departments={d.code: d.name for d in pack.departments},
            streets={s.code: s.name for s in pack.areas.streets},
            categories=tuple(pack.taxonomy.first_level),
            statuses={code: state.label for code, state in workflow.states.items()},
            desks=frozenset(d.code for d in pack.departments if "dispatch" in d.kinds),
            category_paths={
                top: tuple("/".join(p) for p in pack.taxonomy.nodes if p[0] == top)
                for top in pack.taxonomy.first_level
            },
        )

    @property
    def handling_departments(self) -> dict[str, str]:
        """The units a slip may be dispatched or transferred to (code → name)."""
        return {c: n for c, n in self.departments.items() if c not in self.desks}

    def department_name(self, code: str | None) -> str:
        if not code:
            return ""
        return self.departments.get(code, code)
