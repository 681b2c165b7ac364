"""Staff: users and roles, passwords, API tokens, console sessions and login throttling."""

from bot.staff.directory import StaffDirectory
from bot.staff.errors import LoginRefused, StaffInputError
from bot.staff.roles import ROLE_LABELS, Role
from bot.staff.sessions import SessionStore, StaffSession
from bot.staff.throttle import LoginThrottle
from bot.staff.views import ApiTokenInfo, StaffMember

__all__ = [
    "ROLE_LABELS",
    "ApiTokenInfo",
    "LoginRefused",
    "LoginThrottle",
    "Role",
    "SessionStore",
    "StaffDirectory",
    "StaffInputError",
    "StaffMember",
    "StaffSession",
]
