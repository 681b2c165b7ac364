"""An unsigned slip's response (签收) limit in the console lists: a 特急 slip's two hours are
shown with their deadline next to the light, however far away its completion date is."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import update

from bot.slips.actor import Actor
from bot.slips.models import Slip
from bot.slips.views import SlipDraft
from handlers import keys as app_keys
from handlers.console import keys
from handlers.console.render import LOCAL, response_due
from tests.handlers.staff_app import NewBrowser, add_member, signed_in, triage_for

ADMIN = Actor(kind="staff", id="0", name="管理员", role="admin")
GAS = "楼道里有很重的煤气味，好像是隔壁漏气了"


@pytest.fixture
async def people(client: TestClient) -> None:
    await add_member(client, "cg", "handler", "D-CGJ", "城管李科长")
    await add_member(client, "root", "admin", None, "管理员")


async def _urgent(client: TestClient, description: str = GAS, key: str = "gas"):
    triage = {**triage_for("D-CGJ", "区城市管理局", urgency="特急"),
              "response_due_hours": 2, "due_working_days": 5}
    return await client.server.app[keys.SLIPS].issue(SlipDraft(
        openid="oResident0000000000000009", description=description, idempotency_key=key,
        location_text="建新北路 12 号", phone="13800138000", triage=triage,
    ))


def _row(page: str, number: str, section: str | None = None) -> str:
    if section is not None:
        page = page.split(f'id="{section}"', 1)[1].split("</section>", 1)[0]
    return next(r for r in page.split("<tr>") if f"/console/slips/{number}\"" in r)


async def test_the_workbench_and_the_list_show_an_urgent_slips_response_deadline(
    client: TestClient, people: None, browsers: NewBrowser
) -> None:
    slip = await _urgent(client)
    assert slip.response_due_at is not None and slip.status == "dispatched"
    at = slip.response_due_at.astimezone(LOCAL)
    today = at.date() == datetime.now(UTC).astimezone(LOCAL).date()
    deadline = at.strftime("%H:%M" if today else "%m-%d %H:%M")
    cg = await signed_in(browsers, client, "cg")
    _, page = await cg.get("/console/workbench")
    row = _row(page, slip.number, "to-sign")
    assert f"2小时内签收 · 截止 {deadline}" in row
    assert 'class="response-due soon"' in row and re.search(r"还剩(1小时\d+分钟|2小时)", row)
    # the slip list shows it too
    _, page = await cg.get("/console/slips")
    assert f"2小时内签收 · 截止 {deadline}" in _row(page, slip.number)

    # once signed the response clock has stopped: nothing about it any more
    view = await client.server.app[keys.SLIPS].act(slip.number, "sign", ADMIN)
    assert view.status == "signed"
    _, page = await cg.get("/console/slips")
    assert "内签收" not in _row(page, slip.number) and "response-due" not in page


async def test_a_missed_response_deadline_is_shown_in_red(
    client: TestClient, people: None, browsers: NewBrowser
) -> None:
    slip = await _urgent(client)
    past = datetime.now(UTC) - timedelta(minutes=30)
    async with client.server.app[app_keys.DATABASE].session() as session:
        await session.execute(update(Slip).where(Slip.id == slip.id)
                              .values(response_due_at=past))
        await session.commit()
    root = await signed_in(browsers, client, "root")
    _, page = await root.get("/console/slips")
    row = _row(page, slip.number)
    assert 'class="response-due overdue"' in row and "签收已超时 · 截止 " in row
    assert "还剩" not in row


def test_response_due_words() -> None:
    now = datetime(2026, 11, 26, 2, 14, tzinfo=UTC)  # 10:14 in Chongqing
    assert response_due(None, now) is None
    soon = response_due(now + timedelta(hours=1, minutes=5), now)
    assert (soon.state, soon.at, soon.left) == ("soon", "11:19", "1小时5分钟")
    assert response_due(now + timedelta(minutes=2), now).left == "2分钟"
    later = response_due(now + timedelta(days=1), now)
    assert (later.state, later.at) == ("later", "11-27 10:14")
    late = response_due(now - timedelta(seconds=1), now)
    assert (late.state, late.left) == ("overdue", "")
