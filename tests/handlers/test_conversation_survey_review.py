"""The fifth product review (survey, status and contact) through the webhook with the real slip
desk, on SQLite and on PostgreSQL with Redis: a merged resident's 不满意 reopens the kept slip
and its own resident's "1" is still about it; staff reopening a rated slip; no phone, no call
promised; thanks after a rating; the state of a slip nobody has signed yet."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select

from bench.dialogs import Chat, Site
from bot.outbox.models import OutboxRow
from bot.slips.actor import Actor
from bot.stats.filters import StatsFilter
from bot.stats.labels import Labels
from bot.stats.queries import Statistics
from handlers import keys
from knowledge.pack import load_pack
from tests.handlers.chat import say

ADMIN = Actor(kind="staff", id="review", name="复核员", role="admin")





async def notices_to(site: Site, openid: str) -> list[str]:
    async with site.app[keys.DATABASE].session() as session:
        rows = await session.execute(select(OutboxRow.text).where(OutboxRow.openid == openid)
                                     .order_by(OutboxRow.id))
        return list(rows.scalars())


async def test_a_survey_answer_after_someone_elses_reopen_is_about_that_slip(site: Site) -> None:
    r2, r8 = Chat(site, "oReview5-r2"), Chat(site, "oReview5-r8")
    await say(r2, "建新北路12号门口垃圾堆了好几天没人清")
    await say(r2, "不留")
    await say(r2, "确认")
    await say(r8, "建新北路12号门口的垃圾没人清运，电话13812345678")
    await say(r8, "确认")
    (kept,), (dup,) = await site.slips_of(r2.openid), await site.slips_of(r8.openid)
    service = site.service()
    await site.staff(kept.number, "reply", note="马上安排")
    await service.act(dup.number, "merge", ADMIN, data={"into": kept.number})
    await site.staff(kept.number, "close")
    assert "重新交" in await say(r8, "3 还是脏得很，根本没人来")
    reply = await say(r2, "1")
    assert "请说说遇到了什么问题" not in reply
    assert f"交办单 {kept.number} 已经重新交" in reply and "再请您评价" in reply
    assert len(await site.slips_of(r2.openid)) == 1


async def test_staff_reopening_a_rated_slip_does_not_say_the_resident_objected(
    site: Site,
) -> None:
    chat = Chat(site, "oReview5-staff-reopen")
    await say(chat, "建新北路12号门口井盖丢了两天了，电话13812345678")
    await say(chat, "确认")
    (slip,) = await site.slips_of(chat.openid)
    await site.staff(slip.number, "close")
    assert "满意" in await say(chat, "1")
    await site.service().act(slip.number, "reopen", ADMIN, note="抽查发现井盖未固定")
    told = (await notices_to(site, chat.openid))[-1]
    assert "收到您的意见" not in told and "经工作人员复核" in told


async def test_no_phone_no_call_promised_and_the_unsigned_state(site: Site) -> None:
    chat = Chat(site, "oReview5-no-phone")
    await say(chat, "建新北路12号门口井盖丢了两天了")
    await say(chat, "不留")
    await say(chat, "确认")
    (slip,) = await site.slips_of(chat.openid)
    status = await say(chat, "我的工单")
    if slip.status == "dispatched":
        assert "等待签收" in status and "办理中" not in status
    assert "办理期限" in status and "与您联系" not in status
    await site.staff(slip.number, "reply", note="收到")  # dispatches it if needed
    await site.service().act(slip.number, "sign", ADMIN)
    signed = (await notices_to(site, chat.openid))[-1]
    assert "在微信里回复您" in signed and "与您联系" not in signed
    answer = await say(chat, "哪个部门在管我这个事 电话多少")
    assert slip.number in answer and "办理期限" in answer and "已补充" not in answer


async def test_thanks_after_a_rating_is_no_second_rating(site: Site) -> None:
    chat = Chat(site, "oReview5-thanks")
    await say(chat, "建新北路12号门口井盖丢了两天了，电话13812345678")
    await say(chat, "确认")
    (slip,) = await site.slips_of(chat.openid)
    await site.staff(slip.number, "close")
    assert "基本满意" in await say(chat, "2")
    assert "评价已改为" not in await say(chat, "谢谢你们哈")
    assert "评价已改为“满意”" in await say(chat, "改成满意")
    stats = Statistics(site.app[keys.DATABASE], workflow=site.service().workflow,
                       labels=Labels.from_pack(load_pack()), tz=ZoneInfo("Asia/Shanghai"))
    total = await stats.total(StatsFilter())  # this test's database: this slip only
    assert (total.answered, total.satisfied, total.very_satisfied) == (1, 1, 1)


async def test_a_comment_said_with_a_satisfied_rating_is_kept_on_the_slip(site: Site) -> None:
    """"还行吧 就是来得有点慢" was recorded as 基本满意 and the rest was lost (12th session's
    demo walk): the staff now read it with the rating."""
    chat = Chat(site, "oReview5-comment")
    await say(chat, "建新北路12号门口井盖丢了两天了，电话13812345678")
    await say(chat, "确认")
    (slip,) = await site.slips_of(chat.openid)
    await site.staff(slip.number, "close")
    reply = await say(chat, "还行吧 就是来得有点慢")
    assert "已记录为“基本满意”" in reply and "意见也记在交办单上" in reply
    events = await site.service().timeline(slip.number, ADMIN)
    survey = [e for e in events if e.action == "survey"]
    assert [(e.data.get("verdict"), e.note) for e in survey] == [("基本满意", "就是来得有点慢")]
