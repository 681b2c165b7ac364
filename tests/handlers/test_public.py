"""/public: figures by department and period, anonymised slips, definitions, the cache, and
that no personal detail ever reaches a public page (both backends)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.config import Settings
from bot.slips.actor import Actor
from bot.slips.models import Slip
from handlers import keys as app_keys
from handlers.public.keys import STATS
from tests.bot.stats.dataset import SECRETS, A
from tests.handlers.stats_app import stats_app


@pytest.fixture
async def client(backend_settings: Settings) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(stats_app(backend_settings))) as c:
        yield c


async def page(client: TestClient, path: str, status: int = 200) -> str:
    response = await client.get(path)
    text = await response.text()
    assert response.status == status, text[:500]
    return text


_DATES = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:[+-]\d{2}:\d{2})?)?")
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d(?:[\s-]?\d){8}(?!\d)")


def assert_no_secrets(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} leaked"
    # no mobile number in any spelling, and no long digit run but slip numbers
    rest = _DATES.sub(" ", re.sub(r"JB\d{13}", " ", text))
    assert not _MOBILE.search(rest), _MOBILE.search(rest)
    assert not re.search(r"\d{9,}", rest), re.search(r"\d{9,}", rest)


async def test_overview_shows_the_month_figures_and_charts(client: TestClient) -> None:
    html = await page(client, "/public/?period=2026-03")
    assert '<html lang="zh-CN">' in html
    assert "2026年3月总体情况" in html
    # March: 6 of 10 signed on time, 5 of 8 closed on time, 3 of 5 answers satisfied
    assert "60.0%" in html and "62.5%" in html
    assert ">6/10<" in html and ">5/8<" in html and ">3/5<" in html
    assert html.count("<svg") >= 2 and "<polyline" in html and 'class="bar"' in html
    assert "区城市管理局" in html and "区住房城乡建委" in html
    assert "<script" not in html


async def test_the_default_period_is_the_current_month(client: TestClient) -> None:
    html = await page(client, "/public/")
    assert '<option value="2026-03" selected>2026年3月</option>' in html


async def test_a_bad_period_is_refused(client: TestClient) -> None:
    await page(client, "/public/?period=march", status=400)
    await page(client, "/public/?period=2099-01", status=400)


async def test_slips_are_listed_anonymised(client: TestClient) -> None:
    html = await page(client, "/public/slips?status=closed")
    assert "JB2026030200001" in html
    assert "已联系某先生，电话***，*栋*单元*室的路灯已修复。" in html
    assert "建新北路*号门前井盖已更换，联系电话***。" in html
    # withdrawn slips are not published
    assert "JB2026031000001" not in html
    assert_no_secrets(html)


async def test_a_room_number_in_a_result_is_not_published(client: TestClient) -> None:
    result = "已联系居民张建国先生（电话13700002222），建新西路5号2单元301门口的积水已清理。"
    async with client.server.app[app_keys.DATABASE].session() as session:
        await session.execute(Slip.__table__.update()
                              .where(Slip.number == "JB2026030200001").values(result=result))
    client.server.app[STATS].public_cache.clear()
    public = "已联系居民某先生（电话***），建新西路*号*单元*门口的积水已清理。"
    html = await page(client, "/public/slips/JB2026030200001")
    assert public in html and "301" not in html
    response = await client.get("/open311/v2/requests/JB2026030200001.json")
    assert response.status == 200
    (one,) = await response.json()
    assert one["status_notes"] == public


async def test_one_slip_page(client: TestClient) -> None:
    html = await page(client, "/public/slips/JB2026030700001")
    assert "观音桥街道" in html and "区城市管理局" in html and "不满意" in html
    assert "2026-03-07 09:00" in html
    assert_no_secrets(html)
    await page(client, "/public/slips/JB2026031000001", status=404)  # withdrawn
    await page(client, "/public/slips/JB2099010100001", status=404)


@pytest.mark.parametrize("path", ["/public/xyz", "/public/slips/not-a-number", "/public/a/b/"])
async def test_an_unknown_address_is_the_sites_own_not_found_page(
    client: TestClient, path: str
) -> None:
    response = await client.get(path)
    html = await response.text()
    assert response.status == 404
    assert response.content_type == "text/html"
    assert "没有找到这个页面" in html and 'href="/public/"' in html
    assert "Not Found" not in html
    assert "Content-Security-Policy" in response.headers


async def test_filters_keep_to_the_listed_values(client: TestClient) -> None:
    html = await page(client, "/public/slips?category=环境保护&street=HXJ")
    numbers = set(re.findall(r'class="no" href="/public/slips/(JB\d+)"', html))
    assert numbers == {"JB2026030400001", "JB2026030500001", "JB2026030600001",
                       "JB2026030800001"}
    # unknown values are ignored rather than passed on
    html = await page(client, "/public/slips?category=<script>&street=x&page=abc")
    assert "<script>" not in html


async def test_reports_and_protected_classes_are_not_published(client: TestClient) -> None:
    db = client.server.app[app_keys.DATABASE]
    async with db.session() as session:
        for number, category, rtype, urgency in (
                ("JB2026031100001", "纪检监察", "举报", "一般"),
                ("JB2026031100002", "城乡建设", "举报", "一般"),
                ("JB2026031100003", "政法", "求助", "一般"),
                # someone on a roof: a person in danger is never listed
                ("JB2026031100004", "城乡建设", "求助", "特急")):
            slip = (await session.execute(
                Slip.__table__.select().where(Slip.number == "JB2026030200001"))).first()
            values = {k: v for k, v in slip._mapping.items() if k not in ("id", "number",
                                                                          "idempotency_key")}
            values.update(number=number, category_top=category, request_type=rtype,
                          urgency=urgency)
            await session.execute(Slip.__table__.insert().values(**values))
    client.server.app[STATS].public_cache.clear()
    html = await page(client, "/public/slips")
    assert "JB2026031100001" not in html and "JB2026031100002" not in html
    assert "JB2026031100003" not in html and "JB2026031100004" not in html
    await page(client, "/public/slips/JB2026031100002", status=404)
    await page(client, "/public/slips/JB2026031100004", status=404)
    # they still count in the figures
    total = await client.server.app[STATS].stats.total(
        __import__("bot.stats.filters", fromlist=["StatsFilter"]).StatsFilter())
    assert total.received == 16


async def test_figures_are_cached_for_a_few_minutes(client: TestClient) -> None:
    before = await page(client, "/public/?period=2026-03")
    db = client.server.app[app_keys.DATABASE]
    async with db.session() as session:
        await session.execute(Slip.__table__.update().where(Slip.lead_department == A)
                              .values(lead_department="D-STHJ"))
    assert await page(client, "/public/?period=2026-03") == before
    client.server.app[STATS].public_cache.clear()
    after = await page(client, "/public/?period=2026-03")
    assert "区生态环境局" in after and after != before


async def test_no_public_page_shows_a_personal_detail(client: TestClient) -> None:
    paths = ["/public/", "/public/?period=2026-03", "/public/?period=2026-02",
             "/public/?period=2026", "/public/slips", "/public/slips?status=closed",
             "/public/slips?status=open", "/public/definitions"]
    html = await page(client, "/public/slips")
    paths += [f"/public/slips/{n}" for n in set(re.findall(r"/public/slips/(JB\d+)", html))]
    for path in paths:
        assert_no_secrets(await page(client, path))


async def test_typography_for_phones(client: TestClient) -> None:
    html = await page(client, "/public/?period=2026-03")
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in html
    css_path = re.search(r'href="(/public/static/public\.css\?v=\w+)"', html).group(1)
    css = await page(client, css_path)
    assert "Noto Sans CJK SC" in css and "PingFang SC" in css
    assert "line-height: 1.75" in css and "line-break: strict" in css
    assert ".num, time, .no { white-space: nowrap" in css
    # every figure on the page is wrapped so that it never breaks mid-number
    assert '<div class="value num">60.0%</div>' in html


async def test_a_closed_slip_shows_on_every_page_at_once(client: TestClient) -> None:
    """The front page cached before a slip is closed does not keep counting it open while the
    slip's own page (first asked for afterwards) already says 已办结."""
    app = client.server.app
    app[STATS].public_cache.check_every = 0  # the watermark is read on every request here
    before = await page(client, "/public/?period=2026-03")
    assert '已办结 <span class="num">6</span> 件' in before
    admin = Actor(kind="staff", id="1", name="管理员", role="admin")
    await app[app_keys.SLIP_SERVICE].act("JB2026031800001", "close", admin,
                                         data={"result": "施工噪声已处理。"})
    assert "待评价" in await page(client, "/public/slips/JB2026031800001")  # closed, awaiting survey
    after = await page(client, "/public/?period=2026-03")
    assert '已办结 <span class="num">7</span> 件' in after
    assert "JB2026031800001" in after  # among the latest closed


