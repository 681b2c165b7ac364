"""派单 in the console (and the API): a real handling department, named or confirmed by the
dispatcher, never the dispatch desk itself."""

from __future__ import annotations

import re

import pytest
from aiohttp.test_utils import TestClient

from bot.slips.actor import Actor
from bot.slips.views import SlipDraft
from handlers.console import keys
from tests.handlers.staff_app import NewBrowser, add_member, signed_in, triage_for

SYSTEM = Actor.system("scheduler")
FALL = "我妈在家里头摔倒了起不来了，喊不答应"


@pytest.fixture
async def people(client: TestClient) -> None:
    await add_member(client, "pd", "dispatcher", "D-MYZX", "派单员小王")


async def _unsure(client: TestClient, lead: str, name: str, *, key: str = "fall",
                  category: tuple[str, ...] = ("商贸旅游",)):
    """A slip the triage was unsure about, waiting in the dispatcher's queue."""
    triage = {**triage_for(lead, name, urgency="特急"), "category": list(category),
              "response_due_hours": 2, "confidence": 0.3, "low_confidence": True}
    return await client.server.app[keys.SLIPS].issue(SlipDraft(
        openid="oResident0000000000000007", description=FALL, idempotency_key=key,
        location_text="建新北路 12 号", phone="13800138000", triage=triage,
    ))


def _field_error(page: str, name: str) -> str:
    found = re.search(rf'data-field="{name}">([^<]+)<', page)
    return found.group(1).strip() if found else ""


def _dispatch_form(page: str) -> str:
    return page.split('id="action-dispatch"', 1)[1].split("</form>", 1)[0]


async def test_dispatch_needs_a_handling_department_named_next_to_the_field(
    client: TestClient, people: None, browsers: NewBrowser
) -> None:
    slip = await _unsure(client, "D-MYZX", "区民意交办中心")
    pd = await signed_in(browsers, client, "pd")
    url = f"/console/slips/{slip.number}"
    _, page = await pd.get(url)
    form = _dispatch_form(page)
    # the desk is not offered as a handling unit, and nothing is chosen for the dispatcher
    assert 'value="D-MYZX"' not in form and 'value="D-WJW"' in form
    assert " selected" not in form.split('name="department"', 1)[1].split("</select>", 1)[0]
    assert "主办单位 <span" in form and "必填" in form
    response, page = await pd.post(f"{url}/actions/dispatch", {"department": ""})
    assert response.status == 400
    assert _field_error(page, "department") == "请填写主办单位"
    assert '<details class="action" id="action-dispatch" open>' in page
    # a forged form naming the desk is refused the same way
    response, page = await pd.post(f"{url}/actions/dispatch", {"department": "D-MYZX"})
    assert response.status == 400 and "不能作为承办单位" in _field_error(page, "department")
    still = await client.server.app[keys.SLIPS].get(slip.number, SYSTEM)
    assert (still.status, still.lead_department) == ("accepted", None)
    response, _ = await pd.post(f"{url}/actions/dispatch", {"department": "D-WJW"},
                                allow_redirects=False)
    assert response.status == 303
    done = await client.server.app[keys.SLIPS].get(slip.number, SYSTEM)
    assert done.lead_department.name == "区卫生健康委"


async def test_the_triages_suggestion_is_offered_ready_to_confirm(
    client: TestClient, people: None, browsers: NewBrowser
) -> None:
    slip = await _unsure(client, "D-CGJ", "区城市管理局", key="lamp")
    pd = await signed_in(browsers, client, "pd")
    _, page = await pd.get(f"/console/slips/{slip.number}")
    assert '<option value="D-CGJ" selected>区城市管理局（系统建议）</option>' in _dispatch_form(page)


async def test_the_api_refuses_a_dispatch_without_a_department(
    client: TestClient, people: None
) -> None:
    slip = await _unsure(client, "D-MYZX", "区民意交办中心")
    staff = client.server.app[keys.STAFF]
    member = await staff.by_username("pd")
    _, token = await staff.create_token(member.id, name="测试", scope="write")
    auth = {"Authorization": f"Bearer {token}"}
    url = f"/api/v1/slips/{slip.number}/actions/dispatch"
    for body in ({}, {"data": {"department": "D-MYZX"}}):
        response = await client.post(url, json=body, headers=auth)
        assert response.status == 400, await response.text()
        assert (await response.json())["error"]["field"] == "department"
    still = await client.server.app[keys.SLIPS].get(slip.number, SYSTEM)
    assert still.status == "accepted"


async def test_the_dispatcher_corrects_the_category_and_the_timeline_says_so(
    client: TestClient, people: None, browsers: NewBrowser
) -> None:
    slip = await _unsure(client, "D-MYZX", "区民意交办中心")
    pd = await signed_in(browsers, client, "pd")
    url = f"/console/slips/{slip.number}"
    _, page = await pd.get(url)
    form = _dispatch_form(page)
    assert '<option value="">不更改（商贸旅游）</option>' in form
    assert '<optgroup label="卫生计生">' in form
    assert ('<option value="卫生计生/公共卫生/突发公共卫生事件处理">'
            "卫生计生 / 公共卫生 / 突发公共卫生事件处理</option>") in form
    # a bad path is explained beside the field, and the choice is kept in the form
    response, page = await pd.post(f"{url}/actions/dispatch",
                                   {"department": "D-WJW", "category": "卫生计生/摔倒"})
    assert response.status == 400 and "请从列表中选择" in _field_error(page, "category")
    response, _ = await pd.post(f"{url}/actions/dispatch", {
        "department": "D-WJW", "category": "卫生计生/公共卫生/突发公共卫生事件处理"})
    assert response.status == 200
    _, page = await pd.get(url)
    assert "<dt>类别</dt><dd>卫生计生 / 公共卫生 / 突发公共卫生事件处理</dd>" in page
    assert "类别更正：商贸旅游 → 卫生计生 / 公共卫生 / 突发公共卫生事件处理" in page
