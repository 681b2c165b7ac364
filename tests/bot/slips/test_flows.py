"""Whole lives of slips: the survey loop, duplicates, withdrawal, follow-ups, what is pushed."""

from __future__ import annotations

import pytest

from bot.slips.errors import InvalidInput, TransitionNotAllowed
from tests.bot.slips.conftest import (
    DISPATCHER,
    HANDLER,
    OTHER_RESIDENT,
    RESIDENT,
    SUPERVISOR,
    SYSTEM,
    Slips,
)


async def _closed(slips: Slips, **kwargs):  # type: ignore[no-untyped-def]
    view = await slips.issue(**kwargs)
    await slips.service.act(view.number, "sign", HANDLER, data={"contact": "023-67001234"})
    await slips.service.act(view.number, "start", HANDLER)
    await slips.service.act(view.number, "reply", HANDLER, note="已派人查看")
    return await slips.service.act(view.number, "close", HANDLER, data={"result": "更换了灯泡"})


async def test_closing_pushes_the_result_and_the_survey(slips: Slips) -> None:
    view = await _closed(slips)
    assert view.status == "awaiting_survey" and view.resident_status == "待评价"
    kinds = [(n.kind, n.audience) for n in await slips.outbox(view.number)]
    assert kinds == [("signed", "resident"), ("reply", "resident"), ("closed", "resident"),
                     ("survey", "resident")]
    texts = {n.kind: n.text for n in await slips.outbox(view.number)}
    assert "023-67001234" in texts["signed"] and "张三" in texts["signed"]
    assert "已派人查看" in texts["reply"]
    assert "1 满意" in texts["survey"] and "3 不满意" in texts["survey"]
    assert view.last_staff_reply == "更换了灯泡"


async def test_a_satisfied_resident_ends_the_loop(slips: Slips) -> None:
    view = await _closed(slips)
    rated = await slips.service.act(view.number, "survey", RESIDENT,
                                    data={"verdict": "基本满意", "solved": "是"})
    assert (rated.status, rated.satisfaction, rated.solved) == ("rated", "基本满意", True)
    archived = await slips.service.act(view.number, "archive", SYSTEM)
    assert archived.status == "archived" and archived.satisfaction == "基本满意"


async def test_an_unsatisfied_resident_reopens_the_slip(slips: Slips) -> None:
    view = await _closed(slips)
    reopened = await slips.service.act(view.number, "survey", RESIDENT,
                                       data={"verdict": "不满意", "solved": False},
                                       note="灯还是不亮")
    assert reopened.status == "dispatched" and reopened.reopen_count == 1
    assert reopened.satisfaction is None  # the new verdict is pending
    events = await slips.events(view.number)
    assert [(e.action, e.actor_kind) for e in events[-2:]] == [("survey", "resident"),
                                                              ("reopen", "system")]
    assert events[-2].data == {"verdict": "不满意", "solved": False}
    assert events[-1].note == "居民评价不满意：灯还是不亮"
    pushed = [(n.kind, n.audience) for n in await slips.outbox(view.number)][-2:]
    assert pushed == [("reopened", "resident"), ("reopened_staff", "staff")]


async def test_after_two_reopens_a_supervisor_decides(slips: Slips) -> None:
    view = await _closed(slips)
    for _ in range(2):
        await slips.service.act(view.number, "survey", RESIDENT, data={"verdict": "不满意"})
        await slips.service.act(view.number, "sign", HANDLER)
        await slips.service.act(view.number, "close", HANDLER, data={"result": "再次处理"})
    third = await slips.service.act(view.number, "survey", RESIDENT, data={"verdict": "不满意"})
    assert third.status == "rated" and third.satisfaction == "不满意" and third.reopen_count == 2
    again = await slips.service.act(view.number, "reopen", SUPERVISOR, note="督办要求重办")
    assert again.reopen_count == 3


async def test_unanswered_surveys_are_never_counted_as_satisfied(slips: Slips) -> None:
    view = await _closed(slips)
    await slips.service.act(view.number, "remind_survey", SYSTEM)
    assert (await slips.outbox(view.number))[-1].kind == "survey_reminder"
    expired = await slips.service.act(view.number, "expire_survey", SYSTEM)
    assert (expired.status, expired.satisfaction) == ("archived", "未评价")


async def test_a_survey_needs_a_known_verdict(slips: Slips) -> None:
    view = await _closed(slips)
    with pytest.raises(InvalidInput) as exc:
        await slips.service.act(view.number, "survey", RESIDENT, data={"verdict": "还行"})
    assert exc.value.field == "verdict"


