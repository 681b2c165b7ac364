"""Notice texts (knowledge/notices.yaml): loaded once, checked, filled in per event."""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.slips.workflow import WorkflowError
from knowledge.schema import load_yaml

DEFAULT_NOTICES = Path(__file__).resolve().parents[2] / "knowledge" / "notices.yaml"

PLACEHOLDERS = frozenset({
    "number", "status", "time", "summary", "lead_department", "departments", "due_date",
    "handler", "contact", "note", "result", "kept_number", "requested_date", "verdict",
    "reason", "withdrawn_by", "urgency", "response_due", "reach_you", "reopen_why",
    "emergency_lines", "emergency_advice", "new_number", "urge_count",
})
# Slips on a clock-hour response limit (DESIGN.md §3.1): their notices speak of a quick
# contact, not of a completion date days away (a notice's `urgent:` variant).
URGENT = frozenset({"特急", "紧急"})
AUDIENCES = ("resident", "staff")
STAFF_TARGETS = ("lead", "dispatch", "supervisors")
TEMPLATE_KEYS = frozenset({"first", "keyword1", "keyword2", "keyword3", "keyword4", "keyword5",
                           "remark"})


@dataclass(frozen=True)
class NoticeText:
    kind: str
    audience: str
    text: str
    to: str | None = None
    template: dict[str, str] = field(default_factory=dict)
    # the wording for a 特急/紧急 slip (notices.yaml `urgent:`), when it differs
    urgent: NoticeText | None = None

    def for_urgency(self, urgency: str | None) -> NoticeText:
        """The wording for a slip of this urgency."""
        return self.urgent if self.urgent is not None and urgency in URGENT else self

    def render(self, values: dict[str, Any]) -> tuple[str, dict[str, str]]:
        """The message text and the template fields, with every placeholder filled."""
        filled = _Blank(values)
        text = string.Formatter().vformat(self.text, (), filled).strip()
        template = {k: string.Formatter().vformat(v, (), filled).strip()
                    for k, v in self.template.items()}
        return text, template


class _Blank(dict):
    """Missing or empty values render as an empty string, never as 'None'."""

    def __init__(self, values: dict[str, Any]) -> None:
        super().__init__({k: ("" if v is None else str(v)) for k, v in values.items()})

    def __missing__(self, key: str) -> str:
        return ""


@dataclass(frozen=True)
class Notices:
    texts: dict[str, NoticeText]
    source: str

    def get(self, kind: str) -> NoticeText:
        return self.texts[kind]

    @property
    def kinds(self) -> set[str]:
        return set(self.texts)


def load_notices(path: Path | None = None) -> Notices:
    path = path or DEFAULT_NOTICES
    name = path.name if path == DEFAULT_NOTICES else str(path)
    name = f"knowledge/{name}" if path == DEFAULT_NOTICES else name
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise WorkflowError(name, "(file)", f"cannot read: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise WorkflowError(name, "(file)", f"not valid YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("notices"), dict):
        raise WorkflowError(name, "notices", "must be a mapping of notice kinds")
    texts: dict[str, NoticeText] = {}
    for kind, item in data["notices"].items():
        entry = f"notices.{kind}"
        if not isinstance(item, dict):
            raise WorkflowError(name, entry, "must be a mapping")
        extra = set(item) - {"audience", "to", "text", "template", "urgent"}
        if extra:
            raise WorkflowError(name, f"{entry}.{sorted(extra)[0]}", "unknown key")
        audience = item.get("audience")
        if audience not in AUDIENCES:
            raise WorkflowError(name, f"{entry}.audience", f"{audience!r} is not one of {AUDIENCES}")
        to = item.get("to")
        if audience == "staff" and to not in STAFF_TARGETS:
            raise WorkflowError(name, f"{entry}.to", f"{to!r} is not one of {STAFF_TARGETS}")
        if audience == "resident" and to is not None:
            raise WorkflowError(name, f"{entry}.to", "only staff notices name a recipient")
        text, template = _wording(name, entry, item)
        urgent = None
        if "urgent" in item:
            raw = item["urgent"]
            if not isinstance(raw, dict):
                raise WorkflowError(name, f"{entry}.urgent", "must be a mapping")
            extra = set(raw) - {"text", "template"}
            if extra:
                raise WorkflowError(name, f"{entry}.urgent.{sorted(extra)[0]}", "unknown key")
            u_text, u_template = _wording(name, f"{entry}.urgent", raw)
            if template and set(u_template) != set(template):
                raise WorkflowError(name, f"{entry}.urgent.template",
                                    "must fill the same template fields as the notice")
            urgent = NoticeText(kind, audience, u_text, to, u_template)
        texts[kind] = NoticeText(kind, audience, text, to, template, urgent)
    return Notices(texts, name)


def _wording(name: str, entry: str, item: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """A notice's (or its urgent variant's) text and template fields, checked."""
    text = item.get("text")
    if not isinstance(text, str) or not text.strip():
        raise WorkflowError(name, f"{entry}.text", "missing or empty")
    _check_placeholders(name, f"{entry}.text", text)
    template = item.get("template") or {}
    if not isinstance(template, dict):
        raise WorkflowError(name, f"{entry}.template", "must be a mapping of fields")
    for key, value in template.items():
        if key not in TEMPLATE_KEYS:
            raise WorkflowError(name, f"{entry}.template.{key}", "unknown template field")
        if not isinstance(value, str):
            raise WorkflowError(name, f"{entry}.template.{key}", "must be text")
        _check_placeholders(name, f"{entry}.template.{key}", value)
    return text, dict(template)


def _check_placeholders(file: str, entry: str, text: str) -> None:
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise WorkflowError(file, entry, f"bad placeholder: {exc}") from None
    for _literal, field_name, _spec, _conv in parsed:
        if field_name is not None and field_name not in PLACEHOLDERS:
            raise WorkflowError(file, entry, f"unknown placeholder {{{field_name}}}; known: "
                                f"{', '.join(sorted(PLACEHOLDERS))}")
