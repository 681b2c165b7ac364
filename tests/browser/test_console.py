"""The console in Chromium: a resident's complaint through the simulated WeChat reaches a
handler, whose reply reaches the resident's chat; hostile text stays text; another
department's handler is kept out. Screenshots go to /tmp/minyi-console-shots/."""

from __future__ import annotations

import asyncio
import re

import aiohttp
import pytest

from bot.media.fetcher import copies_of
from bot.slips.views import SlipDraft
from handlers import keys as app_keys
from handlers.console import keys
from tests.browser.conftest import SHOTS, Server
from tests.handlers.staff_app import PASSWORD, triage_for

pytestmark = pytest.mark.browser

RESIDENT = "oBrowserResident000000000001"
COMPLAINT = "建新北路12号门口的路灯坏了三天了，晚上很黑，老人出门不方便"
REPLY = "您好，师傅明天上午来修路灯，修好后再告诉您。"
HOSTILE = '<script>document.title="pwned";alert(1)</script><img src=x onerror="alert(2)">井盖丢了'
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


async def _people(server: Server) -> None:
    staff = server.app[keys.STAFF]
    for username, name, role, department in (
        ("chengguan", "城管局李科长", "handler", "D-CGJ"),
        ("huanbao", "环保局王科长", "handler", "D-STHJ"),
        ("paidan", "派单员小王", "dispatcher", "D-MYZX"),
        ("root", "管理员", "admin", None),
    ):
        await staff.create_user(
            username, password=PASSWORD, role=role, display_name=name, department=department
        )


async def _issue(
    server: Server, description: str, key: str, openid: str = RESIDENT, media_id: str = "M1",
    kind: str = "image",
):
    """Until the dialog layer issues slips from the chat, the test issues the slip the
    conversation would have produced."""
    return await server.app[keys.SLIPS].issue(
        SlipDraft(
            openid=openid,
            description=description,
            idempotency_key=key,
            location_text="建新北路12号",
            phone="13800138000",
            media=[{"type": kind, "media_id": media_id}],
            triage=triage_for("D-CGJ", "区城市管理局"),
        )
    )


async def _send_photo(server: Server, openid: str, kind: str = "image") -> str:
    """The resident sends a photo (or a video) through the simulator; its WeChat media id."""
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{server.base}/simulator/api/send", json={"openid": openid, "type": kind}
        ) as response,
    ):
        sent = await response.json()
    found = re.search(r"<MediaId><!\[CDATA\[([^\]]+)\]\]></MediaId>", sent["xml"])
    assert found, sent
    return found.group(1)