async def test_merging_a_duplicate_closes_it_and_points_at_the_kept_slip(slips: Slips) -> None:
    kept = await slips.issue("建新北路12号路灯坏了")
    dup = await slips.issue("建新北路12号门口路灯不亮", openid=OTHER_RESIDENT.id)
    merged = await slips.service.act(dup.number, "merge", DISPATCHER, data={"into": kept.number})
    assert merged.status == "merged" and merged.merged_into == kept.number
    assert merged.resident_status == "已合并办理" and merged.cluster_id is not None
    kept_now = await slips.service.get(kept.number, DISPATCHER)
    assert kept_now.cluster_id == merged.cluster_id
    assert (await slips.events(kept.number))[-1].action == "merge_in"
    [notice] = await slips.outbox(dup.number)
    assert notice.kind == "merged" and notice.openid == OTHER_RESIDENT.id
    assert kept.number in notice.text

    # The duplicate's resident hears the kept slip's result too.
    await slips.service.act(kept.number, "sign", HANDLER)
    await slips.service.act(kept.number, "close", HANDLER, data={"result": "已修复"})
    closed = [n for n in await slips.outbox(kept.number) if n.kind == "closed"]
    assert sorted(n.openid for n in closed) == sorted([RESIDENT.id, OTHER_RESIDENT.id])

    with pytest.raises(TransitionNotAllowed):
        await slips.service.act(dup.number, "followup", OTHER_RESIDENT, note="还没修")


async def test_a_slip_cannot_be_merged_into_itself_or_a_closed_slip(slips: Slips) -> None:
    view = await slips.issue()
    done = await slips.issue("另一件")
    await slips.service.act(done.number, "withdraw", RESIDENT)
    for into in (view.number, done.number, "JB2099010100001"):
        with pytest.raises(InvalidInput) as exc:
            await slips.service.act(view.number, "merge", DISPATCHER, data={"into": into})
        assert exc.value.field == "into"


async def test_merging_into_a_merged_slip_names_where_it_went(slips: Slips) -> None:
    kept = await slips.issue()
    dup = await slips.issue("路灯又坏了", openid=OTHER_RESIDENT.id)
    third = await slips.issue("路灯不亮")
    await slips.service.act(dup.number, "merge", DISPATCHER, data={"into": kept.number})
    with pytest.raises(InvalidInput) as exc:
        await slips.service.act(third.number, "merge", DISPATCHER, data={"into": dup.number})
    assert exc.value.message == (f"交办单 {dup.number} 已合并到交办单 {kept.number}，"
                                 "请选择仍在办理的交办单")
    await slips.service.act(kept.number, "withdraw", RESIDENT)
    with pytest.raises(InvalidInput) as exc:
        await slips.service.act(third.number, "merge", DISPATCHER, data={"into": kept.number})
    assert exc.value.message == f"交办单 {kept.number} 已撤销，请选择仍在办理的交办单"


async def test_linking_similar_slips_puts_them_in_one_cluster(slips: Slips) -> None:
    a = await slips.issue("观音桥步行街噪音")
    b = await slips.issue("观音桥步行街晚上很吵", openid=OTHER_RESIDENT.id)
    c = await slips.issue("步行街广场舞噪音")
    await slips.service.act(a.number, "link", DISPATCHER, data={"with": b.number})
    await slips.service.act(c.number, "link", DISPATCHER, data={"with": a.number})
    clusters = {(await slips.service.get(n, DISPATCHER)).cluster_id
                for n in (a.number, b.number, c.number)}
    assert len(clusters) == 1 and None not in clusters
    assert (await slips.events(b.number))[-1].action == "link"


async def test_a_resident_withdraws_and_the_department_is_told(slips: Slips) -> None:
    view = await slips.issue()
    await slips.service.act(view.number, "sign", HANDLER)
    gone = await slips.service.act(view.number, "withdraw", RESIDENT, note="已经自己解决了")
    assert gone.status == "withdrawn" and not gone.is_open and gone.closed_at is not None
    kinds = [(n.kind, n.audience) for n in await slips.outbox(view.number)][-2:]
    assert kinds == [("withdrawn", "resident"), ("withdrawn_staff", "staff")]


