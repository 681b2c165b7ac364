"""The command line's operator-facing failures: a port already taken, a database without
tables, an unknown department code — one plain line (or a short list), exit code 2, no
traceback; and `minyi demo`'s announcement ending with how to stop it."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

import bot.cli
from bot.cli import main


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MINYI_CONFIG", raising=False)
    monkeypatch.setenv("MINYI_DATABASE_URL", url)
    return url


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield other.getsockname()[1]


def _never_started(*_args: Any, **_kwargs: Any) -> None:
    raise AssertionError("the server was started on a port already in use")


def test_demo_on_a_taken_port_says_so_before_announcing_anything(
    env: str, taken_port: int, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("bot.app.create_demo_app", _never_started)
    assert main(["demo", "--port", str(taken_port)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (f"minyi: port {taken_port} is already in use: stop the other process "
                   "or choose another with --port\n")


def test_serve_on_a_taken_port_says_so(
    env: str, taken_port: int, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in {"MINYI_WECHAT_TOKEN": "tok", "MINYI_WECHAT_APPID": "wxabc",
                        "MINYI_WECHAT_AES_KEY": "k" * 43, "MINYI_SECRET_KEY": "s3cret"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(bot.cli, "serve_app", _never_started)
    assert main(["serve", "--host", "127.0.0.1", "--port", str(taken_port)]) == 2
    assert capsys.readouterr().err == (
        f"minyi: port {taken_port} is already in use: stop the other process "
        "or choose another with --port\n")


def test_demo_prints_how_to_stop_it_last(
    env: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def run_app(app: web.Application, **_kwargs: Any) -> None:
        async def start_and_stop() -> None:  # the startup hooks, then straight out
            runner = web.AppRunner(app)
            await runner.setup()
            await runner.cleanup()

        asyncio.run(start_and_stop())

    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    monkeypatch.setattr(web, "run_app", run_app)
    assert main(["demo", "--port", str(port)]) == 0
    out = capsys.readouterr().out
    assert "Minyi demo is running." in out and "Logins (password:" in out
    assert out.rstrip().endswith("Press Ctrl+C to stop.")
    assert out.count("Press Ctrl+C to stop.") == 1


@pytest.mark.parametrize("argv", [
    ["slips", "list"], ["slips", "show", "JB2026010100001"], ["audit", "verify"],
    ["user", "list"],
])
def test_commands_before_db_upgrade_say_to_run_it(
    env: str, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (f"minyi: the database {env} has no tables yet: "
                   "run `minyi db upgrade` first\n")


@pytest.mark.parametrize("argv", [
    ["user", "add", "zhao", "--role", "handler", "--department", "D-NOPE"],
    ["slips", "list", "--department", "D-NOPE"],
])
def test_an_unknown_department_code_lists_the_valid_ones(
    env: str, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "no department with code 'D-NOPE'; the codes are:" in err
    assert "D-CGJ 区城市管理局" in err and "D-MYZX 区民意交办中心" in err
    assert "没有这个部门代码" not in err
    lines = err.splitlines()[1:]
    assert all(line.startswith("  ") for line in lines)
    assert len(lines) < 40  # compact: several codes a line, not one each
