"""Staff roles (DESIGN.md: dispatchers, handlers, supervisors, administrators)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    DISPATCHER = "dispatcher"  # 派单员: the district centre's desk
    HANDLER = "handler"  # 承办人: works the slips of one department
    SUPERVISOR = "supervisor"  # 督办: chases overdue slips, approves extensions
    ADMIN = "admin"  # 管理员: everything, plus user management


ROLE_LABELS: dict[str, str] = {
    Role.DISPATCHER: "派单员",
    Role.HANDLER: "承办人",
    Role.SUPERVISOR: "督办",
    Role.ADMIN: "管理员",
}

# Roles that see the dispatcher's queue (low-confidence and returned slips).
QUEUE_ROLES = frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN})


class TokenScope(StrEnum):
    READ = "read"  # GET only
    WRITE = "write"  # GET and actions


SCOPE_LABELS: dict[str, str] = {TokenScope.READ: "只读", TokenScope.WRITE: "读写"}
