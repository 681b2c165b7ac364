"""Helpers for console and API tests: a real app (create_app) with staff accounts and a
logged-in client that carries the session cookie and the CSRF token."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient
from argon2 import PasswordHasher
from yarl import URL

from bot.staff import StaffDirectory, StaffMember
from bot.staff.passwords import Passwords
from handlers.console import keys

PASSWORD = "correct-horse-9"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

# Cheap argon2 parameters: the same code path, a fraction of the time.
FAST_PASSWORDS = Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def staff_of(client: TestClient) -> StaffDirectory:
    return client.server.app[keys.STAFF]


async def add_member(
    client: TestClient,
    username: str,
    role: str,
    department: str | None = None,
    display_name: str | None = None,
) -> StaffMember:
    return await staff_of(client).create_user(
        username,
        password=PASSWORD,
        role=role,
        department=department,
        display_name=display_name or username,
    )


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


@dataclass
class Browser:
    """One person's browser: its own cookies, and the CSRF token of the last page it saw."""

    session: aiohttp.ClientSession
    base: URL
    csrf: str = ""

    @classmethod
    def of(cls, client: TestClient) -> Browser:
        """The test client's own session (cookies shared with `client`)."""
        return cls(client.session, client.make_url("/"))

    def url(self, path: str) -> URL:
        return self.base.join(URL(path))

    def cookie(self, name: str) -> str | None:
        morsel = self.session.cookie_jar.filter_cookies(self.base).get(name)
        return None if morsel is None else morsel.value

    async def get(self, path: str, **kw: Any):
        response = await self.session.get(self.url(path), **kw)
        text = await response.text()
        if 'name="csrf_token"' in text:
            self.csrf = csrf_of(text)
        return response, text

    async def post(self, path: str, data: dict[str, Any] | None = None, **kw: Any):
        form = {"csrf_token": self.csrf, **(data or {})}
        response = await self.session.post(self.url(path), data=form, **kw)
        text = await response.text()
        if 'name="csrf_token"' in text:
            self.csrf = csrf_of(text)
        return response, text

    async def login(self, username: str, password: str = PASSWORD):
        await self.get("/console/login")
        return await self.post(
            "/console/login", {"username": username, "password": password}, allow_redirects=False
        )


NewBrowser = Callable[[TestClient], Browser]


async def browsers_fixture() -> AsyncIterator[NewBrowser]:
    """Fresh browsers (own cookie jars) against a test server; closed at the end."""
    sessions: list[aiohttp.ClientSession] = []

    def new(client: TestClient) -> Browser:
        session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        sessions.append(session)
        return Browser(session, client.make_url("/"))

    yield new
    for session in sessions:
        await session.close()


async def signed_in(browsers: NewBrowser, client: TestClient, username: str) -> Browser:
    """A new browser, signed in to the console as `username`."""
    me = browsers(client)
    response, _ = await me.login(username)
    assert response.status == 303
    return me


def triage_for(department: str, name: str, *, urgency: str = "一般") -> dict[str, Any]:
    """A confident classification routing to `department` (what knowledge.triage returns)."""
    return {
        "category": ["城乡建设", "城市建设和市政管理", "路灯"],
        "request_type": "投诉",
        "urgency": urgency,
        "complexity": "简单",
        "universality": "个体",
        "departments": [{"name": name, "code": department, "role": "主办", "level": "区"}],
        "handling_level": "区",
        "response_due_hours": None,
        "due_working_days": 5,
        "advice": None,
        "explanation": {"category": "关键词“路灯”", "urgency": "没有危及安全的说法"},
        "confidence": 0.92,
        "low_confidence": False,
    }


async def issue_slip(
    client: TestClient,
    description: str = "建新北路的路灯坏了三天了，晚上很黑",
    *,
    department: str = "D-CGJ",
    name: str = "区城市管理局",
    openid: str = "oResident0000000000000001",
    key: str | None = None,
    low_confidence: bool = False,
    explanation: dict[str, Any] | None = None,
    **draft: Any,
):
    """A slip issued through the real SlipService, as the dialog layer will."""
    from bot.slips.views import SlipDraft

    triage = triage_for(department, name)
    if explanation is not None:
        triage["explanation"] = explanation
    if low_confidence:
        triage = {**triage, "departments": [], "confidence": 0.2, "low_confidence": True}
    service = client.server.app[keys.SLIPS]
    return await service.issue(
        SlipDraft(
            openid=openid,
            description=description,
            idempotency_key=key or f"test:{description}:{openid}",
            location_text=draft.pop("location_text", "建新北路 12 号"),
            phone=draft.pop("phone", "13800138000"),
            triage=triage,
            **draft,
        )
    )
