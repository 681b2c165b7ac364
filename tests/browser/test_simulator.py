"""The simulated phone, as a person at the demo sees it."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from tests.browser.conftest import Server


async def test_the_phone_keeps_china_time_wherever_the_viewer_is(server: Server, browser) -> None:  # type: ignore[no-untyped-def]
    # a viewer in New York: the chat's times must agree with the bot's ("23:59前联系您")
    phone = await browser.new_context(viewport={"width": 420, "height": 800},
                                      timezone_id="America/New_York")
    chat = await phone.new_page()
    errors: list[str] = []
    chat.on("pageerror", lambda exc: errors.append(str(exc)))
    await chat.goto(f"{server.base}/simulator/")
    await chat.fill("#text", "你好")
    await chat.click("#send")
    await chat.locator(".row.account .bubble").first.wait_for()
    shown = await chat.locator(".time").first.text_content()
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    match = re.fullmatch(r"(\d+)月(\d+)日 (\d{2}):(\d{2})", (shown or "").strip())
    assert match, shown
    month, day, hour, minute = map(int, match.groups())
    shown_at = now.replace(month=month, day=day, hour=hour, minute=minute, second=0,
                           microsecond=0)
    assert abs((now - shown_at).total_seconds()) < 180, (shown, now)
    assert errors == []
    await phone.close()
