"""Turning an action form (or API body) into the SlipService's act() arguments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from multidict import MultiMapping

from bot.slips.views import ActionSpec


def form_input(
    spec: ActionSpec | None, form: MultiMapping[Any]
) -> tuple[str | None, dict[str, Any], int | None]:
    """(note, data, expected_version) from a submitted action form. Fields are read by the
    kind the workflow gives them; without a spec only the note is passed on, and the service
    says why the action cannot be taken."""
    note = str(form.get("note", "")).strip() or None
    data: dict[str, Any] = {}
    for field in spec.fields if spec else ():
        if field.name == "note":
            continue
        if field.kind == "departments":
            data[field.name] = [
                str(v).strip() for v in form.getall(field.name, []) if str(v).strip()
            ]
        elif field.kind == "bool":
            data[field.name] = form.get(field.name) in ("on", "true", "1")
        else:
            value = str(form.get(field.name, "")).strip()
            if value:
                data[field.name] = value
    return note, data, _version(form.get("expected_version"))


def confirm_errors(
    spec: ActionSpec | None, form: MultiMapping[Any], note: str | None, data: dict[str, Any]
) -> dict[str, str]:
    """For an action that cannot be undone (workflow.yaml `confirm`): the box left unticked,
    with any required field left empty, so both are said at once. Nothing is done until the
    person ticks the box."""
    if spec is None or not spec.confirm or form.get("confirm") in ("yes", "on", "true", "1"):
        return {}
    errors = {}
    for field in spec.fields:
        value = note if field.name == "note" else data.get(field.name)
        if field.required and value in (None, "", []):
            errors[field.name] = f"请填写{field.label}"
    errors["confirm"] = f"{spec.label}后不能恢复，请核实后勾选确认，再点“{spec.label}”。"
    return errors


def _version(raw: object) -> int | None:
    try:
        return int(str(raw)) if raw not in (None, "") else None
    except ValueError:
        return None


def spec_of(specs: list[ActionSpec], code: str) -> ActionSpec | None:
    return next((s for s in specs if s.code == code), None)


def refill(form: Mapping[str, Any]) -> dict[str, Any]:
    """What the person typed, to put back into the form after an error."""
    return {k: v for k, v in form.items() if k not in ("csrf_token", "expected_version")}
