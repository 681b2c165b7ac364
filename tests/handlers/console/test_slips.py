"""Working slips in the console: lists, detail, actions, field errors, scope, escaping."""

from __future__ import annotations

import re

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from bot.outbox.models import OutboxRow
from bot.slips.models import SlipEvent
from handlers import keys as app_keys
from handlers.console import keys
from knowledge.calendar import default_calendar
from tests.handlers.staff_app import NewBrowser, add_member, issue_slip, signed_in

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>井盖丢了'


@pytest.fixture
async def people(client: TestClient) -> None:
    await add_member(client, "cg", "handler", "D-CGJ", "城管李科长")
    await add_member(client, "hb", "handler", "D-STHJ", "环保王科长")
    await add_member(client, "pd", "dispatcher", "D-MYZX", "派单员小王")
    await add_member(client, "db", "supervisor", None, "督办张主任")
    await add_member(client, "root", "admin", None, "管理员")


def _field_error(page: str, name: str) -> str:
    """The message shown next to form field `name` ('' when there is none)."""
    found = re.search(rf'data-field="{name}">([^<]+)<', page)
    return found.group(1).strip() if found else ""


async def _current(client: TestClient, number: str):  # type: ignore[no-untyped-def]
    """The slip as it is stored now."""
    return await client.server.app[keys.SLIPS].get(number, _system())


async def _events(client: TestClient, slip_id: int) -> int:
    async with client.server.app[app_keys.DATABASE].session() as session:
        return (
            await session.execute(
                select(func.count()).select_from(SlipEvent).where(SlipEvent.slip_id == slip_id)
            )
        ).scalar_one()


async def test_handler_signs_and_replies_and_the_resident_is_notified(
    client: TestClient, people: None, browsers: NewBrowser
) -> None:
    slip = await issue_slip(client)
    cg = await signed_in(browsers, client, "cg")
    _, page = await cg.get("/console/workbench")
    assert slip.number in page and "待签收" in page
    response, page = await cg.get(f"/console/slips/{slip.number}")
    assert response.status == 200
    assert "建新北路的路灯坏了三天了" in page and 'id="action-sign"' in page
    response, _ = await cg.post(
        f"/console/slips/{slip.number}/actions/sign",
        {"note": "已电话联系群众", "contact": "023-67000000", "expected_version": slip.version},
        allow_redirects=False,
    )
    assert response.status == 303
    assert response.headers["Location"] == f"/console/slips/{slip.number}?done=sign"
    _, page = await cg.get(response.headers["Location"])
    assert "已签收" in page and "已电话联系群众" in page
    version = int(re.search(r'name="expected_version" value="(\d+)"', page).group(1))
    response, _ = await cg.post(
        f"/console/slips/{slip.number}/actions/reply",
        {"note": "师傅明天上午来修路灯", "expected_version": version},
        allow_redirects=False,
    )
    assert response.status == 303
    async with client.server.app[app_keys.DATABASE].session() as session:
        texts = (
            await session.execute(
                select(OutboxRow.kind, OutboxRow.text).where(OutboxRow.slip_id == slip.id)
            )
        ).all()
    assert any(kind == "reply" and "师傅明天上午来修路灯" in text for kind, text in texts)
    _, page = await cg.get(f"/console/slips/{slip.number}")
    assert "答复" in page and 'id="deliveries"' in page and "待发送" in page


async def test_missing_field_is_explained_next_to_it_and_nothing_changes(
    client: TestClient, people: None, browsers: NewBrowser
) -> None:
    slip = await issue_slip(client)
    cg = await signed_in(browsers, client, "cg")
    await cg.get(f"/console/slips/{slip.number}")
    before = await _events(client, slip.id)
    response, page = await cg.post(f"/console/slips/{slip.number}/actions/reply", {"note": "   "})
    assert response.status == 400
    assert _field_error(page, "note")
    assert '<details class="action" id="action-reply" open>' in page
    assert await _events(client, slip.id) == before
    response, page = await cg.post(f"/console/slips/{slip.number}/actions/return", {"note": ""})
    assert response.status == 400 and 'data-field="note"' in page
    assert (await _current(client, slip.number)).status == slip.status


def _system():
    from bot.slips.actor import Actor

    return Actor.system("scheduler")


async def test_an_overlong_note_is_stopped_by_the_form_and_refused_by_the_server(
    client: TestClient, people: None, browsers: NewBrowser
) -> None:
    slip = await issue_slip(client)
    cg = await signed_in(browsers, client, "cg")
    _, page = await cg.get(f"/console/slips/{slip.number}")
    assert re.search(r'<textarea id="f-reply-note" name="note" maxlength="2000">', page)
    before = await _events(client, slip.id)
    response, page = await cg.post(
        f"/console/slips/{slip.number}/actions/reply",
        {"note": "路灯" * 1001, "expected_version": slip.version},
    )
    assert response.status == 400
    assert "不能超过2000字" in _field_error(page, "note")
    assert await _events(client, slip.id) == before


