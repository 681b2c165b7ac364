"""Notices on the slip page, against the WeChat simulator over real HTTP: a notice in doubt is
shown as not confirmed (page and API), and a failed one can be sent again by staff in scope."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.app import create_app
from bot.config import Settings
from bot.delivery.channels import CUSTOM, SUBSCRIBE, TEMPLATE
from bot.delivery.models import DeliveryAttempt
from bot.delivery.runtime import DELIVERY
from bot.delivery.worker import DeliveryWorker
from bot.outbox.models import OutboxRow, OutboxStatus
from bot.simulator import SIMULATOR_STATE, SimulatorState, create_simulator_app
from bot.slips.actor import Actor
from bot.slips.audit import verify_slips
from bot.slips.notices import load_notices
from bot.storage.messages import upsert_resident
from handlers import keys as app_keys
from handlers.console import keys as console_keys
from handlers.console.deliveries import CHANNEL_LABELS, KIND_LABELS, delivery_of
from tests.bot.delivery.conftest import FAST, sim_config
from tests.handlers.staff_app import (
    FAST_PASSWORDS,
    NewBrowser,
    add_member,
    issue_slip,
    signed_in,
    staff_of,
)

RESIDENT = "oDeliveryResident00000000001"
ADMIN = Actor(kind="staff", id="0", name="管理员", role="admin")


@dataclass
class Desk:
    client: TestClient
    sim: SimulatorState

    async def slip_with_reply(self, text: str = "建新北路的路灯坏了三天了，晚上很黑"):
        """A slip whose handler answered the resident: one notice to the resident."""
        slip = await issue_slip(self.client, text, openid=RESIDENT)
        service = self.client.server.app[console_keys.SLIPS]
        return await service.act(slip.number, "reply", ADMIN, note=f"师傅明天来处理（{text[:4]}）")

    @property
    def worker(self) -> DeliveryWorker:
        return self.client.server.app[DELIVERY].worker

    async def rows(self, slip_id: int) -> list[OutboxRow]:
        async with self.client.server.app[app_keys.DATABASE].session() as session:
            return list((await session.scalars(
                select(OutboxRow).where(OutboxRow.slip_id == slip_id,
                                        OutboxRow.audience == "resident")
                .order_by(OutboxRow.id))).all())

    async def texts(self) -> list[str]:
        return [e["data"]["text"]["content"] for e in self.sim.sent_messages(RESIDENT)
                if e["channel"] == "custom"]


@pytest.fixture
async def desk(aiohttp_client, console_settings: Settings) -> AsyncIterator[Desk]:
    server = TestServer(create_simulator_app(sim_config()), host="127.0.0.1")
    await server.start_server()
    try:
        settings = console_settings.with_overrides(**{
            **FAST, "wechat.api_base": str(server.make_url("")).rstrip("/"),
            "delivery.api_timeout_seconds": 0.3,
        })
        client = await aiohttp_client(create_app(settings, migrate=True))
        staff_of(client).passwords = FAST_PASSWORDS
        sim = server.app[SIMULATOR_STATE]
        sim.add_resident(RESIDENT)
        sim.note_incoming(RESIDENT, {"MsgType": "text"})  # the chat window is open
        async with client.server.app[app_keys.DATABASE].session() as session:
            await upsert_resident(session, RESIDENT)
        await add_member(client, "cg", "handler", "D-CGJ", "城管李科长")
        await add_member(client, "hb", "handler", "D-STHJ", "环保王科长")
        yield Desk(client, sim)
    finally:
        await server.close()


def _version(page: str) -> int:
    return int(re.search(r'name="expected_version" value="(\d+)"', page).group(1))


def _delivery_row(page: str, row_id: int) -> str:
    """The deliveries table row holding the resend form or text of notice `row_id`."""
    table = page.split('id="deliveries"', 1)[1].split("</table>", 1)[0]
    rows = table.split("<tr>")[2:]
    return next(r for r in rows if f"/notices/{row_id}/" in r or f"resend-{row_id}" in r)


async def test_a_chat_message_in_doubt_is_shown_as_not_confirmed(
    desk: Desk, browsers: NewBrowser
) -> None:
    slip = await desk.slip_with_reply()
    # WeChat answers the first chat message too late: the call may have gone through
    desk.sim.add_fault("custom/send", delay=1.0, count=1)
    await desk.worker.drain()
    await desk.sim.drain()
    rows = await desk.rows(slip.id)
    assert rows and rows[0].status == OutboxStatus.SENT
    assert rows[0].last_error.startswith("unconfirmed")

    cg = await signed_in(browsers, desk.client, "cg")
    _, page = await cg.get(f"/console/slips/{slip.number}")
    table = page.split('id="deliveries"', 1)[1].split("</table>", 1)[0]
    assert "已发出，未确认送达" in table and "delivery-unconfirmed" in table
    assert "微信可能已经送达" in table
    assert "已送达" not in table.replace("未确认送达", "")  # nothing claims it arrived

    staff = staff_of(desk.client)
    member = await staff.by_username("cg")
    _, token = await staff.create_token(member.id, name="t", scope="read")
    response = await desk.client.get(f"/api/v1/slips/{slip.number}/notifications",
                                     headers={"Authorization": f"Bearer {token}"})
    assert response.status == 200
    first = (await response.json())["notifications"][0]
    assert first["status"] == "sent" and first["confirmed"] is False
    assert first["status_label"] == "已发出，未确认送达"


async def test_a_confirmed_message_is_shown_as_delivered(desk: Desk, browsers: NewBrowser) -> None:
    slip = await desk.slip_with_reply()
    await desk.worker.drain()
    rows = await desk.rows(slip.id)
    assert rows and all(r.status == OutboxStatus.SENT and r.last_error is None for r in rows)
    cg = await signed_in(browsers, desk.client, "cg")
    _, page = await cg.get(f"/console/slips/{slip.number}")
    table = page.split('id="deliveries"', 1)[1].split("</table>", 1)[0]
    assert "已送达" in table and "未确认" not in table and "重新发送" not in table
    # the channel and the kind in words, no code: "custom", "reply", "dispatched" …
    assert "客服消息" in table and "答复" in table
    shown = re.sub(r"<[^>]+>", " ", table)
    assert not re.findall(r"[A-Za-z_]{3,}", shown), shown


def test_every_notice_kind_and_channel_has_a_chinese_label() -> None:
    kinds = load_notices().kinds | {"late_reply"}  # late_reply: the inbox's, not a notice
    assert kinds <= KIND_LABELS.keys(), kinds - KIND_LABELS.keys()
    assert {CUSTOM, TEMPLATE, SUBSCRIBE} <= CHANNEL_LABELS.keys()
    row = OutboxRow(id=1, kind="brand_new", audience="staff", text="t", status="sent",
                    attempts=1, channel="fax", created_at=datetime.now(UTC))
    shown = delivery_of(row)
    assert (shown.kind_label, shown.channel_label) == ("其他通知", "其他方式")


async def test_staff_resend_a_failed_notice_and_it_arrives_once(
    desk: Desk, browsers: NewBrowser
) -> None:
    slip = await desk.slip_with_reply()
    # WeChat is busy for every attempt of the first notice: the worker gives up on it
    desk.sim.add_fault("custom/send", errcode=-1, count=FAST["delivery.retry.max_attempts"])
    await desk.worker.drain()
    failed = (await desk.rows(slip.id))[0]
    assert failed.status == OutboxStatus.FAILED
    assert failed.text not in await desk.texts()

    cg = await signed_in(browsers, desk.client, "cg")
    _, page = await cg.get(f"/console/slips/{slip.number}")
    row_html = _delivery_row(page, failed.id)
    assert "发送失败" in row_html and f'id="resend-{failed.id}"' in row_html
    version = _version(page)
    path = f"/console/slips/{slip.number}/notices/{failed.id}/resend"

    # another department's handler may not; a form without the CSRF token is refused
    hb = await signed_in(browsers, desk.client, "hb")
    await hb.get("/console/workbench")
    response, _ = await hb.post(path, {"expected_version": version}, allow_redirects=False)
    assert response.status == 403
    response = await cg.session.post(cg.url(path), data={"expected_version": version},
                                     allow_redirects=False)
    assert response.status == 403
    assert (await desk.rows(slip.id))[0].status == OutboxStatus.FAILED

    response, _ = await cg.post(path, {"expected_version": version}, allow_redirects=False)
    assert response.status == 303
    _, page = await cg.get(response.headers["Location"])
    assert "已重新发送通知。" in page
    timeline = page.split('id="timeline"', 1)[1].split("</ol>", 1)[0]
    assert "重新发送通知" in timeline and "城管李科长" in timeline
    again = (await desk.rows(slip.id))[0]
    assert (again.status, again.attempts, again.idempotency_key) == (
        OutboxStatus.PENDING, 0, failed.idempotency_key)

    # pressed twice: the second is refused plainly, nothing is queued twice
    response, page = await cg.post(path, {"expected_version": _version(page)})
    assert response.status == 409 and "已经在重新发送" in page
    # a page from before the resend is a version conflict
    response, page = await cg.post(path, {"expected_version": version})
    assert response.status == 409

    await desk.worker.drain()
    assert (await desk.texts()).count(failed.text) == 1
    sent = (await desk.rows(slip.id))[0]
    assert sent.status == OutboxStatus.SENT and sent.attempts == 1
    async with desk.client.server.app[app_keys.DATABASE].session() as session:
        outcomes = (await session.scalars(
            select(DeliveryAttempt.outcome).where(DeliveryAttempt.outbox_id == failed.id)
            .order_by(DeliveryAttempt.id))).all()
        assert outcomes == ["retry"] * FAST["delivery.retry.max_attempts"] + ["sent"]
        breaks = [b async for _, b in verify_slips(session, number=slip.number) if b]
    assert breaks == []
    _, page = await cg.get(f"/console/slips/{slip.number}")
    assert f'id="resend-{failed.id}"' not in page


async def test_a_failed_notice_left_in_doubt_is_sent_again_not_skipped(
    desk: Desk, browsers: NewBrowser
) -> None:
    """A resend is the staff's decision: an earlier attempt left in doubt does not turn it
    into "sent, unconfirmed" without a call."""
    slip = await desk.slip_with_reply()
    await desk.worker.drain()
    row = (await desk.rows(slip.id))[0]
    async with desk.client.server.app[app_keys.DATABASE].session() as session:
        session.add(DeliveryAttempt(outbox_id=row.id, channel="custom", worker="dead"))
        await session.execute(
            OutboxRow.__table__.update().where(OutboxRow.id == row.id)
            .values(status=OutboxStatus.FAILED, last_error="gave up after 4 attempts")
        )
    before = (await desk.texts()).count(row.text)
    cg = await signed_in(browsers, desk.client, "cg")
    _, page = await cg.get(f"/console/slips/{slip.number}")
    response, _ = await cg.post(f"/console/slips/{slip.number}/notices/{row.id}/resend",
                                {"expected_version": _version(page)}, allow_redirects=False)
    assert response.status == 303
    await desk.worker.drain()
    assert (await desk.texts()).count(row.text) == before + 1
    after = (await desk.rows(slip.id))[0]
    assert after.status == OutboxStatus.SENT and after.last_error is None


async def test_resend_of_another_slips_notice_is_not_found(
    desk: Desk, browsers: NewBrowser
) -> None:
    first = await desk.slip_with_reply()
    second = await desk.slip_with_reply("另一条路上的井盖丢了")
    desk.sim.add_fault("custom/send", errcode=-1, count=100)
    await desk.worker.drain()
    other = (await desk.rows(second.id))[0]
    assert other.status == OutboxStatus.FAILED
    cg = await signed_in(browsers, desk.client, "cg")
    _, page = await cg.get(f"/console/slips/{first.number}")
    response, _ = await cg.post(f"/console/slips/{first.number}/notices/{other.id}/resend",
                                {"expected_version": _version(page)})
    assert response.status == 404
    assert (await desk.rows(second.id))[0].status == OutboxStatus.FAILED
