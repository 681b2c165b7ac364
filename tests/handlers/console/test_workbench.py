"""The handler's workbench after the second product review: the slips their department has
signed and is working on (nearest deadline first, with lights), where an extension stands
(waiting, approved to a date, refused and why) on the row and on the slip page, the 督办 mark
with its opinion, the supervisor's pending extensions with the date and the reason, and the
resident's notice of an approved extension with the new date and the reason."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select, update

from bot.outbox.models import OutboxRow
from bot.slips.actor import Actor
from bot.slips.models import Slip
from bot.slips.views import SlipDraft
from handlers import keys as app_keys
from handlers.console import keys
from knowledge.calendar import default_calendar
from tests.handlers.staff_app import Browser, NewBrowser, add_member, signed_in, triage_for

ADMIN = Actor(kind="staff", id="0", name="管理员", role="admin")


@pytest.fixture
async def people(client: TestClient) -> None:
    await add_member(client, "cg", "handler", "D-CGJ", "城管李科长")
    await add_member(client, "hb", "handler", "D-STHJ", "环保王科长")
    await add_member(client, "db", "supervisor", None, "督办张主任")


async def _slip(client: TestClient, description: str, *, days: int = 5,
                department: str = "D-CGJ", name: str = "区城市管理局",
                co: tuple[str, str] | None = None):
    triage = {**triage_for(department, name), "due_working_days": days}
    if co:
        triage["departments"] = [*triage["departments"],
                                 {"name": co[1], "code": co[0], "role": "协办", "level": "区"}]
    return await client.server.app[keys.SLIPS].issue(SlipDraft(
        openid="oResident0000000000000001", description=description,
        idempotency_key=f"bench:{description}", location_text="建新北路 12 号",
        phone="13800138000", triage=triage,
    ))


async def _signed(client: TestClient, description: str, **kw):  # type: ignore[no-untyped-def]
    slip = await _slip(client, description, **kw)
    return await client.server.app[keys.SLIPS].act(slip.number, "sign", ADMIN)


def _section(page: str, name: str) -> str:
    return page.split(f'id="{name}"', 1)[1].split("</section>", 1)[0]


def _row(html: str, number: str) -> str:
    return next(r for r in html.split("<tr>") if f"/console/slips/{number}\"" in r)


def _numbers(html: str) -> list[str]:
    return re.findall(r'href="/console/slips/(JB\d+)"', html)


async def _set_clock(client: TestClient, number: str, *, due: datetime, yellow: datetime,
                     red: datetime) -> None:
    async with client.server.app[app_keys.DATABASE].session() as session:
        await session.execute(update(Slip).where(Slip.number == number).values(
            due_at=due, alert_yellow_at=yellow, alert_red_at=red))
        await session.commit()


def _workday_after(due: datetime, days: int):  # type: ignore[no-untyped-def]
    """A working day about `days` after `due` (an extension to a weekend is refused)."""
    return default_calendar().workday_on_or_after((due + timedelta(days=days)).date())


async def _request_extension(cg: Browser, number: str, wanted: str, reason: str) -> None:
    await cg.get(f"/console/slips/{number}")
    response, page = await cg.post(f"/console/slips/{number}/actions/request_extension",
                                   {"note": reason, "due_date": wanted})
    assert response.status == 200 and "已申请延期" in page, page


async def test_the_handler_sees_what_their_department_is_working_on_nearest_deadline_first(
    client: TestClient, people: None, browsers: NewBrowser
) -> None:
    later = await _signed(client, "小区门口垃圾堆了一周没人清", days=10)
    sooner = await _signed(client, "建新北路的路灯坏了三天了", days=3)
    late = await _signed(client, "人行道上的井盖松了，踩上去会翻", days=5)
    near = await _signed(client, "广场舞音响太吵，晚上十点还在放", days=7)
    # a co-handled slip is theirs to work on too; another department's is not
    shared = await _signed(client, "河边有人偷倒建筑垃圾", days=8, department="D-STHJ",
                           name="区生态环境局", co=("D-CGJ", "区城市管理局"))
    other = await _signed(client, "工厂排污水到河里", days=4, department="D-STHJ",
                          name="区生态环境局")
    unsigned = await _slip(client, "小区路面坑洼很多", days=2)
    service = client.server.app[keys.SLIPS]
    await service.act(near.number, "start", ADMIN)  # 办理中, no longer just 已签收
    now = datetime.now(UTC)
    # one past its deadline (red), one into its last 20 % (yellow)
    await _set_clock(client, late.number, due=now - timedelta(hours=3),
                     yellow=now - timedelta(days=2), red=now - timedelta(hours=3))
    await _set_clock(client, near.number, due=now + timedelta(hours=20),
                     yellow=now - timedelta(hours=1), red=now + timedelta(hours=20))

    cg = await signed_in(browsers, client, "cg")
    _, page = await cg.get("/console/workbench")
    section = _section(page, "in-progress")
    assert "<h2>办理中" in section
    assert _numbers(section) == [late.number, near.number, sooner.number, shared.number,
                                 later.number]
    assert other.number not in section and unsigned.number not in section
    assert '<span class="light red">超期</span>' in _row(section, late.number)
    assert '<span class="light yellow">临期</span>' in _row(section, near.number)
    assert '<span class="light green">正常</span>' in _row(section, later.number)
    assert "办理中" in _row(section, near.number) and "已签收" in _row(section, later.number)
    assert "区生态环境局" in _row(section, shared.number)  # who leads it
    tile = page.split('href="#in-progress"', 1)[1].split("</a>", 1)[0]
    assert '<div class="n">5</div>' in tile
    # the unsigned one is still where it was
    assert _numbers(_section(page, "to-sign")) == [unsigned.number]

    # closed, it leaves the list
    await service.act(sooner.number, "close", ADMIN, data={"result": "路灯已修复"})
    _, page = await cg.get("/console/workbench")
    assert sooner.number not in _section(page, "in-progress")

    # the supervisor has no such list (it would be every department's work)
    db = await signed_in(browsers, client, "db")
    _, page = await db.get("/console/workbench")
    assert 'id="in-progress"' not in page


async def test_an_approved_extension_shows_its_date_to_the_handler_and_tells_the_resident(
    client: TestClient, people: None, browsers: NewBrowser
) -> None:
    slip = await _signed(client, "建新北路的路灯坏了三天了，晚上很黑")
    wanted = _workday_after(slip.due_at, 7)
    cg = await signed_in(browsers, client, "cg")
    _, page = await cg.get(f"/console/slips/{slip.number}")
    # the form says so, once: in the field's label
    assert "延期理由（批准后会告诉居民）" in page and "告诉居民" not in page.replace(
        "延期理由（批准后会告诉居民）", "")
    await _request_extension(cg, slip.number, wanted.isoformat(), "需要供电公司来换电缆")
    _, page = await cg.get("/console/workbench")
    row = _row(_section(page, "in-progress"), slip.number)
    assert '<span class="badge hurry">延期待审批</span>' in row
    assert f"申请延期至 {wanted.isoformat()}，理由：需要供电公司来换电缆" in row

    # the supervisor's pending list says what is asked for and why
    db = await signed_in(browsers, client, "db")
    _, page = await db.get("/console/workbench")
    row = _row(_section(page, "extensions"), slip.number)
    assert f"申请延期至 {wanted.isoformat()}，理由：需要供电公司来换电缆" in row
    await db.get(f"/console/slips/{slip.number}")
    response, page = await db.post(f"/console/slips/{slip.number}/actions/approve_extension",
                                   {"note": "同意，注意跟进"})
    assert response.status == 200 and "已批准延期" in page
    _, page = await db.get("/console/workbench")
    assert slip.number not in _section(page, "extensions")

    # the handler sees the outcome on the row and on the slip page
    _, page = await cg.get("/console/workbench")
    row = _row(_section(page, "in-progress"), slip.number)
    assert '<span class="badge extended">延期已批准</span>' in row
    assert f"延期已批准至 {wanted.isoformat()}（审批意见：同意，注意跟进）" in row
    assert "延期待审批" not in row
    _, page = await cg.get(f"/console/slips/{slip.number}")
    found = re.search(r'<dd id="extension" class="extension-approved">([^<]+)<', page)
    assert found and found.group(1).strip() == (
        f"延期已批准至 {wanted.isoformat()}（审批意见：同意，注意跟进）")

    # the resident is told the new date and why, in plain words; not the internal opinion
    async with client.server.app[app_keys.DATABASE].session() as session:
        notice = (await session.execute(select(OutboxRow).where(
            OutboxRow.slip_id == slip.id, OutboxRow.kind == "extended"))).scalar_one()
    day = f"{wanted.year}年{wanted.month}月{wanted.day}日"
    assert notice.text == (
        f"您的交办单 {slip.number} 经批准延期，新的办结时限为 {day}。"
        "延期原因：需要供电公司来换电缆。给您带来不便，敬请谅解。"
    )
    assert "同意" not in notice.text
    assert notice.template_data["remark"] == f"新的办结时限：{day}。延期原因：需要供电公司来换电缆。"


async def test_a_refused_extension_shows_the_reason_to_the_handler(
    client: TestClient, people: None, browsers: NewBrowser
) -> None:
    slip = await _signed(client, "小区门口垃圾堆了一周没人清")
    wanted = _workday_after(slip.due_at, 5).isoformat()
    cg = await signed_in(browsers, client, "cg")
    await _request_extension(cg, slip.number, wanted, "人手不够")
    db = await signed_in(browsers, client, "db")
    await db.get(f"/console/slips/{slip.number}")
    response, page = await db.post(f"/console/slips/{slip.number}/actions/reject_extension",
                                   {"note": "清运不复杂，请本周内完成"})
    assert response.status == 200 and "已驳回延期" in page

    _, page = await cg.get("/console/workbench")
    row = _row(_section(page, "in-progress"), slip.number)
    assert '<span class="badge refused">延期未批准</span>' in row
    assert "延期未批准：清运不复杂，请本周内完成，请按原办结时限办结" in row
    _, page = await cg.get(f"/console/slips/{slip.number}")
    found = re.search(r'<dd id="extension" class="extension-rejected">([^<]+)<', page)
    assert found and found.group(1).strip() == "延期未批准：清运不复杂，请本周内完成。请按原办结时限办结。"
    async with client.server.app[app_keys.DATABASE].session() as session:
        kinds = set((await session.execute(select(OutboxRow.kind).where(
            OutboxRow.slip_id == slip.id))).scalars())
    assert "extended" not in kinds and "extension_rejected" in kinds  # the resident hears nothing

    # asked again: waiting once more, the refusal no longer shown
    later = _workday_after(slip.due_at, 3).isoformat()
    await _request_extension(cg, slip.number, later, "垃圾车坏了，周五才修好")
    _, page = await cg.get("/console/workbench")
    row = _row(_section(page, "in-progress"), slip.number)
    assert "延期待审批" in row and "延期未批准" not in row


async def test_a_supervised_slip_is_marked_with_the_opinion_in_the_handlers_lists(
    client: TestClient, people: None, browsers: NewBrowser
) -> None:
    signed = await _signed(client, "建新北路的路灯坏了三天了")
    waiting = await _slip(client, "人行道上的井盖松了")
    plain = await _signed(client, "小区门口垃圾堆了一周没人清")
    db = await signed_in(browsers, client, "db")
    for slip, note in ((signed, "居民多次来电，请今天联系居民"), (waiting, "井盖有危险，请立即签收"),
                       (signed, "请明天前修好")):
        await db.get(f"/console/slips/{slip.number}")
        response, page = await db.post(f"/console/slips/{slip.number}/actions/supervise",
                                       {"note": note})
        assert response.status == 200 and "已督办" in page

    cg = await signed_in(browsers, client, "cg")
    _, page = await cg.get("/console/workbench")
    row = _row(_section(page, "in-progress"), signed.number)
    assert '<span class="badge urgent">督办（2次）</span>' in row
    assert re.search(r'<div class="why supervision">督办意见（[^）]+）：请明天前修好</div>', row)
    row = _row(_section(page, "to-sign"), waiting.number)
    assert '<span class="badge urgent">督办</span>' in row
    assert "督办意见（" in row and "井盖有危险，请立即签收" in row
    assert "督办" not in _row(_section(page, "in-progress"), plain.number)
    # and on the slip page
    _, page = await cg.get(f"/console/slips/{signed.number}")
    found = re.search(r'<dd id="supervision">([^<]+)</dd>', page)
    assert found and found.group(1).startswith("已督办 2 次，最近一次 ")
    assert found.group(1).endswith("：请明天前修好")
    _, page = await cg.get(f"/console/slips/{plain.number}")
    assert 'id="supervision"' not in page and 'id="extension"' not in page


async def test_an_urged_slip_shows_how_often_in_the_handlers_lists(
    client: TestClient, people: None, browsers: NewBrowser
) -> None:
    """催办 from the chat: the handler sees it beside the slip and on the slip's page."""
    signed = await _signed(client, "建新北路的路灯坏了三天了")
    plain = await _signed(client, "小区门口垃圾堆了一周没人清")
    resident = Actor.resident("oResident0000000000000001")
    for note in ("能不能快点", "怎么还没人来"):
        await client.server.app[keys.SLIPS].act(signed.number, "urge", resident, note=note)
        # the next urge comes after the policy's urge_gap_hours (one sooner is a 补充)
        async with client.server.app[app_keys.DATABASE].session() as session:
            await session.execute(update(Slip).where(Slip.number == signed.number).values(
                urged_at=datetime.now(UTC) - timedelta(hours=5)))
            await session.commit()
    cg = await signed_in(browsers, client, "cg")
    _, page = await cg.get("/console/workbench")
    section = _section(page, "in-progress")
    assert '<span class="badge hurry" title="居民催办">催办（2次）</span>' in _row(
        section, signed.number)
    assert "催办" not in _row(section, plain.number)
    _, page = await cg.get(f"/console/slips/{signed.number}")
    assert "<dt>居民催办</dt><dd>2 次</dd>" in page
    assert "怎么还没人来" in page  # the timeline keeps the resident's words
