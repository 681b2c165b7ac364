"""`minyi classify` end to end, as a separate process reading stdin."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO


def _classify(stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "classify"],
        input=stdin, capture_output=True, text=True, cwd=REPO, timeout=120, check=False,
    )


def test_classify_json_lines_in_and_out() -> None:
    done = _classify(
        "厨房里一股很重的煤气味，是不是漏气了\n"
        '{"text": "建新北路12号门口的路灯坏了三天了"}\n'
        "\n"
        '{"text": "我们工地几十个工人三个月没发工资了"}\n'
    )
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(rows) == 3  # the blank line is skipped, outputs stay aligned
    for row in rows:
        for key in ("category", "request_type", "urgency", "complexity", "universality",
                    "departments", "handling_level", "response_due_hours",
                    "due_working_days", "advice", "explanation"):
            assert key in row
        assert isinstance(row["category"], list) and row["category"]
        lead = row["departments"][0]
        assert lead["role"] == "主办" and lead["name"] and lead["code"] and lead["level"]
    gas, lamp, wages = rows
    assert gas["urgency"] == "特急" and "119" in gas["advice"]
    assert lamp["urgency"] == "一般" and lamp["category"][0] == "城乡建设"
    assert "路灯" in lamp["category"]
    assert wages["category"][0] == "劳动和社会保障"
    assert wages["universality"] in ("多人", "群体")


def test_bad_lines_get_an_error_object_and_status_one() -> None:
    done = _classify('{"text": 5}\n{not json\n路面有个大坑\n')
    assert done.returncode == 1
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [("error" in row) for row in rows] == [True, True, False]
    assert rows[0]["line"] == 1 and rows[1]["line"] == 2
    assert "line 2" in done.stderr