async def test_the_triage_explains_itself_in_plain_lines_with_the_detail_folded(
    client: TestClient, people: None, browsers: NewBrowser
) -> None:
    slip = await issue_slip(client, explanation={
        "summary": ["类别：城乡建设 › 城市建设和市政管理 › 路灯（关键词：路灯坏）",
                    "紧急程度：一般；规则判定：规则未命中"],
        "category": {"top": [{"label": "城乡建设", "score": 0.88}], "words": [HOSTILE]},
    })
    cg = await signed_in(browsers, client, "cg")
    _, page = await cg.get(f"/console/slips/{slip.number}")
    lines = re.search(r'<ul class="explain-summary" id="explanation">(.*?)</ul>', page, re.S)
    assert lines and "<li>类别：城乡建设 › 城市建设和市政管理 › 路灯（关键词：路灯坏）</li>" in lines.group(1)
    folded = re.search(r'<details class="explain-raw">.*?<pre>(.*?)</pre></details>', page, re.S)
    assert folded and '"label": "城乡建设"' in folded.group(1).replace("&#34;", '"')
    assert "<script>" not in folded.group(1) and "&lt;script&gt;" in folded.group(1)


async def test_stale_version_is_a_conflict_not_an_overwrite(
    client: TestClient, people: None, browsers: NewBrowser
) -> None:
    slip = await issue_slip(client)
    cg = await signed_in(browsers, client, "cg")
    await cg.get(f"/console/slips/{slip.number}")
    response, _ = await cg.post(
        f"/console/slips/{slip.number}/actions/sign",
        {"note": "先签收", "expected_version": slip.version},
        allow_redirects=False,
    )
    assert response.status == 303
    response, page = await cg.post(
        f"/console/slips/{slip.number}/actions/reply",
        {"note": "基于旧页面的答复", "expected_version": slip.version},
    )
    assert response.status == 409 and "刚刚被别人改过" in page
    assert "基于旧页面的答复" in page  # what they typed is kept for them


async def test_action_not_allowed_now_is_refused(
    client: TestClient, people: None, browsers: NewBrowser
) -> None:
    slip = await issue_slip(client)
    cg = await signed_in(browsers, client, "cg")
    await cg.get(f"/console/slips/{slip.number}")
    await cg.post(f"/console/slips/{slip.number}/actions/sign", {"note": "签收"})
    response, page = await cg.post(f"/console/slips/{slip.number}/actions/sign", {"note": "再签"})
    assert response.status == 409
    response, page = await cg.post(
        f"/console/slips/{slip.number}/actions/approve_extension", {"note": "自己批"}
    )
    assert response.status == 403 and "没有权限" in page
    response, page = await cg.post(f"/console/slips/{slip.number}/actions/fly", {"note": "x"})
    assert response.status == 400


async def test_complaint_text_is_shown_as_text(
    client: TestClient, people: None, browsers: NewBrowser
) -> None:
    slip = await issue_slip(client, HOSTILE, location_text='<b onmouseover="x">路口</b>')
    cg = await signed_in(browsers, client, "cg")
    for path in (f"/console/slips/{slip.number}", "/console/slips", "/console/workbench"):
        _, page = await cg.get(path)
        assert "<script>alert" not in page and "<img src=x" not in page, path
        assert "&lt;script&gt;alert(" in page, path
    _, page = await cg.get(f"/console/slips/{slip.number}")
    assert "<b onmouseover" not in page and "&lt;b onmouseover=" in page


async def test_handler_of_another_department_cannot_open_or_act(
    client: TestClient, people: None, browsers: NewBrowser
) -> None:
    slip = await issue_slip(client, "小区门口的路灯不亮")
    hb = await signed_in(browsers, client, "hb")
    response, page = await hb.get(f"/console/slips/{slip.number}")
    assert response.status == 403 and "小区门口的路灯不亮" not in page
    response, page = await hb.get(f"/console/slips/{slip.id}")  # by internal id too
    assert response.status == 403 and "小区门口的路灯不亮" not in page
    for action in ("sign", "reply", "return", "transfer", "close"):
        response, page = await hb.post(
            f"/console/slips/{slip.number}/actions/{action}", {"note": "越权"}
        )
        assert response.status == 403, action
    link = f'href="/console/slips/{slip.number}"'
    _, page = await hb.get("/console/slips")
    assert link not in page
    for query in (slip.number, "路灯", "13800138000"):
        _, page = await hb.get("/console/slips", params={"q": query})
        assert link not in page and "没有符合条件的交办单" in page, query
    _, page = await hb.get("/console/slips", params={"department": "D-CGJ"})
    assert link not in page
    _, page = await hb.get("/console/workbench")
    assert slip.number not in page
    assert await _events(client, slip.id) == 2  # accepted, dispatched: nothing more
    response, _ = await hb.get("/console/slips/JB2099010100001")
    assert response.status == 404


async def test_dispatcher_queue_and_dispatch_with_field_error(
    client: TestClient, people: None, browsers: NewBrowser
) -> None:
    slip = await issue_slip(client, "有个事情想反映一下", low_confidence=True)
    assert slip.status == "accepted"
    pd = await signed_in(browsers, client, "pd")
    _, page = await pd.get("/console/queue")
    assert slip.number in page
    _, page = await pd.get("/console/workbench")
    assert slip.number in page and "待人工派单" in page
    cg = await signed_in(browsers, client, "cg")
    assert (await cg.get("/console/queue"))[0].status == 403
    await pd.get(f"/console/slips/{slip.number}")
    response, page = await pd.post(
        f"/console/slips/{slip.number}/actions/dispatch", {"department": "NOPE"}
    )
    assert response.status == 400 and 'data-field="department"' in page
    response, _ = await pd.post(
        f"/console/slips/{slip.number}/actions/dispatch",
        {"department": "D-CGJ", "note": "城管负责"},
        allow_redirects=False,
    )
    assert response.status == 303
    _, page = await pd.get("/console/queue")
    assert slip.number not in page
    _, page = await cg.get("/console/workbench")
    assert slip.number in page


