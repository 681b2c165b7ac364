"""Open311 GeoReport v2 read endpoints against the spec's field list, with the same
anonymisation as the public pages."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.config import Settings
from bot.slips.workflow import load_workflow
from tests.bot.stats.dataset import SECRETS, SLIPS
from tests.handlers.stats_app import stats_app
from tests.handlers.test_public import assert_no_secrets

# GeoReport v2 (wiki.open311.org/GeoReport_v2)
SERVICE_FIELDS = {"service_code", "service_name", "description", "metadata", "type", "keywords",
                  "group"}
REQUEST_FIELDS = {"service_request_id", "status", "status_notes", "service_name",
                  "service_code", "description", "agency_responsible", "service_notice",
                  "requested_datetime", "updated_datetime", "expected_datetime", "address",
                  "address_id", "zipcode", "lat", "long", "media_url"}
ALWAYS = {"service_request_id", "status", "service_name", "service_code",
          "requested_datetime", "updated_datetime", "agency_responsible", "address"}
PUBLISHED = {s.number for s in SLIPS if s.status != "withdrawn"}


@pytest.fixture
async def client(backend_settings: Settings) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(stats_app(backend_settings))) as c:
        yield c


async def get_json(client: TestClient, path: str, status: int = 200):
    response = await client.get(path)
    assert response.status == status, await response.text()
    assert response.content_type == "application/json"
    return await response.json()


def w3c(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    assert moment.tzinfo is not None, value
    return moment


async def test_services_are_the_first_level_categories(client: TestClient) -> None:
    services = await get_json(client, "/open311/v2/services.json")
    assert len(services) == 15
    for service in services:
        assert set(service) == SERVICE_FIELDS
        assert service["metadata"] is False and service["type"] == "realtime"
    city = next(s for s in services if s["service_name"] == "城乡建设")
    assert city["service_code"] == "cxjs" and "物业管理" in city["keywords"].split(",")


async def test_requests_follow_the_field_list(client: TestClient) -> None:
    requests = await get_json(client, "/open311/v2/requests.json")
    assert {r["service_request_id"] for r in requests} == PUBLISHED
    workflow = load_workflow()
    states = {s.number: s.status for s in SLIPS}
    for r in requests:
        assert set(r) <= REQUEST_FIELDS and set(r) >= ALWAYS, set(r) ^ REQUEST_FIELDS
        assert "media_url" not in r and "description" not in r
        assert r["status"] == workflow.states[states[r["service_request_id"]]].open311
        for field in ("requested_datetime", "updated_datetime", "expected_datetime"):
            assert w3c(r[field]).utcoffset().total_seconds() == 8 * 3600
        assert r["address"].startswith("重庆市江北区")
        assert r["lat"] == 29.57 and r["long"] == 106.53
    newest = [w3c(r["requested_datetime"]) for r in requests]
    assert newest == sorted(newest, reverse=True)


async def test_one_request_maps_the_slip_faithfully(client: TestClient) -> None:
    [r] = await get_json(client, "/open311/v2/requests/JB2026030200001.json")
    assert r == {
        "service_request_id": "JB2026030200001",
        "status": "closed",
        "status_notes": "已联系某先生，电话***，*栋*单元*室的路灯已修复。",
        "service_name": "城乡建设",
        "service_code": "cxjs",
        "agency_responsible": "区城市管理局",
        "requested_datetime": "2026-03-02T09:00:00+08:00",
        "updated_datetime": "2026-03-05T09:00:00+08:00",
        "expected_datetime": "2026-03-11T09:00:00+08:00",
        "address": "重庆市江北区观音桥街道",
        "lat": 29.57,
        "long": 106.53,
    }
    [still_open] = await get_json(client, "/open311/v2/requests/jb2026030500001.json")
    # handed to a department that has not signed it: not yet 办理中
    assert still_open["status"] == "open" and still_open["status_notes"] == "已转交部门"
    [queued] = await get_json(client, "/open311/v2/requests/JB2026030100001.json")
    assert queued["agency_responsible"] == "" and queued["status_notes"] == "已受理"


async def test_filters_status_service_and_dates(client: TestClient) -> None:
    def ids(rows):
        return {r["service_request_id"] for r in rows}

    opened = await get_json(client, "/open311/v2/requests.json?status=open")
    assert ids(opened) == {"JB2026030500001", "JB2026031800001", "JB2026031900001",
                           "JB2026030100001"}
    both = await get_json(client, "/open311/v2/requests.json?status=open,closed")
    assert ids(both) == PUBLISHED
    env = await get_json(client, "/open311/v2/requests.json?service_code=hjbh")
    assert ids(env) == {"JB2026030400001", "JB2026030500001", "JB2026030600001",
                        "JB2026030800001"}
    assert ids(await get_json(client, "/open311/v2/requests.json?service_code=环境保护")) == \
        ids(env)
    window = await get_json(
        client, "/open311/v2/requests.json?start_date=2026-03-01T00:00:00%2B08:00"
        "&end_date=2026-03-02T23:59:59%2B08:00")
    # 00:10 on 1 March (local) is in, 23:30 on 28 February is out
    assert ids(window) == {"JB2026030100001", "JB2026030200001"}
    utc = await get_json(client, "/open311/v2/requests.json?start_date=2026-02-28T15:00:00Z"
                         "&end_date=2026-02-28T16:00:00Z")
    assert ids(utc) == {"JB2026022800001"}
    some = await get_json(client, "/open311/v2/requests.json?service_request_id="
                          "JB2026030200001,JB2026031000001,JB2026030700001&status=open")
    # the id list overrides the other filters; the withdrawn one is not public
    assert ids(some) == {"JB2026030200001", "JB2026030700001"}


async def test_paging_extension(client: TestClient) -> None:
    response = await client.get("/open311/v2/requests.json?page_size=4")
    first = await response.json()
    assert len(first) == 4 and 'rel="next"' in response.headers["Link"]
    seen = [r["service_request_id"] for r in first]
    page = 2
    while True:
        response = await client.get(f"/open311/v2/requests.json?page_size=4&page={page}")
        rows = await response.json()
        seen += [r["service_request_id"] for r in rows]
        if "Link" not in response.headers:
            break
        page += 1
    assert len(seen) == len(set(seen)) == len(PUBLISHED)


BAD = [
    ("status=pending", "status"),
    ("service_code=nope", "service_code"),
    ("start_date=yesterday", "start_date"),
    ("start_date=2026-03-10&end_date=2026-03-01", "start_date"),
    ("page_size=5000", "page_size"),
    ("page=0", "page"),
]


async def test_bad_parameters_get_an_error_list(client: TestClient) -> None:
    for query, fragment in BAD:
        errors = await get_json(client, f"/open311/v2/requests.json?{query}", status=400)
        assert len(errors) == 1 and errors[0]["code"] == 400, query
        assert fragment in errors[0]["description"], query


async def test_unknown_things_get_open311_errors(client: TestClient) -> None:
    errors = await get_json(client, "/open311/v2/requests/JB2099010100001.json", status=404)
    assert errors[0]["code"] == 404
    assert (await get_json(client, "/open311/v2/requests/JB2026031000001.json", 404))  # withdrawn
    assert (await get_json(client, "/open311/v2/services/cxjs.json", 404))[0]["code"] == 404
    assert (await get_json(client, "/open311/v2/requests.csv", 404))[0]["code"] == 404
    response = await client.post("/open311/v2/requests.json", data={"service_code": "cxjs"})
    assert response.status == 403 and (await response.json())[0]["code"] == 403


async def test_xml_documents(client: TestClient) -> None:
    response = await client.get("/open311/v2/requests.xml?status=closed")
    assert response.content_type == "text/xml"
    root = ET.fromstring(await response.text())
    assert root.tag == "service_requests"
    records = root.findall("request")
    assert records and all({c.tag for c in r} <= REQUEST_FIELDS for r in records)
    assert {r.findtext("status") for r in records} == {"closed"}
    services = ET.fromstring(await (await client.get("/open311/v2/services.xml")).text())
    assert len(services.findall("service")) == 15
    assert services.find("service/metadata").text == "false"
    errors = ET.fromstring(await (await client.get("/open311/v2/requests.xml?page=x")).text())
    assert errors.tag == "errors" and errors.findtext("error/code") == "400"
    discovery = await get_json(client, "/open311/v2/discovery.json")
    assert discovery["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"


async def test_nothing_personal_in_any_document(client: TestClient) -> None:
    texts = []
    for path in ("/open311/v2/requests.json?status=open,closed",
                 "/open311/v2/requests.xml", "/open311/v2/services.json"):
        texts.append(await (await client.get(path)).text())
    for number in PUBLISHED:
        texts.append(await (await client.get(f"/open311/v2/requests/{number}.json")).text())
    for text in texts:
        assert_no_secrets(text)
        assert "29.5745" not in text and "106.5255" not in text  # exact coordinates
    assert all(s not in "".join(texts) for s in SECRETS)
