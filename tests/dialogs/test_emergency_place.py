"""A danger told without its place, by a resident whose report in progress or open slip has
one: the emergency slip asks "是在…吗" and a "是" puts that place on it (the twelfth session's
note: the chat asked where as if it knew nothing)."""

from __future__ import annotations

from tests.dialogs.conftest import Resident, issued
from tests.dialogs.fakes import FakeDesk


async def test_yes_puts_the_open_slips_place_on_the_emergency_slip(
    resident: Resident, desk: FakeDesk
) -> None:
    number = await issued(resident, desk)
    place = desk.slips[number].draft.location_text
    reply = await resident.say("快来人，楼下着火了")
    fire = desk.of(resident.openid)[-1]
    assert fire.number != number and reply.startswith("请立即拨打119")
    assert f"是在“{place}”吗" in reply and "回复“是”" in reply
    reply = await resident.say("是的")
    assert f"已把地点“{place}”补充到交办单 {fire.number}" in reply
    assert fire.details[-1]["location_text"] == place
    assert fire.followups[-1][0] == f"居民确认地点：{place}"
    assert desk.slips[number].followups == []  # the old slip is left alone
    # the offer is spent: a later "是" is not taken for it again
    assert "补充到交办单" not in await resident.say("是")


async def test_another_place_given_instead_is_the_one_taken(
    resident: Resident, desk: FakeDesk
) -> None:
    await issued(resident, desk)
    await resident.say("快来人，楼下着火了")
    fire = desk.of(resident.openid)[-1]
    reply = await resident.say("不是，是鲤鱼池小区5栋")
    assert "已把地点“鲤鱼池小区5栋”补充到交办单" in reply
    assert fire.details[-1]["location_text"] == "鲤鱼池小区5栋"


async def test_a_yes_with_more_keeps_the_more(resident: Resident, desk: FakeDesk) -> None:
    number = await issued(resident, desk)
    place = desk.slips[number].draft.location_text
    await resident.say("快来人，楼下着火了")
    fire = desk.of(resident.openid)[-1]
    await resident.say("对 就在楼下垃圾桶那里")
    assert fire.followups[-1][0] == f"居民确认地点：{place}。就在楼下垃圾桶那里"


async def test_the_report_in_progress_offers_its_place(resident: Resident,
                                                       desk: FakeDesk) -> None:
    await resident.say("路灯坏了")
    await resident.say("建新北路12号3单元")
    reply = await resident.say("等一下，我家煤气泄漏了")
    assert reply.startswith("请立即拨打119")
    assert "是在“建新北路12号3单元”吗" in reply
    (gas,) = desk.of(resident.openid)
    assert "补充到交办单" in await resident.say("是")
    assert gas.details[-1]["location_text"] == "建新北路12号3单元"


async def test_without_a_known_place_the_place_is_asked_as_before(
    resident: Resident, desk: FakeDesk
) -> None:
    reply = await resident.say("我家煤气泄漏了")
    assert "具体地点和联系电话" in reply and "是在“" not in reply
    assert "补充到交办单" not in await resident.say("是")