async def test_list_filters_search_and_pages(
    client: TestClient, people: None, browsers: NewBrowser
) -> None:
    for i in range(23):
        await issue_slip(client, f"第{i}号投诉：建新北路的路灯坏了", key=f"k{i}")
    noise = await issue_slip(
        client, "工地晚上施工噪音太大", department="D-STHJ", name="区生态环境局", key="noise"
    )
    root = await signed_in(browsers, client, "root")
    _, page = await root.get("/console/slips")
    assert page.count('href="/console/slips/JB') == 20 and "共 24 条" in page
    _, page2 = await root.get("/console/slips", params={"page": 2})
    assert page2.count('href="/console/slips/JB') == 4
    _, page = await root.get("/console/slips", params={"q": "噪音"})
    assert noise.number in page and page.count('href="/console/slips/JB') == 1
    _, page = await root.get("/console/slips", params={"department": "D-STHJ"})
    assert page.count('href="/console/slips/JB') == 1
    _, page = await root.get("/console/slips", params={"status": "closed"})
    assert page.count('href="/console/slips/JB') == 0
    _, page = await root.get("/console/slips", params={"urgency": "特急"})
    assert page.count('href="/console/slips/JB') == 0
    response, page = await root.get(
        "/console/slips", params={"date_from": "2026-13-01", "status": "nope"}
    )
    assert response.status == 400
    assert 'data-field="date_from"' in page and 'data-field="status"' in page
    _, page = await root.get("/console/slips", params={"q": "噪音", "page": 1})
    assert 'value="噪音"' in page  # the form keeps what was asked


class FakeWeChat:
    """Stands in for the WeChat media API: returns whatever type it is told to."""

    def __init__(self, content_type: str) -> None:
        self.content_type = content_type
        self.asked: list[str] = []

    async def get_media(self, media_id: str):
        from bot.delivery.client import Media

        self.asked.append(media_id)
        return Media(media_id, b"\xff\xd8\xff fake image bytes", self.content_type)


async def test_photos_are_served_to_staff_in_scope_and_only_as_images(
    aiohttp_client, console_settings, browsers: NewBrowser
) -> None:
    from bot.app import create_app
    from tests.handlers.staff_app import FAST_PASSWORDS

    fake = FakeWeChat("image/jpeg")
    app = create_app(console_settings, migrate=True)
    app[keys.MEDIA] = fake
    client = await aiohttp_client(app)
    client.server.app[keys.STAFF].passwords = FAST_PASSWORDS
    await add_member(client, "cg", "handler", "D-CGJ")
    await add_member(client, "hb", "handler", "D-STHJ")
    slip = await issue_slip(client, media=[{"type": "image", "media_id": "MEDIA_1"}])
    cg = await signed_in(browsers, client, "cg")
    _, page = await cg.get(f"/console/slips/{slip.number}")
    assert f'<img src="/console/slips/{slip.number}/media/0"' in page
    response = await cg.session.get(cg.url(f"/console/slips/{slip.number}/media/0"))
    assert response.status == 200 and response.content_type == "image/jpeg"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert response.headers["Content-Disposition"].startswith("inline")
    assert fake.asked == ["MEDIA_1"]
    assert (await cg.session.get(cg.url(f"/console/slips/{slip.number}/media/5"))).status == 404
    hb = await signed_in(browsers, client, "hb")
    response = await hb.session.get(hb.url(f"/console/slips/{slip.number}/media/0"))
    assert response.status == 403 and fake.asked == ["MEDIA_1"]
    fake.content_type = "text/html"
    response = await cg.session.get(cg.url(f"/console/slips/{slip.number}/media/0"))
    assert response.status == 404


async def test_without_wechat_credentials_photos_are_placeholders(
    make_client, console_settings, browsers: NewBrowser
) -> None:
    client = await make_client(console_settings.with_overrides(**{"wechat.secret": ""}))
    await add_member(client, "cg", "handler", "D-CGJ")
    slip = await issue_slip(client, media=[{"type": "image", "media_id": "MEDIA_1"}])
    cg = await signed_in(browsers, client, "cg")
    _, page = await cg.get(f"/console/slips/{slip.number}")
    assert "photo-placeholder" in page and "<img" not in page


async def test_an_unexpected_fault_is_a_polite_page_not_a_trace(
    client: TestClient, people: None, browsers: NewBrowser, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args, **kwargs):
        raise RuntimeError("database exploded: secret detail")

    monkeypatch.setattr(client.server.app[keys.SLIPS], "list", broken)
    root = await signed_in(browsers, client, "root")
    response, page = await root.get("/console/slips")
    assert response.status == 500 and "系统出错了" in page and "secret detail" not in page
    token = await _token_for(client, "root")
    response = await client.get("/api/v1/slips", headers=token)
    assert response.status == 500
    body = await response.json()
    assert body["error"]["code"] == "internal_error" and "secret" not in str(body)


