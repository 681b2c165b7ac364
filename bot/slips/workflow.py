"""The slip workflow as data (knowledge/workflow.yaml): states, actions, roles, fields, notices.

`load_workflow()` checks the whole file and raises WorkflowError naming the file, the entry
(``actions[3].roles``) and the reason, so a bad edit stops start-up with a clear message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from knowledge.schema import load_yaml

DEFAULT_WORKFLOW = Path(__file__).resolve().parents[2] / "knowledge" / "workflow.yaml"

ROLES = ("dispatcher", "handler", "supervisor", "admin", "resident", "system")
FIELD_KINDS = ("text", "phone", "department", "departments", "date", "slip", "choice", "bool",
               "media", "category")
CONDITIONS = ("confident", "has_resident", "dissatisfied", "unsatisfied", "all_rated")
# Which slip a follow-on action is taken on: the slip itself, or the slip it was merged into
# (a merged duplicate's 不满意 reopens the slip that is handled for it).
TARGETS = ("self", "kept")
SCOPES = ("lead", "party")


class WorkflowError(ValueError):
    def __init__(self, file: str, entry: str, reason: str) -> None:
        self.file, self.entry, self.reason = file, entry, reason
        super().__init__(f"{file}: {entry}: {reason}")


@dataclass(frozen=True)
class State:
    code: str
    label: str
    resident: str
    open311: str

    @property
    def is_open(self) -> bool:
        return self.open311 == "open"


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    kind: str = "text"
    required: bool = False
    options: tuple[str, ...] = ()
    # Roles for whom the field is required although it is optional for others (a resident
    # may withdraw without saying why; a dispatcher may not).
    required_for: tuple[str, ...] = ()

    def required_of(self, role: str | None) -> bool:
        return self.required or (role is not None and role in self.required_for)


@dataclass(frozen=True)
class FollowOn:
    action: str
    when: str
    target: str = "self"  # one of TARGETS


@dataclass(frozen=True)
class Action:
    code: str
    label: str
    sources: frozenset[str]
    to: str | None
    roles: frozenset[str]
    scope: str = "lead"
    fields: tuple[FieldSpec, ...] = ()
    notices: tuple[str, ...] = ()
    then: tuple[FollowOn, ...] = ()
    # source states in which the action leaves the status as it is (a merged duplicate's
    # resident rates the handling of the slip it was merged into: it stays 已合并)
    stay: frozenset[str] = frozenset()
    internal: bool = False
    public: bool = False
    # What the console asks staff to confirm before an irreversible action (a checkbox).
    confirm: str | None = None

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass(frozen=True)
class Workflow:
    states: dict[str, State]
    actions: dict[str, Action]
    rules: dict[str, Any] = field(default_factory=dict)
    source: str = ""

    def state(self, code: str) -> State:
        return self.states[code]

    def action(self, code: str) -> Action | None:
        return self.actions.get(code)

    @property
    def open_states(self) -> tuple[str, ...]:
        return tuple(code for code, s in self.states.items() if s.is_open)

    @property
    def closed_states(self) -> tuple[str, ...]:
        return tuple(code for code, s in self.states.items() if not s.is_open)

    def rule(self, name: str, default: Any = None) -> Any:
        return self.rules.get(name, default)

    @property
    def max_note_length(self) -> int:
        """Characters a note may hold (the result of 办结 has its own limit)."""
        return int(self.rule("max_note_length", 2000))

    @property
    def max_result_length(self) -> int:
        return int(self.rule("max_result_length", 4000))


def load_workflow(path: Path | None = None, *, notice_kinds: set[str] | None = None) -> Workflow:
    """Read and check workflow.yaml. `notice_kinds` (from notices.yaml) are checked too."""
    path = path or DEFAULT_WORKFLOW
    name = _display(path)
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise WorkflowError(name, "(file)", f"cannot read: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "(file)"
        raise WorkflowError(name, where, f"not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise WorkflowError(name, "(file)", "the top level must be a mapping")
    unknown = set(data) - {"states", "actions", "rules"}
    if unknown:
        raise WorkflowError(name, sorted(unknown)[0], "unknown section")
    states = _states(name, data.get("states"))
    actions = _actions(name, data.get("actions"), states, notice_kinds)
    rules = data.get("rules") or {}
    if not isinstance(rules, dict):
        raise WorkflowError(name, "rules", "must be a mapping")
    return Workflow(states=states, actions=actions, rules=rules, source=name)


def _states(file: str, raw: Any) -> dict[str, State]:
    if not isinstance(raw, list) or not raw:
        raise WorkflowError(file, "states", "must be a non-empty list")
    states: dict[str, State] = {}
    for i, item in enumerate(raw):
        entry = f"states[{i}]"
        item = _mapping(file, entry, item, {"code", "label", "resident", "open311"})
        code = _text(file, f"{entry}.code", item.get("code"))
        if code in states:
            raise WorkflowError(file, f"{entry}.code", f"state {code!r} is listed twice")
        open311 = item.get("open311")
        if open311 not in ("open", "closed"):
            raise WorkflowError(file, f"{entry}.open311", f"{open311!r} is not open or closed")
        states[code] = State(
            code=code,
            label=_text(file, f"{entry}.label", item.get("label")),
            resident=_text(file, f"{entry}.resident", item.get("resident")),
            open311=open311,
        )
    return states


_ACTION_KEYS = {"code", "label", "from", "to", "roles", "scope", "fields", "notices", "then",
                "stay",
                "internal", "public", "confirm"}


def _actions(
    file: str, raw: Any, states: dict[str, State], notice_kinds: set[str] | None
) -> dict[str, Action]:
    if not isinstance(raw, list) or not raw:
        raise WorkflowError(file, "actions", "must be a non-empty list")
    actions: dict[str, Action] = {}
    follow_ons: list[tuple[str, FollowOn]] = []
    for i, item in enumerate(raw):
        entry = f"actions[{i}]"
        item = _mapping(file, entry, item, _ACTION_KEYS)
        code = _text(file, f"{entry}.code", item.get("code"))
        if code in actions:
            raise WorkflowError(file, f"{entry}.code", f"action {code!r} is listed twice")
        sources = _list(file, f"{entry}.from", item.get("from"))
        for s in sources:
            if s not in states:
                raise WorkflowError(file, f"{entry}.from", f"unknown state {s!r}")
        to = item.get("to")
        if to is not None and to not in states:
            raise WorkflowError(file, f"{entry}.to", f"unknown state {to!r}")
        stay = _list(file, f"{entry}.stay", item.get("stay"))
        for s in stay:
            if s not in sources:
                raise WorkflowError(file, f"{entry}.stay", f"{s!r} is not one of its from-states")
        roles = _list(file, f"{entry}.roles", item.get("roles"))
        if not roles:
            raise WorkflowError(file, f"{entry}.roles", "name at least one role")
        for role in roles:
            if role not in ROLES:
                raise WorkflowError(file, f"{entry}.roles", f"{role!r} is not one of {ROLES}")
        scope = item.get("scope", "lead")
        if scope not in SCOPES:
            raise WorkflowError(file, f"{entry}.scope", f"{scope!r} is not lead or party")
        notices = _list(file, f"{entry}.notices", item.get("notices"))
        if notice_kinds is not None:
            for kind in notices:
                if kind not in notice_kinds:
                    raise WorkflowError(
                        file, f"{entry}.notices", f"{kind!r} is not in knowledge/notices.yaml"
                    )
        then = []
        for j, raw_then in enumerate(item.get("then") or []):
            t_entry = f"{entry}.then[{j}]"
            raw_then = _mapping(file, t_entry, raw_then, {"action", "when", "target"})
            follow = FollowOn(
                action=_text(file, f"{t_entry}.action", raw_then.get("action")),
                when=_text(file, f"{t_entry}.when", raw_then.get("when")),
                target=raw_then.get("target", "self"),
            )
            if follow.when not in CONDITIONS:
                raise WorkflowError(file, f"{t_entry}.when", f"{follow.when!r} is not one of "
                                    f"{CONDITIONS}")
            if follow.target not in TARGETS:
                raise WorkflowError(file, f"{t_entry}.target",
                                    f"{follow.target!r} is not one of {TARGETS}")
            follow_ons.append((t_entry, follow))
            then.append(follow)
        actions[code] = Action(
            code=code,
            label=_text(file, f"{entry}.label", item.get("label")),
            sources=frozenset(sources),
            to=to,
            roles=frozenset(roles),
            scope=scope,
            fields=_fields(file, entry, item.get("fields")),
            notices=tuple(notices),
            then=tuple(then),
            internal=bool(item.get("internal", False)),
            stay=frozenset(stay),
            public=bool(item.get("public", False)),
            confirm=_optional_text(file, f"{entry}.confirm", item.get("confirm")),
        )
    for entry, follow in follow_ons:
        target = actions.get(follow.action)
        if target is None:
            raise WorkflowError(file, f"{entry}.action", f"unknown action {follow.action!r}")
        if "system" not in target.roles:
            raise WorkflowError(file, f"{entry}.action",
                                f"{follow.action!r} must allow the role system to follow on")
    return actions


def _fields(file: str, entry: str, raw: Any) -> tuple[FieldSpec, ...]:
    fields: list[FieldSpec] = []
    for j, item in enumerate(raw or []):
        f_entry = f"{entry}.fields[{j}]"
        item = _mapping(file, f_entry, item, {"name", "label", "kind", "required", "options"})
        kind = item.get("kind", "text")
        if kind not in FIELD_KINDS:
            raise WorkflowError(file, f"{f_entry}.kind", f"{kind!r} is not one of {FIELD_KINDS}")
        options = tuple(_list(file, f"{f_entry}.options", item.get("options")))
        if kind == "choice" and not options:
            raise WorkflowError(file, f"{f_entry}.options", "a choice needs options")
        name = _text(file, f"{f_entry}.name", item.get("name"))
        required = item.get("required", False)
        required_for: list[str] = []
        if isinstance(required, list):
            required_for = _list(file, f"{f_entry}.required", required)
            for role in required_for:
                if role not in ROLES:
                    raise WorkflowError(file, f"{f_entry}.required",
                                        f"{role!r} is not one of {ROLES}")
            required = False
        elif not isinstance(required, bool):
            raise WorkflowError(file, f"{f_entry}.required", "must be true, false or a list of roles")
        if any(f.name == name for f in fields):
            raise WorkflowError(file, f"{f_entry}.name", f"field {name!r} is listed twice")
        fields.append(FieldSpec(
            name=name,
            label=_text(file, f"{f_entry}.label", item.get("label")),
            kind=kind,
            required=required,
            options=options,
            required_for=tuple(required_for),
        ))
    return tuple(fields)


def _mapping(file: str, entry: str, item: Any, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise WorkflowError(file, entry, "must be a mapping")
    extra = set(item) - allowed
    if extra:
        raise WorkflowError(file, f"{entry}.{sorted(extra)[0]}", "unknown key")
    return item


def _text(file: str, entry: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise WorkflowError(file, entry, "missing or empty")
    return value


def _optional_text(file: str, entry: str, value: Any) -> str | None:
    return None if value is None else _text(file, entry, value)


def _list(file: str, entry: str, value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise WorkflowError(file, entry, "must be a list of names")
    return value


def _display(path: Path) -> str:
    try:
        return path.resolve().relative_to(DEFAULT_WORKFLOW.parents[1]).as_posix()
    except ValueError:
        return str(path)
