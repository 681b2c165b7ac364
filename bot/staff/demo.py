"""The demo's staff: the admin from config (demo.admin_user / admin_password) and one person
per role, so every console view can be tried at once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.config import Settings
from bot.staff.catalogue import department_names
from bot.staff.directory import StaffDirectory
from bot.staff.roles import ROLE_LABELS, Role
from bot.storage import Database

# (username, display name, role, department code); all share the demo admin's password.
DEMO_STAFF = (
    ("paidan", "派单员小王", Role.DISPATCHER, "D-MYZX"),
    ("chengguan", "城管局李科长", Role.HANDLER, "D-CGJ"),
    ("duban", "督办张主任", Role.SUPERVISOR, None),
)


async def seed_demo_staff(directory: StaffDirectory, settings: Settings) -> list[str]:
    """Create the demo accounts that are missing; lines describing every demo login."""
    demo = settings.demo
    password = demo.admin_password
    lines = []
    people = [(demo.admin_user, "管理员", Role.ADMIN, None), *DEMO_STAFF]
    for username, name, role, department in people:
        member, _ = await directory.ensure_user(
            username, password=password, role=role, display_name=name, department=department
        )
        where = f" {directory.departments.get(department, department)}" if department else ""
        lines.append(f"    {member.username:<10} {ROLE_LABELS[role]}{where}")
    return lines


def demo_staff_hook(
    settings: Settings, base_url: str, database_key: web.AppKey[Database]
) -> Callable[[web.Application], Awaitable[None]]:
    """An on_startup hook for `minyi demo`: seed the accounts, print the console login."""

    async def hook(app: web.Application) -> None:
        directory = StaffDirectory(app[database_key], departments=department_names())
        lines = await seed_demo_staff(directory, settings)
        print(
            f"  Staff console:                    {base_url}/console/\n"
            f"  Logins (password: {settings.demo.admin_password}):\n" + "\n".join(lines) + "\n",
            flush=True,
        )

    return hook