async def _token_for(client: TestClient, username: str) -> dict[str, str]:
    staff = client.server.app[keys.STAFF]
    member = await staff.by_username(username)
    _, token = await staff.create_token(member.id, name="t", scope="read")
    return {"Authorization": f"Bearer {token}"}


async def test_a_returned_slip_goes_back_to_the_dispatchers_queue(
    client: TestClient, people: None, browsers: NewBrowser
) -> None:
    slip = await issue_slip(client, "这个事情不归城管管")
    cg = await signed_in(browsers, client, "cg")
    await cg.get(f"/console/slips/{slip.number}")
    response, _ = await cg.post(
        f"/console/slips/{slip.number}/actions/return",
        {"note": "属于住建委职责，请改派"},
        allow_redirects=False,
    )
    assert response.status == 303
    pd = await signed_in(browsers, client, "pd")
    _, page = await pd.get("/console/queue")
    assert f'href="/console/slips/{slip.number}"' in page
    _, page = await cg.get("/console/workbench")
    assert slip.number not in page


async def test_extension_requested_by_the_handler_and_approved_by_a_supervisor(
    client: TestClient, people: None, browsers: NewBrowser
) -> None:
    from datetime import timedelta

    slip = await issue_slip(client)
    cg = await signed_in(browsers, client, "cg")
    await cg.get(f"/console/slips/{slip.number}")
    await cg.post(f"/console/slips/{slip.number}/actions/sign", {"note": "签收"})
    response, page = await cg.post(
        f"/console/slips/{slip.number}/actions/request_extension",
        {"note": "需要协调供电公司", "due_date": "not a date"},
    )
    assert response.status == 400 and 'data-field="due_date"' in page
    # a working day (an extension to a weekend or a holiday is refused)
    wanted = default_calendar().workday_on_or_after(
        (slip.due_at + timedelta(days=5)).date()).isoformat()
    response, page = await cg.post(
        f"/console/slips/{slip.number}/actions/request_extension",
        {"note": "需要协调供电公司", "due_date": wanted},
    )
    assert response.status == 200 and "已申请延期" in page and wanted in page
    db = await signed_in(browsers, client, "db")
    _, page = await db.get("/console/workbench")
    assert slip.number in page  # waiting for approval
    await db.get(f"/console/slips/{slip.number}")
    response, page = await db.post(
        f"/console/slips/{slip.number}/actions/approve_extension", {"note": "同意"}
    )
    assert response.status == 200 and "已批准延期" in page
    after = await _current(client, slip.number)
    assert after.due_at > slip.due_at and after.pending_extension is None


async def test_close_survey_reopen_and_merge_through_the_forms(
    client: TestClient, people: None, browsers: NewBrowser
) -> None:
    slip = await issue_slip(client, "路灯不亮", key="a")
    twin = await issue_slip(client, "路灯还是不亮", key="b", openid="oResident0000000000000002")
    cg = await signed_in(browsers, client, "cg")
    await cg.get(f"/console/slips/{slip.number}")
    await cg.post(f"/console/slips/{slip.number}/actions/sign", {"note": "签收"})
    response, page = await cg.post(f"/console/slips/{slip.number}/actions/close", {"note": "x"})
    assert response.status == 400 and 'data-field="result"' in page
    response, page = await cg.post(
        f"/console/slips/{slip.number}/actions/close", {"result": "灯泡已更换，恢复照明"}
    )
    assert response.status == 200 and "已办结" in page and "灯泡已更换" in page
    pd = await signed_in(browsers, client, "pd")
    await pd.get(f"/console/slips/{slip.number}")
    response, page = await pd.post(
        f"/console/slips/{slip.number}/actions/survey",
        {"verdict": "不满意", "note": "电话回访：晚上又不亮了"},
    )
    assert response.status == 200
    after = await _current(client, slip.number)
    assert after.reopen_count == 1 and after.status == "dispatched"  # back to the department
    events = await client.server.app[keys.SLIPS].timeline(slip.number, _system())
    assert [e.action for e in events][-2:] == ["survey", "reopen"]
    await pd.get(f"/console/slips/{twin.number}")
    response, page = await pd.post(
        f"/console/slips/{twin.number}/actions/merge", {"into": "JB2099010100001"}
    )
    assert response.status == 400 and 'data-field="into"' in page, response.status
    response, page = await pd.post(
        f"/console/slips/{twin.number}/actions/merge", {"into": slip.number, "note": "同一路灯"}
    )
    assert response.status == 200 and "已合并" in page
    assert f'href="/console/slips/{slip.number}"' in page  # links to the kept slip