async def test_pages_without_a_change_stay_cached(client: TestClient) -> None:
    """Without a new slip event the watermark stays, and the cached page is served."""
    app = client.server.app
    app[STATS].public_cache.check_every = 0
    before = await page(client, "/public/slips?status=closed")
    async with app[app_keys.DATABASE].session() as session:
        await session.execute(Slip.__table__.update().where(Slip.number == "JB2026031800001")
                              .values(status="rated"))
    assert await page(client, "/public/slips?status=closed") == before


async def test_pages_say_how_fresh_they_are_and_browsers_keep_them_no_longer(
    client: TestClient,
) -> None:
    from bot.stats.services import PUBLIC_CHECK

    response = await client.get("/public/")
    assert response.status == 200
    # a browser holding a page longer than the pages take to move together would show an
    # old page beside a new one
    assert response.headers["Cache-Control"] == f"public, max-age={int(PUBLIC_CHECK)}"
    footer = await response.text()
    assert f'一般在 <span class="num">{int(PUBLIC_CHECK)}</span> 秒内更新' in footer
    assert "危及人身安全的紧急求助" in footer


async def test_the_unrated_count_stands_with_the_satisfaction_rate(client: TestClient) -> None:
    """It sat under the median handling time, a figure it has nothing to do with."""
    html = await page(client, "/public/?period=2026-03")
    satisfaction = re.search(r'<div class="label">满意率</div>.*?</div></div>', html).group(0)
    assert "未评价" in satisfaction
    median = re.search(r'<div class="label">办理时长中位数</div>.*?</div></div>', html).group(0)
    assert "未评价" not in median


