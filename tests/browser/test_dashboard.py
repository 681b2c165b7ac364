"""The dashboard and the public page in headless Chromium: the charts are drawn (SVG marks
present), the phone layout does not overflow, numbers do not wrap. Screenshots go to
/tmp/minyi-stats-shots/ for a look."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from handlers.console import keys
from tests.conftest import make_settings
from tests.handlers.staff_app import FAST_PASSWORDS, PASSWORD
from tests.handlers.stats_app import stats_app

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path("/tmp/minyi-stats-shots")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
MARCH = "from=2026-03-01&to=2026-03-31"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} not installed"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
async def base(sqlite_url: str) -> AsyncIterator[str]:
    settings = make_settings(**{"database.url": sqlite_url, "redis.url": "memory://",
                                "console.cookie_secure": False})
    app = stats_app(settings)
    runner = web.AppRunner(app)
    await runner.setup()
    port = _free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    directory = app[keys.STAFF]
    directory.passwords = FAST_PASSWORDS
    await directory.create_user("leader", password=PASSWORD, role="supervisor",
                                display_name="张督办")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.fixture
async def browser():
    SHOTS.mkdir(exist_ok=True)  # noqa: ASYNC240 - once, before the browser starts
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


async def test_dashboard_draws_its_charts(base: str, browser) -> None:
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(f"{base}/console/login")
    await page.fill("input[name=username]", "leader")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/console/workbench")
    await page.click("a[href='/console/dashboard']")
    await page.goto(f"{base}/console/dashboard?{MARCH}&period=week")
    # four weeks (from Monday 23 Feb); a rate without a denominator leaves a gap: 2 + 4 + 0 + 1
    # points, and lines only where two points meet (响应率, 按时办结率 from 23 Feb to 2 Mar)
    assert await page.locator("#chart-received svg rect.bar").count() == 4
    assert await page.locator("#chart-rates svg circle.point").count() == 7
    assert await page.locator("#chart-rates svg polyline.line").count() == 2
    assert await page.locator("#chart-ranking svg rect.bar").count() == 3
    assert await page.locator("#chart-categories svg path.slice").count() == 2
    # the bars have a real size on screen
    box = await page.locator("#chart-ranking svg rect.bar").first.bounding_box()
    assert box and box["width"] > 20 and box["height"] > 5
    await page.screenshot(path=str(SHOTS / "dashboard.png"), full_page=True)
    await page.goto(f"{base}/console/dashboard/clusters?{MARCH}&all=1")
    assert await page.locator("#clusters tbody tr").count() == 2
    await page.screenshot(path=str(SHOTS / "clusters.png"), full_page=True)
    # reversed dates: said beside the field, the dates kept as typed, no list
    await page.goto(f"{base}/console/dashboard/clusters?from=2026-04-01&to=2026-03-01&all=1")
    assert await page.locator(".field-error[data-field=from]").inner_text() == "开始日期不能晚于结束日期"
    assert await page.locator("#c-from").input_value() == "2026-04-01"
    assert await page.locator("#clusters").count() == 0
    await page.screenshot(path=str(SHOTS / "clusters-bad-filter.png"), full_page=True)
    assert errors == []


async def test_public_page_on_a_phone(base: str, browser) -> None:
    page = await browser.new_page(viewport={"width": 390, "height": 844},
                                  device_scale_factor=2, is_mobile=True)
    await page.goto(f"{base}/public/?period=2026-03")
    assert await page.locator("svg polyline.line").count() == 3
    assert await page.locator("svg rect.bar").count() == 2
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the phone"
    # every figure value sits on one line
    heights = await page.locator(".figure .value").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().height / "
        "parseFloat(getComputedStyle(e).lineHeight))")
    assert heights and max(heights) < 1.5, heights
    lang = await page.evaluate("document.documentElement.lang")
    assert lang == "zh-CN"
    font = await page.evaluate("getComputedStyle(document.body).fontFamily")
    assert "Noto Sans CJK SC" in font
    await page.screenshot(path=str(SHOTS / "public-phone.png"), full_page=True)
    await page.goto(f"{base}/public/slips?status=closed")
    assert await page.locator("ul.slips li").count() >= 5
    await page.screenshot(path=str(SHOTS / "public-slips-phone.png"), full_page=True)