async def test_a_merged_slips_survey_waits_for_the_kept_slip_and_its_unsatisfied_reopens_it(
    client: TestClient, people: None, browsers: NewBrowser
) -> None:
    """A dispatcher entering a merged resident's phone survey: no 满意度评价 form on the
    merged slip while the kept slip is being worked (it could only fail); once the kept slip
    is finished the form is there, and a 不满意 sends the kept slip back to its department."""
    kept = await issue_slip(client, "路灯不亮", key="kept")
    twin = await issue_slip(client, "路灯还是不亮", key="twin", openid="oResident0000000000000002")
    pd = await signed_in(browsers, client, "pd")
    await pd.get(f"/console/slips/{twin.number}")
    response, _ = await pd.post(
        f"/console/slips/{twin.number}/actions/merge", {"into": kept.number}
    )
    assert response.status == 200
    _, page = await pd.get(f"/console/slips/{twin.number}")
    assert "已合并" in page and 'id="action-survey"' not in page
    response, page = await pd.post(
        f"/console/slips/{twin.number}/actions/survey", {"verdict": "满意"}
    )
    assert response.status == 409 and "还没有办结" in page  # a form left open meanwhile
    cg = await signed_in(browsers, client, "cg")
    await cg.get(f"/console/slips/{kept.number}")
    await cg.post(f"/console/slips/{kept.number}/actions/sign", {"note": "签收"})
    await cg.post(f"/console/slips/{kept.number}/actions/close", {"result": "灯泡已更换"})
    _, page = await pd.get(f"/console/slips/{twin.number}")
    assert 'id="action-survey"' in page
    response, page = await pd.post(
        f"/console/slips/{twin.number}/actions/survey",
        {"verdict": "不满意", "note": "电话回访：晚上又不亮了"},
    )
    assert response.status == 200 and "不满意" in page
    assert (await _current(client, twin.number)).status == "merged"
    after = await _current(client, kept.number)
    assert (after.status, after.reopen_count) == ("dispatched", 1)
    events = await client.server.app[keys.SLIPS].timeline(kept.number, _system())
    assert events[-1].action == "reopen" and "电话回访：晚上又不亮了" in (events[-1].note or "")


async def test_transfer_with_co_handlers_from_the_multi_select(
    client: TestClient, people: None, browsers: NewBrowser
) -> None:
    slip = await issue_slip(client, "工地噪音和扬尘")
    pd = await signed_in(browsers, client, "pd")
    _, page = await pd.get(f"/console/slips/{slip.number}")
    assert 'name="co_departments" multiple' in page
    response = await pd.session.post(
        pd.url(f"/console/slips/{slip.number}/actions/transfer"),
        data=[
            ("csrf_token", pd.csrf),
            ("department", "D-STHJ"),
            ("co_departments", "D-CGJ"),
            ("co_departments", "D-ZJW"),
            ("note", "以环保为主，城管、住建配合"),
        ],
    )
    assert response.status == 200
    after = await _current(client, slip.number)
    assert after.lead_department.code == "D-STHJ"
    assert {d.code for d in after.co_departments} == {"D-CGJ", "D-ZJW"}
    hb = await signed_in(browsers, client, "hb")
    assert (await hb.get(f"/console/slips/{slip.number}"))[0].status == 200
    cg = await signed_in(browsers, client, "cg")  # a co-handler may open it too
    assert (await cg.get(f"/console/slips/{slip.number}"))[0].status == 200


async def _texts(client: TestClient, slip_id: int) -> dict[str, str]:
    async with client.server.app[app_keys.DATABASE].session() as session:
        rows = (await session.execute(
            select(OutboxRow.kind, OutboxRow.text).where(OutboxRow.slip_id == slip_id)
        )).all()
    return dict(rows)


async def test_withdrawing_needs_a_reason_and_a_ticked_confirmation(
    client: TestClient, people: None, browsers: NewBrowser
) -> None:
    slip = await issue_slip(client)
    pd = await signed_in(browsers, client, "pd")
    _, page = await pd.get(f"/console/slips/{slip.number}")
    form = page[page.index('id="action-withdraw"'):]
    form = form[:form.index("</form>")]
    assert "撤销原因 <span class=\"muted small\">（必填）</span>" in form
    assert 'type="checkbox" name="confirm"' in form and "撤销后不能恢复" in form
    before = await _events(client, slip.id)
    url = f"/console/slips/{slip.number}/actions/withdraw"
    # neither a reason nor the tick: both are said, next to their fields, and nothing happens
    response, page = await pd.post(url, {"note": "", "expected_version": slip.version})
    assert response.status == 400
    assert _field_error(page, "note") == "请填写撤销原因"
    assert _field_error(page, "confirm").startswith("撤销后不能恢复，请核实后勾选确认")
    assert '<details class="action" id="action-withdraw" open>' in page
    # a reason without the tick: still nothing, and the reason is kept in the form
    response, page = await pd.post(url, {"note": "重复反映", "expected_version": slip.version})
    assert response.status == 400 and 'data-field="confirm"' in page
    assert ">重复反映</textarea>" in page
    # the tick without a reason
    response, page = await pd.post(
        url, {"note": " ", "confirm": "yes", "expected_version": slip.version}
    )
    assert response.status == 400 and _field_error(page, "note") == "请填写撤销原因"
    assert await _events(client, slip.id) == before
    assert (await _current(client, slip.number)).status == "dispatched"
    assert "withdrawn" not in await _texts(client, slip.id)
    # both: withdrawn, and the resident is told why
    response, page = await pd.post(
        url, {"note": "居民来电说明已自行解决", "confirm": "yes",
              "expected_version": slip.version},
    )
    assert response.status == 200 and "已撤销" in page
    texts = await _texts(client, slip.id)
    assert texts["withdrawn"] == (f"您的交办单 {slip.number} 已撤销。撤销原因：居民来电说明已自行解决。"
                                  "如有需要，欢迎随时再次反映。")
    assert "已由派单员小王撤销" in texts["withdrawn_staff"]


