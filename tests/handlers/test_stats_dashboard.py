"""The console dashboard over HTTP: login, scope (handlers see their own department only),
figures, charts, CSV and XLSX exports, definitions, hot issues and their bulk close."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, quote, unquote, urlsplit
from xml.etree import ElementTree as ET

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select, update

from bot.config import Settings
from bot.outbox.models import OutboxRow
from bot.slips.models import Slip, SlipEvent
from handlers import keys as app_keys
from tests.bot.stats.dataset import A, B, mark_urgent, said
from tests.conftest import make_settings
from tests.handlers.staff_app import FAST_PASSWORDS, Browser, add_member, staff_of
from tests.handlers.stats_app import stats_app

MARCH = "from=2026-03-01&to=2026-03-31"


@pytest.fixture
def settings(sqlite_url: str) -> Settings:
    return make_settings(**{"database.url": sqlite_url, "redis.url": "memory://",
                            "console.cookie_secure": False})


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(stats_app(settings))) as c:
        staff_of(c).passwords = FAST_PASSWORDS
        yield c


async def signed_in(client: TestClient, role: str, department: str | None = None) -> Browser:
    name = f"{role}{department or ''}".lower().replace("-", "")
    await add_member(client, name, role, department)
    browser = Browser.of(client)
    response, _ = await browser.login(name)
    assert response.status == 303
    return browser


def cells(html: str, label: str) -> list[str]:
    """The cells of the table row whose first cell is `label`."""
    row = re.search(rf"<tr[^>]*>\s*<td>{re.escape(label)}</td>(.*?)</tr>", html, re.S)
    assert row, f"no row {label}"
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>",
                                                                  row.group(1), re.S)]


async def test_the_dashboard_needs_a_login(client: TestClient) -> None:
    response = await client.get("/console/dashboard", allow_redirects=False)
    assert response.status == 303 and "/console/login" in response.headers["Location"]
    response = await client.get("/console/dashboard/export.csv", allow_redirects=False)
    assert response.status == 303


async def test_a_supervisor_sees_every_department_with_charts(client: TestClient) -> None:
    browser = await signed_in(client, "supervisor")
    response, html = await browser.get(f"/console/dashboard?{MARCH}&period=week")
    assert response.status == 200
    # 受理 响应率 按时办结率 满意率 解决率 办结 超期 重办率 未评价 中位数
    assert cells(html, "区城市管理局") == ["5", "60.0%", "60.0%", "50.0%", "50.0%", "4", "1",
                                        "25.0%", "1", "2.5 天"]
    assert cells(html, "区住房城乡建委") == ["5", "75.0%", "100.0%", "100.0%", "0.0%", "2", "1",
                                         "0.0%", "1", "3.0 天"]
    assert cells(html, "（未派单）")[:4] == ["1", "0.0%", "0.0%", "—"]
    assert cells(html, "合计")[:5] == ["11", "60.0%", "62.5%", "60.0%", "40.0%"]
    for chart in ("chart-received", "chart-rates", "chart-ranking", "chart-categories"):
        section = re.search(rf'id="{chart}".*?</section>', html, re.S).group(0)
        assert "<svg" in section and ("<rect" in section or "<path" in section)
    assert "统计分析" in html and 'class="on">统计分析' in html.replace('href="/console/dashboard" ', "")
    # the hot-spot table: 观音桥街道 · 嘉陵一村社区 with 5 slips of the street's 6, 3 open, 2 overdue
    assert cells(html, "观音桥街道 · 嘉陵一村社区")[:4] == ["5", "6", "3", "2"]
    assert "响应率" in html and "未评价（居民没有回复、超期未评）不计入分母" in html


async def test_a_handler_sees_only_their_department(client: TestClient) -> None:
    browser = await signed_in(client, "handler", B)
    _, html = await browser.get(f"/console/dashboard?{MARCH}&department={A}")
    assert "区城市管理局" not in re.sub(r"<select.*?</select>", "", html, flags=re.S)
    assert cells(html, "合计")[:2] == ["5", "75.0%"]
    assert 'name="department"' not in html  # no department picker for a handler
    response, text = await browser.get(f"/console/dashboard/export.csv?{MARCH}"
                                       f"&department={A}")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert [r[0] for r in rows[1:]] == ["区住房城乡建委", "合计"]


async def test_csv_export(client: TestClient) -> None:
    browser = await signed_in(client, "dispatcher")
    response = await browser.session.get(browser.url(
        f"/console/dashboard/export.csv?{MARCH}&table=street"))
    assert response.status == 200 and response.content_type == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = await response.read()
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:5] == ["街镇", "受理量", "应签收", "按时签收", "响应率"]
    by_name = {r[0]: r for r in rows[1:]}
    assert by_name["观音桥街道"][1] == "6" and by_name["华新街街道"][1] == "4"
    assert by_name["合计"][1] == "11"
    header = rows[0]
    assert by_name["合计"][header.index("满意率")] == "60.0%"
    assert by_name["合计"][header.index("办理时长中位数（小时）")] == "60.0"


async def test_xlsx_export_is_a_workbook_with_a_sheet_per_table(client: TestClient) -> None:
    browser = await signed_in(client, "admin")
    response = await browser.session.get(browser.url(f"/console/dashboard/export.xlsx?{MARCH}"))
    assert response.status == 200
    book = zipfile.ZipFile(io.BytesIO(await response.read()))
    assert book.testzip() is None
    names = set(book.namelist())
    assert {"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/styles.xml",
            "xl/_rels/workbook.xml.rels", "xl/worksheets/sheet1.xml"} <= names
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    sheets = ET.fromstring(book.read("xl/workbook.xml")).findall("m:sheets/m:sheet", ns)
    assert [s.get("name") for s in sheets] == ["单位", "街镇", "类别", "趋势"]
    for part in names:
        if part.endswith(".xml") or part.endswith(".rels"):
            ET.fromstring(book.read(part))  # every part is well-formed XML
    sheet = ET.fromstring(book.read("xl/worksheets/sheet1.xml"))
    rows = sheet.findall("m:sheetData/m:row", ns)

    def row_values(row):
        out = []
        for c in row.findall("m:c", ns):
            text = c.find("m:is/m:t", ns)
            out.append(text.text if text is not None else float(c.find("m:v", ns).text))
        return out

    total = next(row_values(r) for r in rows if row_values(r)[0] == "合计")
    assert total[1] == 11.0 and total[4] == pytest.approx(0.6)  # 受理量, 响应率 as a number
    percent_cell = rows[-1].findall("m:c", ns)[4]
    assert percent_cell.get("s") == "2"  # the 0.0% style


async def test_definitions_page_and_bad_filters(client: TestClient) -> None:
    browser = await signed_in(client, "handler", A)
    response, html = await browser.get("/console/dashboard/definitions")
    assert response.status == 200
    for label in ("响应率", "解决率", "满意率", "按时办结率", "当前超期", "重办率",
                  "办理时长中位数", "未评价"):
        assert f"<dt>{label}</dt>" in html
    response, html = await browser.get("/console/dashboard?from=2026-04-01&to=2026-03-01")
    assert response.status == 400 and "开始日期不能晚于结束日期" in html
    response, _ = await browser.get("/console/dashboard?from=yesterday")
    assert response.status == 400


async def test_reversed_dates_are_explained_beside_the_date_fields_in_a_usable_form(
    client: TestClient,
) -> None:
    browser = await signed_in(client, "supervisor")
    response, html = await browser.get(
        "/console/dashboard?from=2026-04-01&to=2026-03-01&period=month&department=" + A
    )
    assert response.status == 400
    assert "筛选条件有误" not in html
    error = re.search(r'data-field="from">([^<]+)<', html)
    assert error and error.group(1) == "开始日期不能晚于结束日期"
    form = html[html.index('<form class="card dash-filters"'):]
    form = form[:form.index("</form>")]
    # what was typed stays, so it can be corrected; the other choices are kept too
    assert 'name="from" value="2026-04-01"' in form and 'name="to" value="2026-03-01"' in form
    assert '<option value="month" selected>' in form
    assert f'<option value="{A}" selected>' in form
    assert '<button type="submit">查看</button>' in form
    assert 'id="table-departments"' not in html  # no figures for a filter that makes no sense
    response, html = await browser.get(f"/console/dashboard?{MARCH}&period=month")
    assert response.status == 200 and 'data-field="from"' not in html
    assert 'id="table-departments"' in html


async def test_hot_issues_list(client: TestClient) -> None:
    browser = await signed_in(client, "supervisor")
    _, html = await browser.get(f"/console/dashboard/clusters?{MARCH}")
    # cluster 1 (three street-light slips) is all closed: only with "all"
    assert "华新街夜间施工噪声" in html and "建新北路路灯不亮" not in html
    assert cells(html, '<a href="/console/dashboard/clusters/2">华新街夜间施工噪声</a> '
                       '<span class="tag">环境保护</span>')[:3] == ["2", "1", "1"]
    _, html = await browser.get(f"/console/dashboard/clusters?{MARCH}&all=1")
    assert "建新北路路灯不亮" in html
    handler = await signed_in(client, "handler", B)
    _, html = await handler.get(f"/console/dashboard/clusters?{MARCH}&all=1")
    assert "华新街夜间施工噪声" not in html and "建新北路路灯不亮" not in html
    response, _ = await handler.get("/console/dashboard/clusters/2")
    assert response.status == 403


async def test_hot_issues_explain_a_bad_filter_beside_the_field_in_a_usable_form(
    client: TestClient,
) -> None:
    browser = await signed_in(client, "supervisor")
    response, html = await browser.get(
        "/console/dashboard/clusters?from=2026-04-01&to=2026-03-01&street=HXJ&all=1"
    )
    assert response.status == 400
    assert "筛选条件有误" not in html
    error = re.search(r'data-field="from">([^<]+)<', html)
    assert error and error.group(1) == "开始日期不能晚于结束日期"
    form = html[html.index('<form class="card dash-filters"'):]
    form = form[:form.index("</form>")]
    # what was typed stays, so it can be corrected; the other choices are kept too
    assert 'name="from" value="2026-04-01"' in form and 'name="to" value="2026-03-01"' in form
    assert '<option value="HXJ" selected>' in form
    assert 'name="all" value="1" checked' in form
    assert '<button type="submit">查看</button>' in form
    assert 'id="clusters"' not in html  # no list for a filter that makes no sense
    response, html = await browser.get("/console/dashboard/clusters?to=someday")
    assert response.status == 400
    assert re.search(r'data-field="to">日期格式应为 YYYY-MM-DD<', html)
    assert 'name="to" value="someday"' in html
    response, html = await browser.get(f"/console/dashboard/clusters?{MARCH}")
    assert response.status == 200 and 'data-field="from"' not in html
    assert 'id="clusters"' in html


async def test_bulk_close_of_a_cluster(client: TestClient) -> None:
    db = client.server.app[app_keys.DATABASE]
    async with db.session() as session:
        # cluster 2 (A's two noise slips) gets B's slip in progress and B's unsigned one
        await session.execute(update(Slip).where(Slip.number.in_(
            ["JB2026031800001", "JB2026031900001"])).values(cluster_id=2))
    handler = await signed_in(client, "handler", B)
    _, html = await handler.get("/console/dashboard/clusters/2")
    assert "另有 2 张由其他单位主办" in html and "JB2026031800001" in html
    assert "JB2026030400001" not in html  # A's slips are not shown to B
    response, html = await handler.post("/console/dashboard/clusters/2/close", {"result": ""})
    assert response.status == 400 and "请填写办理结果" in html
    result = "工地已调整夜间施工时间，22点后停止作业。"
    response, html = await handler.post("/console/dashboard/clusters/2/close",
                                        {"result": result})
    assert response.status == 200
    assert "集中办结了 1 张交办单" in html and "未签收，未办结" in html
    response, html = await handler.post("/console/dashboard/clusters/2/close",
                                        {"result": result, "sign": "1"})
    assert "集中办结了 1 张交办单" in html
    async with db.session() as session:
        rows = {r.number: r for r in (await session.execute(select(Slip).where(
            Slip.cluster_id == 2))).scalars()}
        closes = (await session.execute(select(SlipEvent.slip_id).where(
            SlipEvent.action == "close"))).scalars().all()
        notices = (await session.execute(select(OutboxRow))).scalars().all()
    for number in ("JB2026031800001", "JB2026031900001"):
        assert rows[number].status == "awaiting_survey" and rows[number].result == result
    assert rows["JB2026030500001"].status == "dispatched"  # A's: untouched
    assert rows["JB2026030400001"].status == "awaiting_survey"  # as it was
    assert sorted(closes) == sorted([rows["JB2026031800001"].id, rows["JB2026031900001"].id])
    assert notices, "the residents were told, through the outbox"


def attachment_name(response) -> str:
    """The file name a browser saves: RFC 6266 filename*=UTF-8''…, which outranks filename=."""
    header = response.headers["Content-Disposition"]
    assert header.startswith("attachment; ")
    found = re.search(r"filename\*=UTF-8''([^;\s]+)", header)
    assert found, header
    fallback = re.search(r'filename="([^"]*)"', header)
    assert fallback and fallback.group(1).isascii(), header  # for clients that know no filename*
    return unquote(found.group(1), errors="strict")


async def test_export_file_names_say_what_and_which_period(client: TestClient) -> None:
    browser = await signed_in(client, "supervisor")
    response = await browser.session.get(browser.url(f"/console/dashboard/export.xlsx?{MARCH}"))
    assert attachment_name(response) == "民意统计_2026-03-01_2026-03-31.xlsx"
    response = await browser.session.get(browser.url(
        f"/console/dashboard/export.csv?{MARCH}&table=street"))
    assert attachment_name(response) == "民意统计_各街镇_2026-03-01_2026-03-31.csv"
    response = await browser.session.get(browser.url(
        f"/console/dashboard/export.csv?{MARCH}&table=period&period=day"))
    assert attachment_name(response) == "民意统计_逐期按日_2026-03-01_2026-03-31.csv"
    assert 'filename="minyi-stats_trend-day_2026-03-01_2026-03-31.csv"' in \
        response.headers["Content-Disposition"]
    handler = await signed_in(client, "handler", B)
    response = await handler.session.get(handler.url(f"/console/dashboard/export.csv?{MARCH}"))
    assert attachment_name(response) == "民意统计_各单位_2026-03-01_2026-03-31_区住房城乡建委.csv"


async def test_exports_honour_the_filters(client: TestClient) -> None:
    browser = await signed_in(client, "supervisor")
    query = f"{MARCH}&street=HXJ&category={quote('环境保护')}&department={A}"
    response = await browser.session.get(browser.url(
        f"/console/dashboard/export.csv?{query}&table=department"))
    assert attachment_name(response) == (
        "民意统计_各单位_2026-03-01_2026-03-31_区城市管理局_华新街街道_环境保护.csv")
    rows = list(csv.reader(io.StringIO((await response.read()).decode("utf-8-sig"))))
    # A's two HXJ noise slips only, as on the page with these filters
    assert [(r[0], r[1]) for r in rows[1:]] == [("区城市管理局", "2"), ("合计", "2")]
    _, html = await browser.get(f"/console/dashboard?{query}")
    assert cells(html, "合计")[:1] == ["2"]
    # the export buttons submit the filter form itself, so they send what the form shows…
    form = html[html.index('<form class="card dash-filters"'):]
    form = form[:form.index("</form>")]
    assert 'formaction="/console/dashboard/export.xlsx"' in form
    assert 'formaction="/console/dashboard/export.csv" name="table" value="department"' in form
    # …and each table's own export carries the filters its figures were computed with
    links = re.findall(r'href="(/console/dashboard/export\.csv\?[^"]+)"', html)
    assert len(links) == 4
    for link in links:
        asked = parse_qs(urlsplit(link.replace("&amp;", "&")).query)
        assert asked["street"] == ["HXJ"] and asked["category"] == ["环境保护"]
        assert asked["department"] == [A] and asked["from"] == ["2026-03-01"]
    response = await browser.session.get(browser.url(
        f"/console/dashboard/export.csv?{query}&table=period&period=day"))
    rows = list(csv.reader(io.StringIO((await response.read()).decode("utf-8-sig"))))
    assert [r[1] for r in rows[1:]] == ["0", "0", "0", "1", "1"] + ["0"] * 15


async def test_the_daily_trend_has_every_day(client: TestClient) -> None:
    browser = await signed_in(client, "supervisor")
    _, html = await browser.get(f"/console/dashboard?{MARCH}&period=day")
    trend = html[html.index('id="table-trend"'):]
    days = re.findall(r"<td>(2026-03-\d\d)</td>", trend)
    assert days == [f"2026-03-{d:02d}" for d in range(1, 21)]  # up to "now", the 20th
    assert cells(trend, "2026-03-09")[:3] == ["0", "—", "—"]
    chart = html[html.index('id="chart-received"'):]
    chart = chart[:chart.index("</section>")]
    # drawn twice, for a wide screen and for a phone: a column per day in each
    wide, narrow = chart.split('<div class="chart-narrow">')
    assert wide.count('class="bar"') == narrow.count('class="bar"') == 20


async def test_a_week_the_range_cuts_is_marked_in_the_chart_and_the_table(
    client: TestClient,
) -> None:
    """March 1 is a Sunday and "now" is Friday the 20th: the first and last weeks hold one and
    five days; their bars looked like two bad weeks."""
    browser = await signed_in(client, "supervisor")
    _, html = await browser.get(f"/console/dashboard?{MARCH}&period=week")
    trend = html[html.index('id="table-trend"'):]
    assert cells(trend, "2026-02-23（不满一周：03-01 至 03-01）")[0] == "1"
    assert cells(trend, "2026-03-16（不满一周：03-16 至 03-20）")[0] == "2"
    assert cells(trend, "2026-03-09")[0] == "1"  # a whole week keeps its plain label
    chart = html[html.index('id="chart-received"'):]
    chart = chart[:chart.index("</section>")]
    assert "02-23*" in chart and "03-16*" in chart and "03-09*" not in chart
    assert "带 * 的一期不满一周" in chart
    _, whole = await browser.get("/console/dashboard?from=2026-03-02&to=2026-03-15&period=week")
    assert "带 * 的一期" not in whole and "不满一周" not in whole


@pytest.fixture(params=["sqlite", "postgres"])
def any_settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    if request.param == "sqlite":
        return settings
    return make_settings(**{"database.url": request.getfixturevalue("pg_url"),
                            "redis.url": "memory://", "console.cookie_secure": False})


@pytest.fixture
async def any_client(any_settings: Settings) -> AsyncIterator[TestClient]:
    """The dashboard on SQLite and on PostgreSQL."""
    async with TestClient(TestServer(stats_app(any_settings))) as c:
        staff_of(c).passwords = FAST_PASSWORDS
        yield c


def emergency(html: str, urgency: str) -> dict[str, str]:
    tile = re.search(rf'<div class="figure emergency[^"]*" data-urgency="{urgency}">(.*?)'
                     r"\n  </div>", html, re.S)
    assert tile, f"no {urgency} tile"
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", tile.group(1))).strip()
    links = {m.group(1): m.group(2).replace("&amp;", "&") for m in re.finditer(
        r'<a class="(open-count|received-count)[^"]*" href="([^"]+)"', tile.group(1))}
    return {"text": text, "alert": " alert" in tile.group(0)[:60], **links}


async def test_leaders_see_the_emergencies_and_reach_the_slips(any_client: TestClient) -> None:
    await mark_urgent(any_client.server.app[app_keys.DATABASE])
    browser = await signed_in(any_client, "supervisor")
    response, html = await browser.get(f"/console/dashboard?{MARCH}")
    assert response.status == 200
    top = emergency(html, "特急")
    assert top["text"] == "特急 · 仍在办理 3 超过签收时限未签收 2 期内受理 3（未按时签收 2）"
    assert top["alert"]
    assert emergency(html, "紧急")["text"] == (
        "紧急 · 仍在办理 1 超过签收时限未签收 1 期内受理 3（未按时签收 2）")
    # the open count leads to the list of those very slips
    assert parse_qs(urlsplit(top["open-count"]).query) == {"urgency": ["特急"],
                                                            "status": ["open"]}
    _, listed = await browser.get(top["open-count"])
    assert sorted(set(re.findall(r'href="/console/slips/(JB\d+)"', listed))) == [
        "JB2026030100001", "JB2026030500001", "JB2026031800001"]
    _, listed = await browser.get(top["received-count"])
    assert len(set(re.findall(r'href="/console/slips/(JB\d+)"', listed))) == 3
    # the urgency filter narrows the whole page, and the exports with it
    response, html = await browser.get(f"/console/dashboard?{MARCH}&urgency={quote('紧急')}")
    assert response.status == 200 and cells(html, "合计")[:1] == ["3"]
    assert 'data-urgency="特急"' not in html and 'data-urgency="紧急"' in html
    assert "<option selected>紧急</option>" in html
    links = re.findall(r'href="(/console/dashboard/export\.csv\?[^"]+)"', html)
    assert all(parse_qs(urlsplit(link.replace("&amp;", "&")).query)["urgency"] == ["紧急"]
               for link in links)
    clusters = re.search(r'href="/console/dashboard/clusters\?([^"]*)"', html).group(1)
    assert "urgency" not in clusters  # hot issues have no urgency filter
    response = await browser.session.get(browser.url(
        f"/console/dashboard/export.csv?{MARCH}&urgency={quote('紧急')}&table=street"))
    assert attachment_name(response) == "民意统计_各街镇_2026-03-01_2026-03-31_紧急.csv"
    _, html = await browser.get(f"/console/dashboard?{MARCH}&urgency={quote('一般')}")
    assert 'id="emergencies"' not in html and cells(html, "合计")[:1] == ["5"]


async def test_a_handler_sees_their_departments_emergencies(client: TestClient) -> None:
    await mark_urgent(client.server.app[app_keys.DATABASE])
    browser = await signed_in(client, "handler", A)
    _, html = await browser.get(f"/console/dashboard?{MARCH}&department={B}")
    assert emergency(html, "特急")["text"].startswith("特急 · 仍在办理 1 超过签收时限未签收 1")
    link = emergency(html, "特急")["open-count"]
    assert parse_qs(urlsplit(link).query)["department"] == [A]
    _, listed = await browser.get(link)
    assert set(re.findall(r'href="/console/slips/(JB\d+)"', listed)) == {"JB2026030500001"}


async def test_an_unknown_urgency_is_explained_beside_its_field(client: TestClient) -> None:
    browser = await signed_in(client, "supervisor")
    response, html = await browser.get(f"/console/dashboard?{MARCH}&urgency=x&department={A}")
    assert response.status == 400
    assert re.search(r'data-field="urgency">紧急程度应为特急、紧急、一般之一<', html)
    assert f'<option value="{A}" selected>' in html and 'id="emergencies"' not in html


async def test_leaders_read_what_residents_said_with_their_ratings(client: TestClient) -> None:
    """群众评价原话: the words said with a rating, each with its slip; a handler sees only those
    about their own department's handling."""
    db = client.server.app[app_keys.DATABASE]
    await said(db, "JB2026030700001", "还是坏的，<b>根本</b>没人来")  # A, 不满意
    await said(db, "JB2026030800001", "师傅态度很好")  # B, 满意
    browser = await signed_in(client, "supervisor")
    _, html = await browser.get(f"/console/dashboard?{MARCH}")
    section = re.search(r'id="survey-words".*?</section>', html, re.S).group(0)
    assert section.index("师傅态度很好") < section.index("还是坏的")  # newest first
    assert "&lt;b&gt;根本&lt;/b&gt;" in section  # a resident's words are text, never HTML
    assert 'href="/console/slips/JB2026030700001"' in section and "不满意" in section
    handler = await signed_in(client, "handler", B)
    _, html = await handler.get(f"/console/dashboard?{MARCH}")
    section = re.search(r'id="survey-words".*?</section>', html, re.S).group(0)
    assert "师傅态度很好" in section and "还是坏的" not in section
