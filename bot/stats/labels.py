"""Names for the codes the statistics group by (departments, streets), from the knowledge
pack. A slip's street column may hold a street's code or its name: both are understood."""

from __future__ import annotations

from dataclasses import dataclass, field

UNASSIGNED = "（未派单）"
UNKNOWN_AREA = "（未填地点）"
UNCLASSIFIED = "（未分类）"


@dataclass(frozen=True)
class Labels:
    departments: dict[str, str] = field(default_factory=dict)  # code → name
    streets: dict[str, str] = field(default_factory=dict)  # code → name
    categories: tuple[str, ...] = ()  # first-level classes, in the taxonomy's order
    district: str = ""  # e.g. 重庆市江北区

    @classmethod
    def from_pack(cls, pack) -> Labels:  # pack: knowledge.pack.KnowledgePack
        return cls(
            departments={d.code: d.name for d in pack.departments},
            streets={s.code: s.name for s in pack.areas.streets},
            categories=tuple(pack.taxonomy.first_level),
            district=pack.areas.district.full_name,
        )

    def department(self, code: str | None) -> str:
        if not code:
            return UNASSIGNED
        return self.departments.get(code, code)

    def street(self, value: str | None) -> str:
        if not value:
            return UNKNOWN_AREA
        return self.streets.get(value, value)

    def category(self, value: str | None) -> str:
        return value or UNCLASSIFIED

    def street_values(self, value: str) -> list[str]:
        """Every way a street may be stored: its code and its name."""
        values = {value}
        if value in self.streets:
            values.add(self.streets[value])
        values.update(code for code, name in self.streets.items() if name == value)
        return sorted(values)

    def street_code(self, value: str | None) -> str | None:
        if not value:
            return None
        if value in self.streets:
            return value
        return next((code for code, name in self.streets.items() if name == value), value)
