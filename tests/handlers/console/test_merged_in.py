"""The kept slip's page lists the slips merged into it (合并进来的交办单): number, what the
resident said, phone (masked where the staff member may not open the duplicate)."""

from __future__ import annotations

import re

import pytest
from aiohttp.test_utils import TestClient

from tests.handlers.staff_app import NewBrowser, add_member, issue_slip, signed_in


@pytest.fixture
async def people(client: TestClient) -> None:
    await add_member(client, "cg", "handler", "D-CGJ", "城管李科长")
    await add_member(client, "pd", "dispatcher", "D-MYZX", "派单员小王")


def merged_rows(page: str) -> list[list[str]]:
    section = re.search(r'<section class="card" id="merged-in">(.*?)</section>', page, re.S)
    assert section, "no 合并进来的交办单 section"
    body = section.group(1).split("<tbody>", 1)[1]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    return [[re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", c)).strip()
             for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)] for row in rows]


async def test_the_kept_slip_lists_what_was_merged_into_it(
    client: TestClient, people: None, browsers: NewBrowser
) -> None:
    # the kept slip has no phone; the duplicate (still in the queue, no department) has one
    kept = await issue_slip(client, "建新北路路灯不亮", key="kept", phone=None)
    twin = await issue_slip(client, "建新北路12号门口的路灯晚上不亮", key="twin", low_confidence=True,
                            openid="oResident0000000000000002", phone="13912345678")
    pd = await signed_in(browsers, client, "pd")
    _, page = await pd.get(f"/console/slips/{kept.number}")
    assert 'id="merged-in"' not in page  # nothing merged yet
    await pd.get(f"/console/slips/{twin.number}")
    response, _ = await pd.post(f"/console/slips/{twin.number}/actions/merge",
                                {"into": kept.number, "note": "同一路灯"})
    assert response.status == 200

    _, page = await pd.get(f"/console/slips/{kept.number}")
    assert "合并进来的交办单（1 张）" in page
    [row] = merged_rows(page)
    assert row[:3] == [twin.number, "建新北路12号门口的路灯晚上不亮", "13912345678"]
    assert f'<a href="/console/slips/{twin.number}">{twin.number}</a>' in page
    # the kept slip's own phone: none, and the page says where one is
    phone = re.search(r'<dd id="phone">(.*?)</dd>', page, re.S).group(1)
    assert phone.startswith("—") and 'href="#merged-in"' in phone
    # the duplicate's own page lists nothing (and keeps its link to the kept slip)
    _, page = await pd.get(f"/console/slips/{twin.number}")
    assert 'id="merged-in"' not in page and f'href="/console/slips/{kept.number}"' in page

    # the handler of the kept slip may not open the duplicate (it never had a department):
    # its words are there, its phone masked, no link to a page that would refuse them
    cg = await signed_in(browsers, client, "cg")
    _, page = await cg.get(f"/console/slips/{kept.number}")
    [row] = merged_rows(page)
    assert row[:3] == [twin.number, "建新北路12号门口的路灯晚上不亮", "139****5678"]
    assert f'href="/console/slips/{twin.number}"' not in page
    assert "13912345678" not in page
    assert (await cg.get(f"/console/slips/{twin.number}"))[0].status == 403


async def test_a_slip_with_its_own_phone_gets_no_phone_hint(
    client: TestClient, people: None, browsers: NewBrowser
) -> None:
    kept = await issue_slip(client, "路灯不亮", key="kept", phone="13800138000")
    twin = await issue_slip(client, "路灯还是不亮", key="twin", openid="oResident0000000000000002",
                            phone=None)
    pd = await signed_in(browsers, client, "pd")
    await pd.get(f"/console/slips/{twin.number}")
    await pd.post(f"/console/slips/{twin.number}/actions/merge", {"into": kept.number})
    _, page = await pd.get(f"/console/slips/{kept.number}")
    assert re.search(r'<dd id="phone">13800138000</dd>', page)
    [row] = merged_rows(page)
    assert row[:3] == [twin.number, "路灯还是不亮", "—"]
