"""Who is acting on a slip: a resident, a staff member or the system itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Actor:
    kind: Literal["resident", "staff", "system"]
    id: str  # openid for residents, staff user id as str, "scheduler"/"worker" for system
    name: str  # display name (masked for residents)
    role: str | None = None  # dispatcher | handler | supervisor | admin (staff only)
    department: str | None = None  # department code (handlers)

    @property
    def role_key(self) -> str:
        """The role the workflow checks: a staff role, or "resident" / "system"."""
        if self.kind == "staff":
            return self.role or ""
        return self.kind

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        return cls(kind="system", id=name, name=_SYSTEM_NAMES.get(name, "系统"))

    @classmethod
    def resident(cls, openid: str) -> Actor:
        return cls(kind="resident", id=openid, name=mask_openid(openid))


_SYSTEM_NAMES = {
    "scheduler": "系统（定时任务）",
    "triage": "系统（自动分派）",
    "survey": "系统（满意度回访）",
    "worker": "系统",
}


def mask_openid(openid: str) -> str:
    """A resident as staff and logs see them: 居民 plus the last four characters."""
    return f"居民…{openid[-4:]}" if openid else "居民"