async def test_the_twelve_month_trend_has_every_month_and_no_future(client: TestClient) -> None:
    """Months without slips are on the axis (a gap in the lines, not skipped), so that '2月'
    and '3月' sit where they belong among the twelve months."""
    html = await page(client, "/public/?period=2026-03")
    chart = html[html.index('id="h-trend"'):]
    chart = chart[:chart.index("</svg>")]
    months = re.findall(r'text-anchor="middle" fill="#8a94a0" font-size="12">([^<]+)<', chart)
    assert months == ["6月", "9月", "12月", "3月"]  # every third month, ending with March
    # each rate's points: February and March only (no slips in the ten months before)
    points = re.findall(r'class="point"[^>]*><title>([^<]+)</title>', chart)
    assert sorted(points) == sorted(f"{name} {month}：{value}" for name, month, value in [
        ("满意率", "2月", "100%"), ("满意率", "3月", "60%"),
        ("按时办结率", "2月", "100%"), ("按时办结率", "3月", "62%"),
        ("响应率", "2月", "100%"), ("响应率", "3月", "60%")])
    # in a year's view of last year, all twelve months are there
    html = await page(client, "/public/?period=2025")
    chart = html[html.index('id="h-trend"'):]
    chart = chart[:chart.index("</svg>")]
    months = re.findall(r'text-anchor="middle" fill="#8a94a0" font-size="12">([^<]+)<', chart)
    assert months == ["3月", "6月", "9月", "12月"]
