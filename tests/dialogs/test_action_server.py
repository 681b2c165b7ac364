"""The same actions behind rasa-sdk's action server, called the way Rasa calls them."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import rasa_sdk

from dialogs.domain import FORM, initial_slots
from dialogs.kit import DialogKit
from dialogs.server import action_server, domain_of
from tests.dialogs.fakes import FakeDesk

REPO = Path(__file__).resolve().parents[2]


def action_call(action: str, slots: dict[str, Any], *, text: str, new: dict[str, Any],
                kit: DialogKit, sender: str = "oRasaUser") -> dict[str, Any]:
    """A request body as Rasa's action server client sends it (tracker.current_state())."""
    events: list[dict[str, Any]] = [
        {"event": "action", "name": "action_listen", "timestamp": 1.0},
        {"event": "user", "text": text, "timestamp": 2.0,
         "parse_data": {"intent": {"name": "report", "confidence": 0.9}, "entities": []}},
        {"event": "active_loop", "name": FORM, "timestamp": 3.0},
    ]
    events += [{"event": "slot", "name": k, "value": v, "timestamp": 4.0} for k, v in new.items()]
    return {
        "next_action": action,
        "sender_id": sender,
        "version": rasa_sdk.__version__,
        "domain": domain_of(kit),
        "tracker": {
            "sender_id": sender,
            "slots": {**initial_slots(), **slots, **new},
            "latest_message": {"text": text, "intent": {"name": "report", "confidence": 0.9},
                               "entities": [], "message_id": "m1",
                               "metadata": {"dedupe_key": f"{sender}:m:1"}},
            "latest_event_time": 4.0,
            "followup_action": None,
            "paused": False,
            "events": events,
            "latest_input_channel": "rest",
            "active_loop": {"name": FORM},
            "latest_action": {"action_name": "action_listen"},
            "latest_action_name": "action_listen",
        },
    }


async def test_rasa_runs_the_form_validation_and_the_submission(kit: DialogKit,
                                                                desk: FakeDesk) -> None:
    async with action_server(kit, "127.0.0.1", 0) as port, aiohttp.ClientSession() as http:
        base = f"http://127.0.0.1:{port}"
        async with http.get(f"{base}/health") as response:
            assert (await response.json()) == {"status": "ok"}
        async with http.get(f"{base}/actions") as response:
            names = {a["name"] for a in await response.json()}
        assert {"validate_complaint_form", "action_ask_location", "action_submit_complaint",
                "action_emergency", "action_query_status"} <= names

        text = "建新北路12号门口井盖丢了"
        body = action_call("validate_complaint_form", {}, text=text, kit=kit, new={
            "description": text, "location": "建新北路12号门口", "contact_phone": "138-1234-5678",
        })
        async with http.post(f"{base}/webhook", json=body) as response:
            assert response.status == 200
            result = await response.json()
        slots = {e["name"]: e["value"] for e in result["events"] if e["event"] == "slot"}
        assert slots["contact_phone"] == "13812345678"
        assert slots["location"]["area"]["street"] == "观音桥街道"
        assert slots["requested_slot"] is None and result["responses"] == []

        body = action_call("action_submit_complaint", slots, text="确认", new={}, kit=kit)
        async with http.post(f"{base}/webhook", json=body) as response:
            result = await response.json()
        (slip,) = desk.of("oRasaUser")
        assert slip.number in result["responses"][0]["text"]
        assert {"event": "slot", "name": "last_slip", "value": slip.number} in [
            {k: e[k] for k in ("event", "name", "value")} for e in result["events"]
            if e["event"] == "slot"
        ]

        body = action_call("action_ask_location", {}, text="路灯坏了", new={}, kit=kit)
        async with http.post(f"{base}/webhook", json=body) as response:
            result = await response.json()
        assert "什么地方" in result["responses"][0]["text"]

        body["next_action"] = "action_no_such_thing"
        async with http.post(f"{base}/webhook", json=body) as response:
            assert response.status == 404


async def test_minyi_actions_serves_them_with_the_real_slip_desk(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'actions.db'}"
    env = {**os.environ, "MINYI_DATABASE_URL": url, "PYTHONPATH": str(REPO)}
    upgrade = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "db", "upgrade", env=env, cwd=REPO,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )
    assert await upgrade.wait() == 0
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "actions", "--port", "0", env=env, cwd=REPO,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        line = ""
        while "Rasa action server" not in line:
            raw = await asyncio.wait_for(process.stdout.readline(), 60)
            if not raw:
                pytest.fail("minyi actions exited before serving")
            line = raw.decode()
        base = re.search(r"(http://[^/]+)/webhook", line).group(1)  # type: ignore[union-attr]
        kit = DialogKit.load(FakeDesk())
        text = "鲤鱼池小区5栋楼下着火了"
        body = action_call("action_emergency", {}, text=text, new={}, kit=kit, sender="oCli")
        async with aiohttp.ClientSession() as http, http.post(f"{base}/webhook",
                                                              json=body) as response:
            assert response.status == 200
            result = await response.json()
        texts = [r["text"] for r in result["responses"]]
        assert texts[0].startswith("情况紧急") and "119" in texts[0]
        assert re.search(r"特急交办单，单号 JB\d{13}", texts[1])
    finally:
        process.terminate()
        await process.wait()
