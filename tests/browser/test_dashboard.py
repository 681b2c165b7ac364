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
    # each chart is drawn twice; on a wide screen the wide one shows, the phone's is hidden
    assert await page.locator("#chart-received .chart-wide svg rect.bar").count() == 4
    assert await page.locator("#chart-rates .chart-wide svg .point").count() == 7
    assert await page.locator("#chart-rates .chart-wide svg polyline.line").count() == 2
    assert await page.locator("#chart-ranking .chart-wide svg rect.bar").count() == 3
    assert await page.locator("#chart-categories .chart-wide svg path.slice").count() == 2
    assert await page.locator(".chart-narrow svg").first.is_hidden()
    # the bars have a real size on screen
    box = await page.locator("#chart-ranking .chart-wide svg rect.bar").first.bounding_box()
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
    # the charts drawn for a phone show, the wide ones are hidden
    assert await page.locator(".chart-narrow svg polyline.line").count() == 3
    assert await page.locator(".chart-narrow svg rect.bar").count() == 2
    assert await page.locator(".chart-wide svg").first.is_hidden()
    # their text reads at 10 px or more (drawn wide and shrunk, it was 8-9 px)
    sizes = await page.locator(".chart-narrow svg text").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().height)")
    assert sizes and min(sizes) >= 10, sizes
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


NO_OVERFLOW = "document.documentElement.scrollWidth <= innerWidth"
# [page width, viewport width, [(scroll box width, table width)], [nav link right edges], nav rows]
LAYOUT = """() => {
  const boxes = [...document.querySelectorAll('.scroll, .table-wrap')].map(
    b => [b.getBoundingClientRect().right, b.clientWidth, b.scrollWidth]);
  const links = [...document.querySelectorAll('.topbar .nav a, header.site nav a')];
  const rights = links.map(a => a.getBoundingClientRect().right);
  const rows = new Set(links.map(a => Math.round(a.getBoundingClientRect().top))).size;
  return {page: document.documentElement.scrollWidth, view: innerWidth, boxes, rights, rows};
}"""


async def _login(page, base: str) -> None:
    await page.goto(f"{base}/console/login")
    await page.fill("input[name=username]", "leader")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/console/workbench")


@pytest.mark.parametrize("width", [390, 1280])
async def test_tables_and_menus_fit_a_phone_and_a_desktop(base: str, browser, width: int) -> None:
    """At 390 px no table makes the page wider than the phone: a wide table scrolls sideways
    in its own box, and the menu wraps onto another line instead of running off the screen.
    At 1280 px the tables fit their boxes and the menu is one row."""
    phone = width < 500
    context = await browser.new_context(
        viewport={"width": width, "height": 844 if phone else 900},
        device_scale_factor=2 if phone else 1, is_mobile=phone)
    page = await context.new_page()
    await _login(page, base)
    pages = {
        "dashboard-day": f"/console/dashboard?{MARCH}&period=day",
        "clusters": f"/console/dashboard/clusters?{MARCH}&all=1",
        "public": "/public/?period=2026-03",
        "public-slips": "/public/slips?status=closed",
    }
    for name, path in pages.items():
        await page.goto(base + path)
        await page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
        assert await page.evaluate(NO_OVERFLOW), f"{name} is wider than {width}px"
        layout = await page.evaluate(LAYOUT)
        assert layout["page"] <= layout["view"], (name, layout)
        for right, inner, content in layout["boxes"]:
            assert right <= width + 0.5, (name, layout)  # the box itself stays on screen
            if not phone:
                assert content <= inner + 1, (name, layout)  # nothing to scroll on a desktop
        assert all(right <= width + 0.5 for right in layout["rights"]), (name, layout)
        if not phone:
            assert layout["rows"] == 1, (name, layout)
    # on the phone the figures' tables are wider than the screen: they scroll in their box,
    # the first column (what a row is about) staying in view
    await page.goto(f"{base}/console/dashboard?{MARCH}&period=week")
    box = page.locator("#table-departments .scroll")
    inner, content = await box.evaluate("b => [b.clientWidth, b.scrollWidth]")
    if phone:
        assert content > inner
        await box.evaluate("b => { b.scrollLeft = b.scrollWidth; }")
        first = await page.locator("#table-departments td").first.bounding_box()
        held = await box.bounding_box()
        assert first and held and abs(first["x"] - held["x"]) < 2  # the sticky first column
        assert await page.evaluate(NO_OVERFLOW)
        await page.screenshot(path=str(SHOTS / f"dashboard-scrolled-{width}.png"),
                              full_page=True)
    else:
        assert content <= inner + 1
    await context.close()


@pytest.mark.parametrize("width", [390, 1280])
async def test_the_emergencies_on_a_phone_and_a_desktop(base: str, browser, sqlite_url: str,
                                                        width: int) -> None:
    """特急 and 紧急 near the top: each count on one line, nothing wider than the screen, and
    the open count opens the list of those slips."""
    from bot.storage import Database
    from tests.bot.stats.dataset import mark_urgent

    db = Database.open(sqlite_url)
    await mark_urgent(db)
    await db.close()
    phone = width < 500
    context = await browser.new_context(
        viewport={"width": width, "height": 844 if phone else 900},
        device_scale_factor=2 if phone else 1, is_mobile=phone)
    page = await context.new_page()
    await _login(page, base)
    await page.goto(f"{base}/console/dashboard?{MARCH}&period=week")
    tiles = page.locator("#emergencies .figure.emergency")
    assert await tiles.count() == 2
    assert (await tiles.first.inner_text()).startswith("特急 · 仍在办理\n3")
    heights = await page.locator("#emergencies .value").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().height / "
        "parseFloat(getComputedStyle(e).lineHeight))")
    assert max(heights) < 1.5, heights
    assert await page.evaluate(NO_OVERFLOW)
    for tile in await tiles.all():
        box = await tile.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5
    await page.screenshot(path=str(SHOTS / f"dashboard-emergencies-{width}.png"),
                          full_page=True)
    await page.locator("#emergencies").screenshot(
        path=str(SHOTS / f"dashboard-emergencies-tiles-{width}.png"))
    await tiles.first.locator("a.open-count").click()
    await page.wait_for_url("**/console/slips?*")
    assert await page.locator("table.list tbody tr").count() == 3
    await context.close()
