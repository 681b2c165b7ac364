"""The dispatcher's queue and the handler's workbench in the console: the most urgent first,
a returned slip marked with its reason, a handler's 退单 confirmed on their workbench, a
reopened slip marked 重办 with the resident's reason."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

from bot.slips.actor import Actor
from bot.slips.views import SlipDraft
from handlers.console import keys
from tests.handlers.staff_app import NewBrowser, add_member, issue_slip, signed_in, triage_for

ADMIN = Actor(kind="staff", id="0", name="管理员", role="admin")
RESIDENT = "oResident0000000000000001"


@pytest.fixture
async def people(client: TestClient) -> None:
    await add_member(client, "cg", "handler", "D-CGJ", "城管李科长")
    await add_member(client, "pd", "dispatcher", "D-MYZX", "派单员小王")


async def _unsure(client: TestClient, description: str, urgency: str, hours: int | None):
    triage = {**triage_for("D-CGJ", "区城市管理局", urgency=urgency), "departments": [],
              "response_due_hours": hours, "confidence": 0.2, "low_confidence": True}
    return await client.server.app[keys.SLIPS].issue(SlipDraft(
        openid="oResident0000000000000002", description=description,
        idempotency_key=f"test:{description}", triage=triage,
    ))


async def test_the_queue_page_lists_the_fire_above_the_water_cut(
    client: TestClient, people: None, browsers: NewBrowser
) -> None:
    water = await _unsure(client, "整栋楼停水两天了", "紧急", 24)
    fire = await _unsure(client, "楼道里着火了有烟", "特急", 2)
    pd = await signed_in(browsers, client, "pd")
    for path in ("/console/queue", "/console/workbench"):
        _, page = await pd.get(path)
        assert page.index(f"/console/slips/{fire.number}\"") < page.index(
            f"/console/slips/{water.number}\""), path


async def test_a_handlers_return_lands_on_the_workbench_and_the_queue_shows_why(
    client: TestClient, people: None, browsers: NewBrowser
) -> None:
    slip = await issue_slip(client)
    cg = await signed_in(browsers, client, "cg")
    url = f"/console/slips/{slip.number}"
    await cg.get(url)
    response, _ = await cg.post(f"{url}/actions/return", {"note": "属于住建委职责"},
                                allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == (
        f"/console/workbench?done=return&number={slip.number}")
    response, page = await cg.get(response.headers["Location"])
    assert response.status == 200 and "没有权限" not in page
    assert f'<div class="notice ok" role="status">交办单 {slip.number} 已退回派单员重新派单' in page
    # a made-up confirmation is not echoed
    _, page = await cg.get("/console/workbench?done=nothing&number=JB1")
    assert 'class="notice ok"' not in page

    pd = await signed_in(browsers, client, "pd")
    for path in ("/console/queue", "/console/workbench"):
        _, page = await pd.get(path)
        row = next(r for r in page.split("<tr>") if f"/console/slips/{slip.number}\"" in r)
        assert '<span class="badge returned">被退回</span>' in row, path
        assert "区城市管理局退回：属于住建委职责" in row, path


async def test_a_reopened_slip_is_marked_on_the_handlers_workbench(
    client: TestClient, people: None, browsers: NewBrowser
) -> None:
    slip = await issue_slip(client)
    service = client.server.app[keys.SLIPS]
    await service.act(slip.number, "sign", ADMIN)
    await service.act(slip.number, "close", ADMIN, data={"result": "路灯已修复"})
    await service.act(slip.number, "survey", Actor.resident(RESIDENT),
                      data={"verdict": "不满意"}, note="灯还是不亮")
    cg = await signed_in(browsers, client, "cg")
    _, page = await cg.get("/console/workbench")
    section = page.split('id="to-sign"', 1)[1].split("</section>", 1)[0]
    row = next(r for r in section.split("<tr>") if f"/console/slips/{slip.number}\"" in r)
    assert '<span class="badge reopened">重办</span>' in row
    assert '<div class="why reopen-reason">居民评价不满意：灯还是不亮</div>' in row


async def test_a_slip_dispatched_by_hand_loses_its_unclassified_tag(
    client: TestClient, people: None, browsers: NewBrowser
) -> None:
    slip = await issue_slip(client, "有个事情想反映一下", low_confidence=True)
    pd = await signed_in(browsers, client, "pd")
    _, page = await pd.get("/console/queue")
    assert slip.number in page and "待人工分类" in page
    _, page = await pd.get(f"/console/slips/{slip.number}")
    assert "待人工确认" in page
    response, _ = await pd.post(f"/console/slips/{slip.number}/actions/dispatch",
                                {"department": "D-CGJ"})
    assert response.status == 200
    for url in ("/console/slips", "/console/slips?status=open", "/console/workbench"):
        _, page = await pd.get(url)
        assert slip.number in page or url == "/console/workbench"
        assert "待人工分类" not in page, url
    _, page = await pd.get(f"/console/slips/{slip.number}")
    assert "待人工确认" not in page and "区城市管理局" in page
    cg = await signed_in(browsers, client, "cg")
    for url in ("/console/workbench", "/console/slips", f"/console/slips/{slip.number}"):
        _, page = await cg.get(url)
        assert slip.number in page
        assert "待人工分类" not in page and "待人工确认" not in page, url


async def test_a_slip_merged_from_the_queue_is_not_tagged_unclassified(
    client: TestClient, people: None, browsers: NewBrowser
) -> None:
    kept = await issue_slip(client, "路灯不亮", key="kept")
    twin = await issue_slip(client, "那个灯", key="twin", low_confidence=True,
                            openid="oResident0000000000000002")
    pd = await signed_in(browsers, client, "pd")
    await pd.get(f"/console/slips/{twin.number}")
    await pd.post(f"/console/slips/{twin.number}/actions/merge", {"into": kept.number})
    _, page = await pd.get("/console/slips?status=closed")
    assert twin.number in page and "待人工分类" not in page
