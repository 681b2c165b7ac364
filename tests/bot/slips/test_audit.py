"""The audit chain and the command line: `minyi audit verify` finds tampering,
`minyi slips show/list --json` print what the service holds."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import text

from bot.cli import main
from bot.slips.audit import GENESIS
from bot.slips.service import SlipService
from bot.storage import Database
from bot.storage.types import utcnow
from tests.bot.slips.conftest import HANDLER, RESIDENT, Clock, draft
from tests.conftest import make_settings


def _run(url: str, pack, work, clock: Clock | None = None):  # type: ignore[no-untyped-def]
    """Run `work(service, db)` in its own event loop (the CLI below uses asyncio.run too)."""

    async def go():  # type: ignore[no-untyped-def]
        db = Database.open(url)
        try:
            return await work(SlipService(db, settings=make_settings(), clock=clock or Clock(),
                                          pack=pack), db)
        finally:
            await db.close()

    return asyncio.run(go())


async def _history(service: SlipService, _db: Database) -> list[str]:
    first = await service.issue(draft())
    await service.act(first.number, "sign", HANDLER)
    await service.act(first.number, "reply", HANDLER, note="明天来修")
    await service.act(first.number, "close", HANDLER, data={"result": "修好了"})
    await service.act(first.number, "survey", RESIDENT, data={"verdict": "满意"})
    second = await service.issue(draft("噪音扰民"))
    return [first.number, second.number]


async def _sql(_service: SlipService, db: Database, statement: str) -> None:
    async with db.session() as session:
        await session.execute(text(statement))


@pytest.fixture
def cli(db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MINYI_DATABASE_URL", db_url)
    monkeypatch.delenv("MINYI_CONFIG", raising=False)

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def test_events_form_a_hash_chain(db_url: str, pack) -> None:  # type: ignore[no-untyped-def]
    async def work(service: SlipService, db: Database):  # type: ignore[no-untyped-def]
        [number, _] = await _history(service, db)
        async with db.session() as session:
            rows = (await session.execute(text(
                "SELECT e.seq, e.prev_hash, e.hash FROM slip_event e JOIN slip s "
                "ON s.id = e.slip_id WHERE s.number = :n ORDER BY e.seq"), {"n": number})).all()
            head = (await session.execute(text(
                "SELECT event_count, chain_head FROM slip WHERE number = :n"), {"n": number})).one()
        return rows, head

    rows, head = _run(db_url, pack, work)
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5, 6, 7]
    assert rows[0].prev_hash == GENESIS
    assert all(rows[i].prev_hash == rows[i - 1].hash for i in range(1, len(rows)))
    assert len({r.hash for r in rows}) == len(rows)
    assert tuple(head) == (7, rows[-1].hash)


def test_audit_verify_passes_on_untouched_chains(db_url: str, pack, cli) -> None:  # type: ignore[no-untyped-def]
    _run(db_url, pack, _history)
    code, out, _ = cli("audit", "verify")
    assert code == 0 and "2 slips" in out


@pytest.mark.parametrize("tamper,seq", [
    pytest.param("UPDATE slip_event SET note = '没有问题' WHERE seq = 3", 3, id="note-edited"),
    pytest.param("UPDATE slip_event SET actor_name = '别人' WHERE seq = 4", 4, id="actor-edited"),
    pytest.param("UPDATE slip_event SET at = at + interval '1 hour' WHERE seq = 2", 2,
                 id="time-moved"),
    pytest.param("DELETE FROM slip_event WHERE seq = 2", 2, id="event-removed"),
    pytest.param("DELETE FROM slip_event WHERE seq = 7", 7, id="last-event-removed"),
])
def test_audit_verify_finds_tampering(db_url: str, pack, cli, tamper: str, seq: int) -> None:  # type: ignore[no-untyped-def]
    if db_url.startswith("sqlite") and "interval" in tamper:
        tamper = "UPDATE slip_event SET at = datetime(at, '+1 hour') WHERE seq = 2"
    [number, other] = _run(db_url, pack, _history)
    where = f" AND slip_id = (SELECT id FROM slip WHERE number = '{number}')"
    _run(db_url, pack, lambda s, db: _sql(s, db, tamper + where))

    code, out, err = cli("audit", "verify")
    assert code == 1
    assert f"BROKEN {number} seq {seq}:" in out
    assert other not in out and "1 of 2 slips" in err
    code, out, _ = cli("audit", "verify", "--slip", other)
    assert code == 0


@pytest.mark.parametrize("tamper,reason", [
    pytest.param("UPDATE slip SET satisfaction = '不满意'", "satisfaction '不满意'",
                 id="rating-changed"),
    pytest.param("UPDATE slip SET status = 'archived'", "status 'archived'",
                 id="status-changed"),
])
def test_audit_verify_finds_a_row_changed_beside_an_intact_chain(  # type: ignore[no-untyped-def]
    db_url: str, pack, cli, tamper: str, reason: str
) -> None:
    [number, other] = _run(db_url, pack, _history)
    _run(db_url, pack, lambda s, db: _sql(s, db, tamper + f" WHERE number = '{number}'"))

    code, out, _ = cli("audit", "verify")
    assert code == 1
    assert f"BROKEN {number} seq 7: the slip's {reason}" in out
    assert other not in out


def test_audit_verify_follows_reopen_and_rerating(db_url: str, pack, cli) -> None:  # type: ignore[no-untyped-def]
    async def work(service: SlipService, db: Database) -> str:
        slip = await service.issue(draft())
        await service.act(slip.number, "sign", HANDLER)
        await service.act(slip.number, "close", HANDLER, data={"result": "修好了"})
        await service.act(slip.number, "survey", RESIDENT, data={"verdict": "不满意"})
        return slip.number

    number = _run(db_url, pack, work)
    code, out, _ = cli("slips", "show", number, "--json")
    assert json.loads(out)["satisfaction"] is None  # 不满意 reopened it
    code, out, _ = cli("audit", "verify")
    assert code == 0, out


def test_slips_show_and_list_print_json(db_url: str, pack, cli) -> None:  # type: ignore[no-untyped-def]
    [number, other] = _run(db_url, pack, _history)
    code, out, _ = cli("slips", "show", number, "--json")
    assert code == 0
    shown = json.loads(out)
    assert shown["number"] == number and shown["status"] == "rated"
    assert shown["satisfaction"] == "满意" and shown["result"] == "修好了"
    assert [e["action"] for e in shown["timeline"]] == [
        "accept", "dispatch", "sign", "reply", "close", "request_survey", "survey"
    ]
    code, out, _ = cli("slips", "list", "--json")
    assert code == 0
    listed = [json.loads(line) for line in out.splitlines()]
    assert {item["number"] for item in listed} == {number, other}
    code, out, _ = cli("slips", "list", "--json", "--status", "dispatched")
    assert [json.loads(line)["number"] for line in out.splitlines()] == [other]
    code, _, err = cli("slips", "show", "JB2099010100001", "--json")
    assert code == 1 and "no slip" in err


def test_slips_show_and_list_name_the_light_in_words(db_url: str, pack, cli) -> None:  # type: ignore[no-untyped-def]
    # issued now: the CLI reads the lights at the real time (with the fixed test clock, the
    # slip's response limit ran out in the real world and the light turned 黄灯 on 2026-11-26)
    [number, other] = _run(db_url, pack, _history, Clock(utcnow()))
    code, out, _ = cli("slips", "show", other)
    assert code == 0
    assert "绿灯" in out and "green" not in out
    code, out, _ = cli("slips", "list")
    assert code == 0 and "绿灯" in out and "green" not in out