async def test_staff_must_give_a_reason_to_withdraw_and_the_resident_reads_it(
    slips: Slips,
) -> None:
    view = await slips.issue()
    await slips.service.act(view.number, "sign", HANDLER)
    before = await slips.outbox(view.number)
    with pytest.raises(InvalidInput) as refused:
        await slips.service.act(view.number, "withdraw", DISPATCHER, note="   ")
    assert refused.value.field == "note" and refused.value.message == "请填写撤销原因"
    assert (await slips.service.get(view.number, DISPATCHER)).status == "signed"
    assert len(await slips.outbox(view.number)) == len(before)
    specs = await slips.service.actions_for(view.number, DISPATCHER)
    withdraw = next(s for s in specs if s.code == "withdraw")
    assert withdraw.fields[0].required and withdraw.confirm
    gone = await slips.service.act(view.number, "withdraw", DISPATCHER,
                                   note="与交办单JB1重复，已在该单办理")
    assert gone.status == "withdrawn"
    texts = {n.kind: n.text for n in await slips.outbox(view.number)}
    assert texts["withdrawn"] == (f"您的交办单 {view.number} 已撤销。撤销原因：与交办单JB1重复，"
                                  "已在该单办理。如有需要，欢迎随时再次反映。")
    assert "已由派单员小王撤销" in texts["withdrawn_staff"]
    assert "与交办单JB1重复" in texts["withdrawn_staff"]


async def test_a_resident_withdrawing_without_a_reason_reads_no_empty_reason(
    slips: Slips,
) -> None:
    view = await slips.issue()
    await slips.service.act(view.number, "withdraw", RESIDENT)
    texts = {n.kind: n.text for n in await slips.outbox(view.number)}
    assert texts["withdrawn"] == f"您的交办单 {view.number} 已撤销。如有需要，欢迎随时再次反映。"


async def test_follow_ups_attach_text_and_photos_and_reach_the_department(slips: Slips) -> None:
    view = await slips.issue(media=[{"type": "image", "media_id": "MEDIA1"}])
    after = await slips.service.act(view.number, "followup", RESIDENT, note="晚上更暗了",
                                    data={"media": [{"type": "image", "media_id": "MEDIA2"}]})
    assert [m["media_id"] for m in after.media] == ["MEDIA1", "MEDIA2"]
    [notice] = await slips.outbox(view.number)
    assert notice.audience == "staff" and "晚上更暗了" in notice.text
    with pytest.raises(InvalidInput):
        await slips.service.act(view.number, "followup", RESIDENT)
    with pytest.raises(InvalidInput):
        await slips.service.act(view.number, "followup", RESIDENT,
                                data={"media": [{"type": "exe", "media_id": "x"}]})


async def test_a_transfer_tells_the_resident_and_the_new_department(slips: Slips) -> None:
    view = await slips.issue()
    await slips.service.act(view.number, "sign", HANDLER)
    moved = await slips.service.act(view.number, "transfer", DISPATCHER, note="属环保",
                                    data={"department": "D-STHJ"})
    assert moved.status == "dispatched" and moved.signed_at is None
    assert moved.due_at == view.due_at  # the resident's completion limit does not restart
    pushed = [(n.kind, n.audience, n.template_data.get("department"))
              for n in await slips.outbox(view.number)][-2:]
    assert pushed == [("transferred", "resident", None), ("transferred_staff", "staff", "D-STHJ")]
    with pytest.raises(InvalidInput):
        await slips.service.act(view.number, "transfer", DISPATCHER, note="x",
                                data={"department": "D-STHJ"})


@pytest.mark.parametrize("contact", ["13700002222", "李师傅 137 0000 2222", "023-67891234",
                                     "(023)67891234-806", "０２３－６７８９１２３４"])
async def test_a_handlers_contact_may_be_a_mobile_or_a_landline_with_a_name(
    slips: Slips, contact: str
) -> None:
    view = await slips.issue()
    signed = await slips.service.act(view.number, "sign", HANDLER, data={"contact": contact})
    assert signed.status == "signed"


@pytest.mark.parametrize("contact", ["啊啊啊啊不是电话", "67891234", "12345", "2026-03-05"])
async def test_a_handlers_contact_without_a_phone_number_is_refused(
    slips: Slips, contact: str
) -> None:
    view = await slips.issue()
    with pytest.raises(InvalidInput) as refused:
        await slips.service.act(view.number, "sign", HANDLER, data={"contact": contact})
    assert refused.value.field == "contact" and "应包含电话号码" in refused.value.message
    assert (await slips.service.get(view.number, HANDLER)).status == "dispatched"
    assert await slips.outbox(view.number) == []
