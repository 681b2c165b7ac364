"""Checking what an actor filled in against the action's fields (workflow.yaml)."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from bot.slips.errors import InvalidInput
from bot.slips.workflow import Action, Workflow
from bot.storage.types import storable

_TRUE = {"true", "1", "yes", "是", "已解决", "solved"}
_FALSE = {"false", "0", "no", "否", "未解决", "unsolved"}

# A mobile number (11 digits, 1[3-9]…, spaces or dashes allowed between the groups), or a
# landline with its area code (023-67891234, (023)67891234, 0236789123), extension allowed.
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)(?:\(0\d{2,3}\)|0\d{2,3})[\s-]?[2-9]\d{6,7}"
                       r"(?:\s*(?:-|转|分机|ext\.?|x)\s*\d{1,6})?(?!\d)", re.IGNORECASE)


def check_inputs(
    action: Action, workflow: Workflow, note: str | None, data: dict[str, Any],
    *, role: str | None = None,
) -> tuple[str | None, dict[str, Any]]:
    """(note, values) cleaned, or InvalidInput naming the first bad field. `role`: the
    actor's (workflow.yaml can make a field required for some roles only)."""
    names = {f.name for f in action.fields}
    for key in data:
        if key not in names or key == "note":
            raise InvalidInput(key, f"“{action.label}”没有这一项")
    note = note.strip() if isinstance(note, str) else None
    note = note or None
    if note is not None and "note" not in names:
        raise InvalidInput("note", f"“{action.label}”不需要填写说明")
    max_note = workflow.max_note_length
    values: dict[str, Any] = {}
    for spec in action.fields:
        value = note if spec.name == "note" else data.get(spec.name)
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(t, str) and not storable(t) for t in texts):
            raise InvalidInput(spec.name, f"{spec.label}含有无法识别的字符，请删去后再提交")
        if isinstance(value, str):
            value = value.strip() or None
        if value is None or value == []:
            if spec.required_of(role):
                raise InvalidInput(spec.name, f"请填写{spec.label}")
            continue
        if spec.kind == "text":
            if not isinstance(value, str):
                raise InvalidInput(spec.name, f"{spec.label}应为文字")
            if len(value) > max_note and spec.name != "result":
                raise InvalidInput(spec.name, f"{spec.label}不能超过{max_note}字")
        elif spec.kind == "phone":
            if not isinstance(value, str) or not has_phone_number(value):
                raise InvalidInput(spec.name, f"{spec.label}应包含电话号码，例如 13812345678 或 "
                                   "023-67891234（前面可以写姓名）")
            if len(value) > 100:
                raise InvalidInput(spec.name, f"{spec.label}不能超过100字")
        elif spec.kind == "choice":
            if value not in spec.options:
                raise InvalidInput(spec.name, f"{spec.label}只能是：{'、'.join(spec.options)}")
        elif spec.kind == "bool":
            value = _bool(value, spec.name, spec.label)
        elif spec.kind in ("department", "slip", "category") and not isinstance(value, str):
            raise InvalidInput(spec.name, f"{spec.label}应为编码或单号")
        values[spec.name] = value
    return note, values


def has_phone_number(text: str) -> bool:
    """Whether `text` holds a mobile or an area-coded landline number (full-width digits and
    dashes count: residents and staff type them)."""
    plain = unicodedata.normalize("NFKC", text)
    return bool(_MOBILE.search(plain) or _LANDLINE.search(plain))


def _bool(value: Any, name: str, label: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InvalidInput(name, f"{label}应为是或否")
