"""knowledge/workflow.yaml and knowledge/notices.yaml: the shipped files load, and a mistake
is reported with the file, the entry and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.slips.notices import PLACEHOLDERS, load_notices
from bot.slips.workflow import DEFAULT_WORKFLOW, WorkflowError, load_workflow


def test_the_shipped_workflow_has_the_designed_states_and_actions() -> None:
    notices = load_notices()
    wf = load_workflow(notice_kinds=notices.kinds)
    assert [s.label for s in wf.states.values()] == [
        "已受理", "已派单", "已签收", "办理中", "已办结", "待评价", "已评价", "已归档", "已撤销", "已合并"
    ]
    assert set(wf.open_states) == {"accepted", "dispatched", "signed", "in_progress"}
    for code in ("dispatch", "sign", "reply", "start", "transfer", "return", "request_extension",
                 "approve_extension", "reject_extension", "close", "survey", "reopen",
                 "supervise", "withdraw", "merge", "archive", "followup"):
        assert code in wf.actions, code
    assert wf.actions["approve_extension"].roles == {"supervisor", "admin"}
    assert wf.actions["withdraw"].roles >= {"resident"}
    # every state can be reached, and every open state can be left
    reachable = {a.to for a in wf.actions.values() if a.to}
    assert reachable == set(wf.states)
    for state in wf.open_states:
        assert any(state in a.sources and a.to and a.to != state for a in wf.actions.values())


def test_every_notice_renders_without_leftover_placeholders() -> None:
    notices = load_notices()
    values = {name: f"<{name}>" for name in PLACEHOLDERS}
    for kind, spec in notices.texts.items():
        text, template = spec.render(values)
        assert "{" not in text and "}" not in text, kind
        if spec.audience == "resident":
            assert {"first", "keyword1", "keyword2", "keyword3", "remark"} <= set(template), kind
    text, _ = notices.get("signed").render({"number": "JB1", "lead_department": "区城管局"})
    assert "None" not in text and "JB1" in text


def _broken(tmp_path: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(DEFAULT_WORKFLOW.read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "workflow.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _action(data: dict, code: str) -> dict:
    return next(a for a in data["actions"] if a["code"] == code)


def _entry(short: str) -> str:
    """"sign:to" → "actions[2].to" (the index in the shipped file); "+1:code" → one past the
    last action."""
    codes = [a["code"] for a in yaml.safe_load(DEFAULT_WORKFLOW.read_text("utf-8"))["actions"]]
    code, rest = short.split(":", 1)
    index = len(codes) if code == "+1" else codes.index(code)
    return f"actions[{index}].{rest}"


@pytest.mark.parametrize("edit,entry,reason", [
    (lambda d: _action(d, "sign").update(to="done"), "sign:to", "unknown state 'done'"),
    (lambda d: _action(d, "sign").update({"from": ["nowhere"]}), "sign:from",
     "unknown state"),
    (lambda d: _action(d, "sign").update(roles=["boss"]), "sign:roles", "'boss'"),
    (lambda d: _action(d, "sign").update(notices=["fax"]), "sign:notices",
     "'fax' is not in knowledge/notices.yaml"),
    (lambda d: _action(d, "close").update(then=[{"action": "sign", "when": "has_resident"}]),
     "close:then[0].action", "must allow the role system"),
    (lambda d: _action(d, "close").update(then=[{"action": "archive", "when": "sunny"}]),
     "close:then[0].when", "'sunny'"),
    (lambda d: _action(d, "close").update(
        then=[{"action": "archive", "when": "has_resident", "target": "neighbour"}]),
     "close:then[0].target", "'neighbour'"),
    (lambda d: d["actions"].append(dict(_action(d, "sign"))), "+1:code",
     "listed twice"),
    (lambda d: d["states"][0].update(open311="maybe"), "states[0].open311", "open or closed"),
    (lambda d: _action(d, "survey")["fields"][0].pop("options"), "survey:fields[0].options",
     "a choice needs options"),
    (lambda d: _action(d, "sign").update(colour="red"), "sign:colour", "unknown key"),
])
def test_mistakes_name_the_file_entry_and_reason(tmp_path: Path, edit, entry, reason) -> None:  # type: ignore[no-untyped-def]
    path = _broken(tmp_path, edit)
    with pytest.raises(WorkflowError) as exc:
        load_workflow(path, notice_kinds=load_notices().kinds)
    assert exc.value.file == str(path)
    assert exc.value.entry == (entry if entry.startswith("states") else _entry(entry))
    assert reason in exc.value.reason


def test_unreadable_files_are_reported(tmp_path: Path) -> None:
    with pytest.raises(WorkflowError, match="cannot read"):
        load_workflow(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("states: [\n", encoding="utf-8")
    with pytest.raises(WorkflowError, match="not valid YAML"):
        load_workflow(bad)


def test_notice_texts_with_unknown_placeholders_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "notices.yaml"
    path.write_text("notices:\n  closed:\n    audience: resident\n    text: '{numbr} 已办结'\n",
                    encoding="utf-8")
    with pytest.raises(WorkflowError) as exc:
        load_notices(path)
    assert exc.value.entry == "notices.closed.text" and "{numbr}" in exc.value.reason
    path.write_text("notices:\n  overdue:\n    audience: staff\n    text: x\n", encoding="utf-8")
    with pytest.raises(WorkflowError, match="to"):
        load_notices(path)
