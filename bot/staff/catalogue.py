"""Department codes and names for staff accounts, from the knowledge pack."""

from __future__ import annotations

from knowledge.pack import KnowledgePack, load_pack


def department_names(pack: KnowledgePack | None = None) -> dict[str, str]:
    """code → name of every unit in the pack's department catalogue, in catalogue order."""
    pack = pack or load_pack()
    return {dept.code: dept.name for dept in pack.departments}