async def test_signing_with_a_contact_that_is_no_phone_number_is_refused(
    client: TestClient, people: None, browsers: NewBrowser
) -> None:
    slip = await issue_slip(client)
    cg = await signed_in(browsers, client, "cg")
    await cg.get(f"/console/slips/{slip.number}")
    before = await _events(client, slip.id)
    url = f"/console/slips/{slip.number}/actions/sign"
    for bogus in ("啊啊啊啊不是电话", "12345", "电话023-1"):
        response, page = await cg.post(
            url, {"contact": bogus, "note": "已联系", "expected_version": slip.version}
        )
        assert response.status == 400, bogus
        assert "应包含电话号码" in _field_error(page, "contact"), bogus
        assert f'value="{bogus}"' in page  # what was typed stays, to be corrected
        # the field says so to a screen reader, points at its message and takes the focus
        field = re.search(r'<input id="f-sign-contact"[^>]*>', page)
        assert field is not None
        assert 'aria-invalid="true"' in field.group(0) and "autofocus" in field.group(0)
        assert 'aria-describedby="f-sign-contact-error"' in field.group(0)
        assert 'id="f-sign-contact-error"' in page and page.count("autofocus") == 1
    assert await _events(client, slip.id) == before
    assert (await _current(client, slip.number)).status == "dispatched"
    assert "signed" not in await _texts(client, slip.id)
    response, _ = await cg.post(
        url, {"contact": "李科长 023-67891234转806", "expected_version": slip.version}
    )
    assert response.status == 200
    assert "联系方式：李科长 023-67891234转806" in (await _texts(client, slip.id))["signed"]


async def test_supervising_without_an_opinion_is_refused_next_to_the_field(
    client: TestClient, people: None, browsers: NewBrowser
) -> None:
    slip = await issue_slip(client)
    db = await signed_in(browsers, client, "db")
    _, page = await db.get(f"/console/slips/{slip.number}")
    assert "督办意见 <span class=\"muted small\">（必填）</span>" in page
    before = await _events(client, slip.id)
    response, page = await db.post(
        f"/console/slips/{slip.number}/actions/supervise",
        {"note": "  ", "expected_version": slip.version},
    )
    assert response.status == 400
    assert _field_error(page, "note") == "请填写督办意见"
    assert '<details class="action" id="action-supervise" open>' in page
    assert await _events(client, slip.id) == before
    assert not (await _current(client, slip.number)).supervised
    response, page = await db.post(
        f"/console/slips/{slip.number}/actions/supervise",
        {"note": "群众多次来电，请三日内处理", "expected_version": slip.version},
    )
    assert response.status == 200 and "群众多次来电，请三日内处理" in page


async def test_acting_on_a_page_left_open_after_the_slip_was_transferred_says_so(
    client: TestClient, people: None, browsers: NewBrowser
) -> None:
    slip = await issue_slip(client)
    cg = await signed_in(browsers, client, "cg")
    await cg.get(f"/console/slips/{slip.number}")  # the handler's page, then a coffee
    pd = await signed_in(browsers, client, "pd")
    await pd.get(f"/console/slips/{slip.number}")
    response, _ = await pd.post(
        f"/console/slips/{slip.number}/actions/transfer",
        {"department": "D-STHJ", "note": "属环保职责"},
    )
    assert response.status == 200
    now_with = (await _current(client, slip.number)).lead_department
    before = await _events(client, slip.id)
    response, page = await cg.post(
        f"/console/slips/{slip.number}/actions/sign",
        {"contact": "13700002222", "expected_version": slip.version},
    )
    assert response.status == 403
    assert "没有查看这个页面的权限" not in page
    assert f"交办单 {slip.number} 已改派给{now_with.name}办理，不在您的列表中了" in page
    assert 'href="/console/"' in page and "回到工作台" in page
    assert await _events(client, slip.id) == before
    response, page = await cg.get(f"/console/slips/{slip.number}")  # the link on the workbench
    assert response.status == 403 and f"已改派给{now_with.name}办理" in page
    # a department that never had the slip learns nothing about it
    await add_member(client, "zj", "handler", "D-ZJW", "住建赵科长")
    zj = await signed_in(browsers, client, "zj")
    response, page = await zj.get(f"/console/slips/{slip.number}")
    assert response.status == 403 and "改派" not in page and now_with.name not in page


def _section(page: str, element_id: str) -> str:
    """From the element with `element_id` to the end of its card."""
    part = page[page.index(f'id="{element_id}"'):]
    return part[:part.index("</section>")]