async def _login(page, server: Server, username: str) -> None:
    await page.goto(f"{server.base}/console/")
    await page.wait_for_url(re.compile(r"/console/login"))
    await page.fill("#f-username", username)
    await page.fill("#f-password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(re.compile(r"/console/workbench"))


async def test_complaint_to_handler_and_reply_back_to_the_chat(server: Server, browser) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await _people(server)
    errors: list[str] = []

    # the resident writes through the simulated WeChat
    phone = await browser.new_context(viewport=PHONE)
    chat = await phone.new_page()
    chat.on("pageerror", lambda exc: errors.append(str(exc)))
    await chat.goto(f"{server.base}/simulator/")
    await chat.fill("#openid", RESIDENT)
    await chat.dispatch_event("#openid", "change")
    await chat.fill("#text", COMPLAINT)
    await chat.click("#send")
    await chat.locator(".row.account .bubble").first.wait_for()
    photo = await _send_photo(server, RESIDENT)
    slip = await _issue(server, COMPLAINT, "browser:complaint", media_id=photo)

    # the handler finds it on the workbench, reads the chat, signs and replies
    laptop = await browser.new_context(viewport=LAPTOP)
    page = await laptop.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await _login(page, server, "chengguan")
    to_sign = page.locator("#to-sign")
    await to_sign.get_by_text(slip.number).wait_for()
    await page.screenshot(path=str(SHOTS / "workbench-laptop.png"), full_page=True)
    await to_sign.get_by_role("link", name=slip.number).click()
    await page.wait_for_url(re.compile(slip.number))
    assert await page.locator("#complaint").text_content() == COMPLAINT
    await page.locator("#transcript .msg.in", has_text=COMPLAINT).wait_for()
    # the photo comes from WeChat (here the simulator) through the console
    await page.wait_for_function(
        "() => { const i = document.querySelector('.photo img');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    await page.screenshot(path=str(SHOTS / "slip-laptop.png"), full_page=True)

    await page.click("#action-sign summary")
    await page.fill("#f-sign-note", "已电话联系群众，约好明天上门")
    await page.click("#action-sign button[type=submit]")
    await page.get_by_text("已签收。").wait_for()
    await page.click("#action-reply summary")
    await page.fill("#f-reply-note", REPLY)
    await page.click("#action-reply button[type=submit]")
    await page.get_by_text("已答复居民。").wait_for()
    await page.locator("#timeline", has_text=REPLY).wait_for()
    await page.locator("#deliveries", has_text="答复").wait_for()

    # the outbox worker pushes the reply into the resident's chat
    push = chat.locator(".bubble.push.custom", has_text="师傅明天上午来修路灯")
    await push.wait_for(timeout=20_000)
    await chat.screenshot(path=str(SHOTS / "simulator-phone.png"), full_page=True)
    await page.reload()
    await page.locator("#deliveries .delivery-sent").first.wait_for()
    # what the resident was sent is in their chat record too, as a chat message of ours
    await page.locator("#transcript .msg.out", has_text="师傅明天上午来修路灯").get_by_text(
        "客服消息").wait_for()
    await page.screenshot(path=str(SHOTS / "slip-after-reply-laptop.png"), full_page=True)

    # the list and its filters
    await page.goto(f"{server.base}/console/slips?q=路灯")
    await page.get_by_role("link", name=slip.number).wait_for()
    await page.screenshot(path=str(SHOTS / "list-laptop.png"), full_page=True)
    assert errors == []


async def test_a_saved_photo_still_shows_after_wechat_deleted_it(
    server: Server, browser
) -> None:
    await _people(server)
    photo = await _send_photo(server, RESIDENT)
    slip = await _issue(server, COMPLAINT, "browser:saved-photo", media_id=photo)
    for _ in range(400):  # the worker in this process copies it within a poll or two
        copy = (await copies_of(server.app[app_keys.DATABASE], [photo])).get(photo)
        if copy is not None and copy.status == "stored":
            break
        await asyncio.sleep(0.05)
    assert copy is not None and copy.status == "stored", copy
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{server.base}/simulator/api/clock", json={"advance": 4 * 24 * 3600}) as r,
    ):
        assert r.status == 200  # four days on: WeChat has deleted the temporary media

    page = await (await browser.new_context(viewport=LAPTOP)).new_page()
    await _login(page, server, "chengguan")
    await page.goto(f"{server.base}/console/slips/{slip.number}")
    await page.wait_for_function(
        "() => { const i = document.querySelector('.photos .photo img');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    assert await page.locator(".photos .photo img").get_attribute("alt") == "群众发来的图片"


async def test_a_residents_video_plays_on_the_slip_page(server: Server, browser) -> None:
    await _people(server)
    video = await _send_photo(server, RESIDENT, kind="video")
    slip = await _issue(server, COMPLAINT, "browser:video", media_id=video, kind="video")
    page = await (await browser.new_context(viewport=LAPTOP)).new_page()
    await _login(page, server, "chengguan")
    await page.goto(f"{server.base}/console/slips/{slip.number}")
    # the player has read the clip: it knows its length and picture size
    await page.wait_for_function(
        "() => { const v = document.querySelector('.video video');"
        " return v && v.readyState >= 1 && v.duration > 0 && v.videoWidth > 0; }"
    )
    await page.screenshot(path=str(SHOTS / "slip-video-laptop.png"), full_page=True)


async def test_script_in_a_complaint_is_shown_as_text(server: Server, browser) -> None:
    await _people(server)
    slip = await _issue(server, HOSTILE, "browser:hostile", openid="oBrowserResident000000000002")
    context = await browser.new_context(viewport=LAPTOP)
    page = await context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    await _login(page, server, "chengguan")
    await page.goto(f"{server.base}/console/slips/{slip.number}")
    assert await page.locator("#complaint").text_content() == HOSTILE
    assert await page.locator("main script").count() == 0
    assert await page.locator("main img[src=x]").count() == 0
    assert await page.evaluate("document.querySelectorAll('[onerror]').length") == 0
    await page.goto(f"{server.base}/console/slips")
    await page.get_by_text("<script>", exact=False).first.wait_for()
    assert dialogs == []
    assert "pwned" not in await page.title()


async def test_handler_of_another_department_cannot_open_it(server: Server, browser) -> None:
    await _people(server)
    slip = await _issue(server, "观音桥的井盖松动了", "browser:other")
    context = await browser.new_context(viewport=LAPTOP)
    page = await context.new_page()
    await _login(page, server, "huanbao")
    for ref in (slip.number, str(slip.id)):
        response = await page.goto(f"{server.base}/console/slips/{ref}")
        assert response.status == 403
        assert "没有权限" in await page.content()
        assert "井盖松动" not in await page.content()
    await page.goto(f"{server.base}/console/slips?q=井盖")
    assert await page.get_by_role("link", name=slip.number).count() == 0
    api = await page.request.get(f"{server.base}/api/v1/slips/{slip.number}")
    assert api.status == 403 and "井盖" not in await api.text()
    await page.goto(f"{server.base}/console/account")
    token = await page.locator("input[name=csrf_token]").first.get_attribute("value")
    act = await page.request.post(
        f"{server.base}/api/v1/slips/{slip.number}/actions/sign",
        data={"note": "越权签收"},
        headers={"X-CSRF-Token": token, "Origin": server.base},
    )
    assert act.status == 403
    assert (await server.app[keys.SLIPS].get(slip.number, _system())).status == "dispatched"


def _system():
    from bot.slips.actor import Actor

    return Actor.system("scheduler")


async def test_pages_on_a_phone(server: Server, browser) -> None:
    """Screenshots at phone size (looked at by people; the assertions check the layout does
    not overflow sideways)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    await _people(server)
    slip = await _issue(server, COMPLAINT, "browser:phone")
    await _issue(server, "五里店立交下面的下水道堵了，污水漫到路上", "browser:phone2")
    context = await browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    page = await context.new_page()
    await page.goto(f"{server.base}/console/login")
    await page.screenshot(path=str(SHOTS / "login-phone.png"))
    await _login(page, server, "chengguan")
    for name, path in (
        ("workbench", "/console/workbench"),
        ("list", "/console/slips"),
        ("slip", f"/console/slips/{slip.number}"),
    ):
        await page.goto(server.base + path)
        await page.screenshot(path=str(SHOTS / f"{name}-phone.png"), full_page=True)
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"] + 1, (name, width)
        # every menu item is on the screen, none scrolled out of sight
        off = await page.evaluate(
            "[...document.querySelectorAll('.nav a')].filter(a => {"
            " const r = a.getBoundingClientRect(); return r.left < 0 || r.right > innerWidth;"
            "}).map(a => a.textContent)"
        )
        assert off == [], (name, off)
    # the administrator has the longest menu
    admin = await (await browser.new_context(viewport=PHONE, is_mobile=True)).new_page()
    await _login(admin, server, "root")
    await admin.screenshot(path=str(SHOTS / "workbench-admin-phone.png"), full_page=True)
    off = await admin.evaluate(
        "[...document.querySelectorAll('.nav a')].filter(a => {"
        " const r = a.getBoundingClientRect(); return r.left < 0 || r.right > innerWidth;"
        "}).map(a => a.textContent)"
    )
    assert off == [], off


async def test_dispatcher_queue_and_user_management_pages(server: Server, browser) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await _people(server)
    unsure = await server.app[keys.SLIPS].issue(
        SlipDraft(
            openid="oBrowserResident000000000003",
            description="我想问问我们这边那个事情到底归谁管",
            idempotency_key="browser:unsure",
        )
    )
    assert unsure.status == "accepted"
    context = await browser.new_context(viewport=LAPTOP)
    page = await context.new_page()
    await _login(page, server, "paidan")
    await page.goto(f"{server.base}/console/queue")
    await page.get_by_role("link", name=unsure.number).click()
    await page.click("#action-dispatch summary")
    await page.select_option("#f-dispatch-department", "D-CGJ")
    await page.click("#action-dispatch button[type=submit]")
    await page.get_by_text("已派单。").wait_for()
    await page.screenshot(path=str(SHOTS / "dispatched-laptop.png"), full_page=True)

    admin = await (await browser.new_context(viewport=LAPTOP)).new_page()
    await _login(admin, server, "root")
    await admin.goto(f"{server.base}/console/users")
    await admin.fill("#f-username", "wuyi")
    await admin.fill("#f-display_name", "吴一")
    await admin.select_option("#f-new-role", "handler")
    await admin.click("form[action='/console/users'] button[type=submit]")
    await admin.locator("[data-field=department]").wait_for()  # handlers need a department
    await admin.select_option("#f-new-department", "D-CGJ")
    await admin.click("form[action='/console/users'] button[type=submit]")
    await admin.locator("#new-password").wait_for()
    await admin.screenshot(path=str(SHOTS / "users-laptop.png"), full_page=True)
    phone = await (await browser.new_context(viewport=PHONE, is_mobile=True)).new_page()
    await _login(phone, server, "root")
    await phone.goto(f"{server.base}/console/users")
    await phone.screenshot(path=str(SHOTS / "users-phone.png"), full_page=True)


async def test_the_chat_box_opens_on_the_newest_message(server: Server, browser) -> None:
    await _people(server)
    openid = "oBrowserResident000000000003"
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{server.base}/simulator/api/send",
                             json={"openid": openid, "type": "event", "event": "subscribe"}) as r:
            assert r.status == 200, await r.text()
        for i in range(1, 16):
            async with http.post(f"{server.base}/simulator/api/send", json={
                "openid": openid, "type": "text", "content": f"第{i}条：楼下的路灯又不亮了",
            }) as r:
                assert r.status == 200, await r.text()
    slip = await _issue(server, "楼下的路灯又不亮了", "browser:long-chat", openid=openid)

    page = await (await browser.new_context(viewport=LAPTOP)).new_page()
    await _login(page, server, "chengguan")
    await page.goto(f"{server.base}/console/slips/{slip.number}")
    box = page.locator("#transcript")
    first, last = box.get_by_text("第1条："), box.get_by_text("第15条：")
    await last.wait_for()
    scroller = await box.evaluate("e => [e.scrollHeight, e.clientHeight]")
    assert scroller[0] > scroller[1] + 100, scroller  # long enough to scroll
    # the newest is in view, the oldest above it (scrolled away), order oldest → newest
    assert await last.is_visible()
    box_top = (await box.bounding_box())["y"]
    first_y, last_y = (await first.bounding_box())["y"], (await last.bounding_box())["y"]
    assert first_y < box_top < last_y
    await page.screenshot(path=str(SHOTS / "slip-long-chat-laptop.png"), full_page=True)


async def test_a_survey_answer_in_the_chat_shows_its_reason(server: Server, browser) -> None:
    from bot.slips.actor import Actor

    await _people(server)
    openid = "oBrowserResident000000000004"
    slip = await _issue(server, "楼下的路灯不亮", "browser:survey", openid=openid)
    service = server.app[keys.SLIPS]
    root = Actor(kind="staff", id="root", name="管理员", role="admin")
    await service.act(slip.number, "sign", root)
    await service.act(slip.number, "close", root, data={"result": "灯泡已更换，恢复照明"})
    async with aiohttp.ClientSession() as http:
        for text in ("3", "晚上还是黑的，根本没人来"):
            async with http.post(f"{server.base}/simulator/api/send", json={
                "openid": openid, "type": "text", "content": text,
            }) as r:
                assert r.status == 200, await r.text()
    page = await (await browser.new_context(viewport=LAPTOP)).new_page()
    await _login(page, server, "chengguan")
    await page.goto(f"{server.base}/console/slips/{slip.number}")
    note = page.locator("#transcript .msg.in .survey-note")
    await note.wait_for()
    assert "不满意" in await note.inner_text() and "根本没人来" in await note.inner_text()
    await page.screenshot(path=str(SHOTS / "slip-survey-reason-laptop.png"), full_page=True)
