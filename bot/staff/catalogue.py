"""Department codes and names for staff accounts, read from knowledge/'s catalogue."""

from __future__ import annotations

from importlib import resources

import yaml


def department_names() -> dict[str, str]:
    """code → name of every unit in knowledge/data/departments.yaml, in file order.

    Read directly (names and codes only) so that accounts can be checked before the full
    knowledge pack is loaded; the pack's own loader validates the rest of the file."""
    text = resources.files("knowledge").joinpath("data/departments.yaml").read_text("utf-8")
    data = yaml.safe_load(text) or {}
    return {
        str(item["code"]): str(item["name"])
        for item in data.get("departments", [])
        if isinstance(item, dict) and "code" in item and "name" in item
    }