async def test_the_chat_record_shows_a_survey_answer_with_its_reason(
    client: TestClient, people: None, browsers: NewBrowser
) -> None:
    from bot.slips.actor import Actor
    from bot.storage.messages import InboundRecord

    openid = "oResident0000000000000001"
    slip = await issue_slip(client, "路灯不亮", openid=openid)
    service, chat = client.server.app[keys.SLIPS], client.server.app[app_keys.MESSAGE_LOG]
    root = Actor(kind="staff", id="root", name="管理员", role="admin")
    for action, data in (("sign", None), ("close", {"result": "灯泡已更换"})):
        await service.act(slip.number, action, root, data=data)

    async def says(n: int, text: str, reply: str) -> None:
        await chat.record_exchange(
            InboundRecord(openid=openid, msg_type="text", dedupe_key=f"survey:{n}",
                          content=text), reply)

    # "3", the bot asks why, the reason: recorded with the survey, then written to the chat
    await says(1, "3", "很抱歉没让您满意。请说说哪里不满意、还有什么没解决，我们会重新交办。")
    await service.act(slip.number, "survey", Actor.resident(openid), note="晚上还是黑的",
                      data={"verdict": "不满意", "solved": False}, quiet_resident=True)
    await says(2, "晚上还是黑的", "收到您的意见。")
    # reopened, closed again, and this time the answer came by phone
    for action, data in (("sign", None), ("close", {"result": "线路已修复"})):
        await service.act(slip.number, action, root, data=data)
    await service.act(slip.number, "survey", Actor(kind="staff", id="pd", name="派单员小王",
                                                   role="dispatcher"),
                      note="电话回访：基本亮了，偶尔闪", data={"verdict": "基本满意"})

    cg = await signed_in(browsers, client, "cg")
    _, page = await cg.get(f"/console/slips/{slip.number}")
    transcript = _section(page, "transcript")
    assert "记为满意度评价：不满意（未解决）；原因：晚上还是黑的" in transcript
    # on the resident's message that gave it, not on the "3"
    bubble = transcript[transcript.rindex('<div class="msg in">'):]
    assert bubble.index("晚上还是黑的") < bubble.index("记为满意度评价")
    assert "工作人员派单员小王代为记录的满意度评价：基本满意；原因：电话回访：基本亮了，偶尔闪" in transcript
    # the slip's own 满意度 says why too
    assert ('id="satisfaction">基本满意<div class="survey-reason">原因：电话回访：基本亮了，偶尔闪<'
            in page)


async def test_a_dropped_co_handler_and_a_returned_slip_are_explained_too(
    client: TestClient, people: None, browsers: NewBrowser
) -> None:
    await add_member(client, "zj", "handler", "D-ZJW", "住建赵科长")
    slip = await issue_slip(client)
    cg, hb, pd = [await signed_in(browsers, client, name) for name in ("cg", "hb", "pd")]
    url = f"/console/slips/{slip.number}"
    # 环保 co-handles for a while, then is dropped when the slip goes back to 城管 alone
    await pd.get(url)
    response, _ = await pd.post(f"{url}/actions/transfer", {
        "department": "D-ZJW", "co_departments": "D-STHJ", "note": "属住建职责，环保协办"})
    assert response.status == 200
    response, _ = await hb.get(url)
    assert response.status == 200
    response, _ = await pd.post(f"{url}/actions/transfer",
                                {"department": "D-CGJ", "note": "仍由城管办理"})
    assert response.status == 200
    lead = (await _current(client, slip.number)).lead_department.name
    response, page = await hb.get(url)
    assert response.status == 403 and "没有查看这个页面的权限" not in page
    assert f"交办单 {slip.number} 已改派给{lead}办理，不在您的列表中了" in page
    # 城管 sends it back (退单): it lands on its workbench with a confirmation, not 没有权限
    await cg.get(url)
    response, page = await cg.post(f"{url}/actions/return", {"note": "属于住建委职责"})
    assert response.status == 200 and response.url.path == "/console/workbench"
    assert "没有查看这个页面的权限" not in page
    assert f"交办单 {slip.number} 已退回派单员重新派单" in page
    # the slip's page, left open, says so too
    response, page = await cg.get(url)
    assert response.status == 403 and f"交办单 {slip.number} 已退回派单员重新派单" in page
    # … and once the dispatcher sends it on, where it went
    await pd.get(url)
    response, _ = await pd.post(f"{url}/actions/dispatch", {"department": "D-ZJW"})
    assert response.status == 200
    lead = (await _current(client, slip.number)).lead_department.name
    for browser in (cg, hb):
        response, page = await browser.get(url)
        assert response.status == 403 and f"交办单 {slip.number} 已改派给{lead}办理" in page
    response, _ = await (await signed_in(browsers, client, "zj")).get(url)
    assert response.status == 200


async def test_a_merged_slip_says_why_its_survey_form_is_not_there_yet(
    client: TestClient, people: None, browsers: NewBrowser
) -> None:
    kept = await issue_slip(client, "路灯不亮", key="kept")
    twin = await issue_slip(client, "路灯还是不亮", key="twin", openid="oResident0000000000000002")
    pd = await signed_in(browsers, client, "pd")
    await pd.get(f"/console/slips/{twin.number}")
    await pd.post(f"/console/slips/{twin.number}/actions/merge", {"into": kept.number})
    _, page = await pd.get(f"/console/slips/{twin.number}")
    found = re.search(r'<p class="muted" id="survey-waits">(.+?)</p>', page)
    assert found, "no hint on the merged slip"
    hint = re.sub(r"<[^>]+>", "", found.group(1))
    assert hint == f"本单已合并到 {kept.number}，该单办结后可在此记录本单居民的满意度评价。"
    assert f'href="/console/slips/{kept.number}"' in found.group(1)
    # the kept slip itself, and the merged one once the kept slip is finished: no hint
    _, page = await pd.get(f"/console/slips/{kept.number}")
    assert 'id="survey-waits"' not in page
    cg = await signed_in(browsers, client, "cg")
    await cg.get(f"/console/slips/{kept.number}")
    await cg.post(f"/console/slips/{kept.number}/actions/sign", {"note": "签收"})
    await cg.post(f"/console/slips/{kept.number}/actions/close", {"result": "灯泡已更换"})
    _, page = await pd.get(f"/console/slips/{twin.number}")
    assert 'id="action-survey"' in page and 'id="survey-waits"' not in page


