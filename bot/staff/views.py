"""Plain read-only views of staff rows, safe to hand to templates and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.staff.roles import QUEUE_ROLES, ROLE_LABELS, SCOPE_LABELS, Role


@dataclass(frozen=True, slots=True)
class StaffMember:
    id: int
    username: str
    display_name: str
    role: str
    department: str | None
    active: bool
    created_at: datetime
    last_login_at: datetime | None
    session_epoch: int = 0

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def sees_queue(self) -> bool:
        return self.role in QUEUE_ROLES

    def actor(self):  # -> bot.slips.actor.Actor (imported late: the slip service is optional)
        """The SlipService's view of this person."""
        from bot.slips.actor import Actor

        return Actor(
            kind="staff",
            id=str(self.id),
            name=self.display_name,
            role=self.role,
            department=self.department,
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "username": self.username,
            "display_name": self.display_name,
            "role": self.role,
            "role_label": self.role_label,
            "department": self.department,
            "active": self.active,
        }


@dataclass(frozen=True, slots=True)
class ApiTokenInfo:
    id: int
    user_id: int
    username: str
    name: str
    scope: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def scope_label(self) -> str:
        return SCOPE_LABELS.get(self.scope, self.scope)

    @property
    def active(self) -> bool:
        return self.revoked_at is None
