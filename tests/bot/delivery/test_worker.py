"""The worker against the simulator over real HTTP: channels, fallbacks, errors, order."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.delivery.worker import UNCONFIRMED_NOTE, client_msg_id_for
from bot.outbox import OutboxStatus
from bot.storage.types import utcnow
from tests.bot.delivery.conftest import TEMPLATE_ID, StackFactory, sim_config

A = "oResidentA000000000000000001"
B = "oResidentB000000000000000002"


async def test_open_window_sends_a_chat_message(make_stack: StackFactory) -> None:
    stack = await make_stack()
    await stack.resident(A)
    await stack.notice(A, "s1:1:signed", "您反映的问题已签收，承办人将在一个工作日内联系您。")
    await stack.worker().drain()
    row = await stack.row("s1:1:signed")
    assert (row.status, row.channel, row.attempts) == (OutboxStatus.SENT, "custom", 1)
    assert stack.texts(A) == ["您反映的问题已签收，承办人将在一个工作日内联系您。"]
    assert stack.delivered(A)[0]["channel"] == "custom"


async def test_closed_window_sends_a_template_with_client_msg_id(make_stack: StackFactory) -> None:
    stack = await make_stack()
    await stack.resident(A, window=False)
    await stack.notice(A, "s1:2:closed", "您的工单已办结：路灯已修复。", kind="closed",
                       template_data={"number": "JB2026112500017", "status": "已办结"})
    await stack.worker().drain()
    row = await stack.row("s1:2:closed")
    [sent] = stack.delivered(A)
    assert (row.status, row.channel) == (OutboxStatus.SENT, "template")
    assert sent["template_id"] == TEMPLATE_ID
    assert sent["client_msg_id"] == row.client_msg_id == client_msg_id_for("s1:2:closed")
    assert row.wechat_msg_id == sent["msgid"]
    data = sent["data"]["data"]
    assert data["keyword1"]["value"] == "JB2026112500017"
    assert data["keyword2"]["value"] == "已办结"
    assert data["first"]["value"] == "您的工单已办结：路灯已修复。"


async def test_five_chat_messages_per_window_then_templates(make_stack: StackFactory) -> None:
    stack = await make_stack()
    await stack.resident(A)
    for n in range(7):
        await stack.notice(A, f"k{n}", f"第{n}条")
    await stack.worker().drain()
    channels = [m["channel"] for m in stack.delivered(A)]
    assert channels == ["custom"] * 5 + ["template"] * 2
    assert stack.texts(A) == [f"第{n}条" for n in range(7)]
    # WeChat was never asked for a sixth chat message: the count is ours
    assert not [c for c in stack.sim.calls if c["response"].get("errcode") == 45047]


async def test_a_new_message_from_the_resident_reopens_the_count(make_stack: StackFactory) -> None:
    stack = await make_stack()
    await stack.resident(A, at=utcnow() - timedelta(hours=1))
    for n in range(5):
        await stack.notice(A, f"first{n}", f"第一批{n}")
    await stack.worker().drain()
    await stack.resident(A)  # writes again: a new window
    await stack.notice(A, "second", "第二批")
    await stack.worker().drain()
    assert [m["channel"] for m in stack.delivered(A)] == ["custom"] * 6


@pytest.mark.parametrize("errcode", [45015, 45047])
async def test_window_errors_fall_back_to_a_template(make_stack: StackFactory, errcode: int) -> None:
    stack = await make_stack()
    await stack.resident(A)
    stack.sim.add_fault("custom/send", errcode=errcode, count=1)
    await stack.notice(A, "n1", "第一条")
    await stack.notice(A, "n2", "第二条")
    await stack.worker().drain()
    assert [m["channel"] for m in stack.delivered(A)] == ["template", "template"]
    assert stack.texts(A) == ["第一条", "第二条"]
    [first, *_] = await stack.attempts("n1")
    assert (first.channel, first.outcome, first.errcode) == ("custom", "fallback", errcode)
    # the window counts as used up: the second notice did not try the chat again
    assert [a.channel for a in await stack.attempts("n2")] == ["template"]


async def test_no_template_configured_leaves_a_closed_window_undeliverable(
    make_stack: StackFactory,
) -> None:
    stack = await make_stack(**{"delivery.templates.default.template_id": ""})
    await stack.resident(A, window=False)
    await stack.notice(A, "n1")
    await stack.worker().drain()
    row = await stack.row("n1")
    assert row.status == OutboxStatus.UNDELIVERABLE
    assert "no template" in row.last_error
    assert stack.delivered() == []


@pytest.mark.parametrize(
    ("setup", "errcode"),
    [("unsubscribed", 43004), ("refuses", 43101), ("unknown", 40003)],
)
async def test_undeliverable_residents(make_stack: StackFactory, setup: str, errcode: int) -> None:
    stack = await make_stack()
    if setup == "unsubscribed":
        await stack.resident(A)
        stack.sim.set_resident(A, subscribed=False)
    elif setup == "refuses":
        await stack.resident(A, window=False)
        stack.sim.set_resident(A, refuses_templates=True)
    await stack.notice(A, "n1", "您的工单已办结")
    await stack.notice(B, "other", "别人的通知")
    await stack.resident(B)
    await stack.worker().drain()
    row = await stack.row("n1")
    assert row.status == OutboxStatus.UNDELIVERABLE
    assert str(errcode) in row.last_error
    assert row.attempts == 1  # never retried
    assert stack.delivered(A) == []
    assert stack.texts(B) == ["别人的通知"]


async def test_refused_templates_fall_back_to_a_subscription_message(
    make_stack: StackFactory,
) -> None:
    stack = await make_stack(**{
        "delivery.subscribe.default.template_id": "SUB_PROGRESS",
        "delivery.subscribe.default.fields": {"thing1": "{title:.20}", "character_string2":
                                              "{number}"},
    })
    await stack.resident(A, window=False)
    stack.sim.set_resident(A, refuses_templates=True)
    await stack.notice(A, "n1", "您的工单已办结，请对办理结果进行评价，谢谢您的支持与理解！",
                       template_data={"number": "JB2026112500017"})
    await stack.worker().drain()
    [sent] = stack.delivered(A)
    assert sent["channel"] == "subscribe"
    assert sent["data"]["data"]["thing1"]["value"] == "您的工单已办结，请对办理结果进行评价，谢"
    assert (await stack.row("n1")).channel == "subscribe"


@pytest.mark.parametrize("errcode", [40001, 40014, 42001])
async def test_stale_token_is_refreshed_once_and_the_call_retried(
    make_stack: StackFactory, errcode: int
) -> None:
    stack = await make_stack()
    await stack.resident(A)
    await stack.notice(A, "n1", "一条")
    worker = stack.worker()
    stack.sim.add_fault("custom/send", errcode=errcode, count=1)
    await worker.drain()
    assert stack.texts(A) == ["一条"]
    assert worker._client.tokens.fetches == 2
    assert (await stack.row("n1")).attempts == 1


async def test_token_refused_twice_is_retried_later(make_stack: StackFactory) -> None:
    stack = await make_stack()
    await stack.resident(A)
    await stack.notice(A, "n1", "一条")
    worker = stack.worker()
    stack.sim.add_fault("custom/send", errcode=40001, count=2)
    await worker.run_once()
    row = await stack.row("n1")
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)
    assert "40001" in row.last_error
    await worker.drain()
    assert stack.texts(A) == ["一条"]
    # one refresh in the first attempt, none needed in the second: never a loop
    assert [c["api"] for c in stack.sim.calls] == [
        "token", "custom/send", "token", "custom/send", "custom/send"]


async def test_system_busy_backs_off_then_sends(make_stack: StackFactory) -> None:
    stack = await make_stack()
    await stack.resident(A)
    await stack.notice(A, "n1", "一条")
    worker = stack.worker()
    stack.sim.add_fault("custom/send", errcode=-1, count=2)
    await worker.run_once()
    row = await stack.row("n1")
    assert row.status == OutboxStatus.PENDING
    assert row.next_attempt_at > utcnow() - timedelta(seconds=1)
    assert worker.paused or row.next_attempt_at > row.created_at
    await worker.drain()
    row = await stack.row("n1")
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 3)
    assert stack.texts(A) == ["一条"]


async def test_gives_up_after_max_attempts(make_stack: StackFactory) -> None:
    stack = await make_stack()
    await stack.resident(A)
    await stack.notice(A, "n1", "一条")
    await stack.notice(A, "n2", "第二条")
    stack.sim.add_fault("custom/send", errcode=-1, count=4)
    await stack.worker().drain()
    row = await stack.row("n1")
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, 4)
    assert "gave up after 4 attempts" in row.last_error
    # the next notice to the same resident goes once the first is settled
    assert stack.texts(A) == ["第二条"]


async def test_slow_template_answer_is_resent_with_the_same_client_msg_id(
    make_stack: StackFactory,
) -> None:
    stack = await make_stack(**{"delivery.api_timeout_seconds": 0.3})
    await stack.resident(A, window=False)
    await stack.notice(A, "n1", "您的工单已办结")
    stack.sim.add_fault("template/send", delay=1.0, count=1)
    await stack.worker().drain()
    await stack.sim.drain()
    assert len(stack.delivered(A)) == 1  # WeChat finished the slow call; the retry was deduped
    calls = [c for c in stack.sim.calls if c["api"] == "template/send"]
    assert len(calls) >= 2
    assert {c["request"]["client_msg_id"] for c in calls} == {client_msg_id_for("n1")}
    row = await stack.row("n1")
    assert row.status == OutboxStatus.SENT
    assert row.wechat_msg_id == stack.delivered(A)[0]["msgid"]


async def test_slow_chat_answer_is_not_sent_twice(make_stack: StackFactory) -> None:
    """in_doubt: skip — the call that timed out did reach WeChat; it is not repeated."""
    stack = await make_stack(**{"delivery.api_timeout_seconds": 0.3})
    await stack.resident(A)
    await stack.notice(A, "n1", "第一条")
    await stack.notice(A, "n2", "第二条")
    stack.sim.add_fault("custom/send", delay=1.0, count=1)
    await stack.worker().drain()
    await stack.sim.drain()
    assert stack.texts(A) == ["第一条", "第二条"]
    row = await stack.row("n1")
    assert row.status == OutboxStatus.SENT
    assert row.last_error.startswith(UNCONFIRMED_NOTE)
    assert [a.outcome for a in await stack.attempts("n1")] == ["unconfirmed"]


async def test_slow_chat_answer_with_resend_policy_may_arrive_twice(
    make_stack: StackFactory,
) -> None:
    """in_doubt: resend — at least once: the resident gets the timed-out message twice."""
    stack = await make_stack(**{"delivery.api_timeout_seconds": 0.3,
                                "delivery.in_doubt": "resend"})
    await stack.resident(A)
    await stack.notice(A, "n1", "第一条")
    stack.sim.add_fault("custom/send", delay=1.0, count=1)
    await stack.worker().drain()
    await stack.sim.drain()
    assert stack.texts(A) == ["第一条", "第一条"]
    assert [a.outcome for a in await stack.attempts("n1")] == ["superseded", "sent"]


async def test_unreachable_api_is_retried_without_doubt(make_stack: StackFactory) -> None:
    stack = await make_stack()
    await stack.resident(A)
    await stack.notice(A, "n1", "第一条")
    worker = stack.worker(stack.settings.with_overrides(**{"wechat.api_base":
                                                           "http://127.0.0.1:9"}))
    await worker.run_once()
    row = await stack.row("n1")
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)
    assert "cannot connect" in row.last_error


async def test_order_per_resident_survives_failures(make_stack: StackFactory) -> None:
    stack = await make_stack(**{"delivery.retry.max_attempts": 50})
    residents = [f"oOrder{n:02d}00000000000000000000" for n in range(4)]
    for openid in residents:
        await stack.resident(openid, window=openid.endswith("0") is False)
    for n in range(12):
        for openid in residents:
            await stack.notice(openid, f"{openid}:{n}", f"{openid[-4:]}-{n:02d}")
    # every third call fails, whichever resident it is for
    for _ in range(10):
        stack.sim.add_fault("*", errcode=-1, count=1)
        stack.sim.add_fault("*", count=2)  # two good calls (a fault with no error is a no-op)
    await stack.worker().drain(within=60)
    for openid in residents:
        assert stack.texts(openid) == [f"{openid[-4:]}-{n:02d}" for n in range(12)]


async def test_staff_notice_without_openid_goes_to_the_console(make_stack: StackFactory) -> None:
    stack = await make_stack()
    await stack.notice(None, "staff1", "工单 JB2026112500017 已超期", kind="overdue",
                       audience="staff")
    await stack.worker().drain()
    row = await stack.row("staff1")
    assert (row.status, row.channel) == (OutboxStatus.SENT, "console")
    assert stack.sim.calls == []


async def test_job_events_are_not_needed_for_sending(make_stack: StackFactory) -> None:
    stack = await make_stack(sim_config(push_job_events=True))
    await stack.resident(A, window=False)
    await stack.notice(A, "n1")
    await stack.worker().drain()
    assert (await stack.row("n1")).status == OutboxStatus.SENT


async def test_api_down_for_a_long_stretch_then_back(make_stack: StackFactory) -> None:
    """WeChat unreachable for a stretch (seconds here, at a fast schedule; minutes to hours at
    production backoff): the worker backs off and probes with one row at a time instead of
    spending every row's attempts; when WeChat is back every notice arrives once, in order,
    and nothing was given up."""
    stack = await make_stack(**{
        "delivery.retry.max_attempts": 40,
        "delivery.retry.base_seconds": 0.05,
        "delivery.retry.max_seconds": 0.2,
    })
    residents = [f"oDown{n:02d}00000000000000000000" for n in range(4)]
    for n, openid in enumerate(residents):
        await stack.resident(openid, window=n % 2 == 0)
    for n in range(5):
        for openid in residents:
            await stack.notice(openid, f"{openid}:{n}", f"{openid[:7]}-{n}")
    stack.sim.add_fault("*", http_status=503, count=-1)
    worker = stack.worker()
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    await asyncio.sleep(2.0)
    failed_calls = len(stack.sim.calls)
    stack.sim.clear_faults()
    await stack.worker().drain(within=60)  # (a second worker helps; the first keeps going)
    stop.set()
    await running
    # four residents' first notices tried together would be ~4 calls per pause; probing is 1
    assert 0 < failed_calls <= 25
    for openid in residents:
        assert stack.texts(openid) == [f"{openid[:7]}-{n}" for n in range(5)]
    rows = await stack.rows()
    assert {r.status for r in rows} == {OutboxStatus.SENT}


async def test_old_template_in_doubt_is_not_resent(make_stack: StackFactory) -> None:
    """A template call in doubt for longer than WeChat's 10-minute client_msg_id memory (all
    workers were down) falls under in_doubt: skip like a chat message."""
    from sqlalchemy import update

    from bot.delivery.models import DeliveryAttempt

    stack = await make_stack()
    await stack.resident(A, window=False)
    await stack.notice(A, "old", "您的工单已办结")
    row = await stack.row("old")
    async with stack.db.session() as session:
        session.add(DeliveryAttempt(outbox_id=row.id, channel="template", worker="dead",
                                    client_msg_id=client_msg_id_for("old"),
                                    started_at=utcnow() - timedelta(minutes=20)))
        await session.execute(update(type(row)).where(type(row).id == row.id).values(
            status=OutboxStatus.SENDING, locked_by="dead", attempts=1,
            locked_until=utcnow() - timedelta(minutes=19)))
    await stack.worker().drain()
    row = await stack.row("old")
    assert (row.status, row.last_error.startswith(UNCONFIRMED_NOTE)) == (OutboxStatus.SENT, True)
    assert stack.delivered(A) == []  # (in this simulation the dead worker's call never left)


async def test_what_was_sent_joins_the_residents_chat_record(make_stack: StackFactory) -> None:
    """Staff read the resident's chat on the slip page: the notices sent to them belong in it,
    by whichever channel they went; a late reply is there already as the answer to the
    message it answers, and a notice that could not be delivered is not."""
    from bot.storage.messages import MessageLog

    stack = await make_stack()
    await stack.resident(A)
    await stack.resident(B, window=False)
    await stack.notice(A, "chat:reply", "师傅明天上午来修路灯。")
    await stack.notice(A, "chat:late", "迟到的自动回复", kind="late_reply")
    await stack.notice(B, "chat:closed", "您的交办单已办结：路灯已修复。", kind="closed",
                       template_data={"number": "JB2026112500017", "status": "已办结"})
    await stack.notice("oNobody0000000000000000000000", "chat:nobody", "没人收")
    await stack.worker().drain()
    log = MessageLog(stack.db)
    [a_line] = await log.transcript(A)
    assert (a_line.direction, a_line.channel, a_line.content) == (
        "out", "custom", "师傅明天上午来修路灯。")
    [b_line] = await log.transcript(B)
    assert (b_line.direction, b_line.channel, b_line.content) == (
        "out", "template", "您的交办单已办结：路灯已修复。")
    assert b_line.payload["kind"] == "closed" and b_line.msg_type == "text"