async def test_a_reopened_slip_loses_its_supervise_badge_and_says_it_was_supervised_before(
    client: TestClient, people: None, browsers: NewBrowser
) -> None:
    slip = await issue_slip(client, "路灯不亮")
    db = await signed_in(browsers, client, "db")
    await db.get(f"/console/slips/{slip.number}")
    await db.post(f"/console/slips/{slip.number}/actions/supervise", {"note": "请今天联系居民"})
    cg = await signed_in(browsers, client, "cg")
    await cg.get(f"/console/slips/{slip.number}")
    await cg.post(f"/console/slips/{slip.number}/actions/sign", {"note": "签收"})
    await cg.post(f"/console/slips/{slip.number}/actions/close", {"result": "灯泡已更换"})
    pd = await signed_in(browsers, client, "pd")
    await pd.get(f"/console/slips/{slip.number}")
    await pd.post(f"/console/slips/{slip.number}/actions/survey",
                  {"verdict": "不满意", "note": "电话回访：晚上又不亮了"})
    assert (await _current(client, slip.number)).status == "dispatched"
    _, page = await cg.get(f"/console/slips/{slip.number}")
    heading = page.split("<h1>", 1)[1].split("</h1>", 1)[0]
    assert "督办" not in heading
    found = re.search(r'<dd id="supervision">(.+?)</dd>', page)
    assert found and "请今天联系居民" not in found.group(1)
    assert re.sub(r"<[^>]+>", "", found.group(1)) == "重办前曾督办 1 次，重办后尚未督办"
    # the timeline keeps the 督办 and its opinion
    assert "请今天联系居民" in page
    # supervised again: the new opinion, and the earlier round in brackets
    await db.get(f"/console/slips/{slip.number}")
    await db.post(f"/console/slips/{slip.number}/actions/supervise", {"note": "重办也要抓紧"})
    _, page = await cg.get(f"/console/slips/{slip.number}")
    assert '<span class="badge urgent">督办</span>' in page.split("</h1>", 1)[0]
    found = re.search(r'<dd id="supervision">(.+?)</dd>', page)
    text = re.sub(r"<[^>]+>", "", found.group(1)) if found else ""
    assert text.endswith("：重办也要抓紧（重办前另督办 1 次）"), text


async def test_a_slip_without_a_place_says_so_for_the_handler(
    client: TestClient, people: None, browsers: NewBrowser
) -> None:
    """A resident who could not say where (the chat filed it as 待核实): the page said "—",
    as if nothing were missing."""
    slip = await issue_slip(client, "路灯坏了三天了，晚上很黑", location_text=None)
    assert slip.location_text is None
    cg = await signed_in(browsers, client, "cg")
    _, page = await cg.get(f"/console/slips/{slip.number}")
    assert "<dt>地点</dt><dd>未提供（居民没有说清或不需要地点；需要时请与居民核实）" in page


async def test_a_problem_that_came_back_names_the_earlier_slip(
    client: TestClient, people: None, browsers: NewBrowser
) -> None:
    """The same resident's slip, done lately, that a new one repeats (bot/slips/similar.py)."""
    from bot.slips.actor import Actor

    admin = Actor(kind="staff", id="0", name="管理员", role="admin")
    first = await issue_slip(client, "我们小区垃圾好几天没人收了，臭得很")
    service = client.server.app[app_keys.SLIP_SERVICE]
    await service.act(first.number, "sign", admin)
    await service.act(first.number, "close", admin, data={"result": "已清运"})
    again = await issue_slip(client, "楼下的垃圾桶又满了 没人收")
    cg = await signed_in(browsers, client, "cg")
    _, page = await cg.get(f"/console/slips/{again.number}")
    shown = re.search(r'<dd id="earlier">(.*?)</dd>', page, re.S)
    assert shown and f'href="/console/slips/{first.number}"' in shown.group(1)
    assert "问题可能又出现了" in shown.group(1)
    _, page = await cg.get(f"/console/slips/{first.number}")
    assert 'id="earlier"' not in page
    # the handler's workbench marks it too, without opening it
    _, page = await cg.get("/console")
    row = next(r for r in page.split("<tr>") if again.number in r)
    assert '<span class="badge again"' in row and "再次反映" in row and first.number in row


async def test_a_followup_telling_of_a_danger_raises_the_slip_in_the_running_app(
    client: TestClient,
) -> None:
    """The app's triage (handlers/conversation.py ShippedTriage) answers what the slip service
    asks besides classify: it lacked urgency_of, so "楼下起火了" added to an open slip left it
    一般 everywhere but in tests that used the Triage itself."""
    from bot.slips.actor import Actor

    slip = await issue_slip(client, "我们小区垃圾好几天没人收了，臭得很")
    service = client.server.app[app_keys.SLIP_SERVICE]
    resident = Actor.resident("oResident0000000000000001")
    view = await service.act(slip.number, "followup", resident, note="快来人，楼下垃圾堆起火了")
    assert view.urgency == "特急"
