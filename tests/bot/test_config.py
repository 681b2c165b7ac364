from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.cli import main
from bot.config import DEFAULT_CONFIG, ConfigError, load_settings


def test_shipped_config_loads_with_every_default() -> None:
    settings = load_settings(environ={})
    assert settings.database.url == "sqlite+aiosqlite:///var/minyi.db"
    assert settings.redis.url == "memory://"
    assert settings.wechat.encryption == "safe"
    assert settings.session.idle_timeout_minutes == 30
    assert [item.key for item in settings.wechat.menu] == ["REPORT", "QUERY", "GUIDE"]
    # Secrets are not in the file outside the demo section.
    assert settings.wechat.token == settings.wechat.secret == settings.security.secret_key == ""


def test_environment_overrides_the_file() -> None:
    env = {
        "MINYI_DATABASE_URL": "postgresql+asyncpg://minyi@db/minyi",
        "MINYI_REDIS_URL": "redis://cache:6379/2",
        "MINYI_WECHAT_TOKEN": "tok",
        "MINYI_WECHAT_APPID": "wxabc",
        "MINYI_WECHAT_SECRET": "sec",
        "MINYI_WECHAT_AES_KEY": "k" * 43,
        "MINYI_WECHAT_API_BASE": "http://127.0.0.1:9/sim/",
        "MINYI_SECRET_KEY": "s3cret",
    }
    settings = load_settings(environ=env)
    assert settings.database.url == env["MINYI_DATABASE_URL"]
    assert settings.redis.url == env["MINYI_REDIS_URL"]
    assert (settings.wechat.token, settings.wechat.appid, settings.wechat.secret) == (
        "tok",
        "wxabc",
        "sec",
    )
    assert settings.wechat.aes_key == "k" * 43
    assert settings.wechat.api_base == "http://127.0.0.1:9/sim"
    assert settings.security.secret_key == "s3cret"


def test_minyi_config_points_at_another_file(tmp_path: Path) -> None:
    path = tmp_path / "city.yaml"
    path.write_text("server:\n  port: 9090\n", encoding="utf-8")
    settings = load_settings(environ={"MINYI_CONFIG": str(path)})
    assert settings.server.port == 9090
    assert settings.source == str(path)


def test_settings_are_immutable() -> None:
    settings = load_settings(environ={})
    with pytest.raises(ValidationError):
        settings.server.port = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        pytest.param("server:\n  port: 99999\n", "server.port", id="out-of-range"),
        pytest.param("database:\n  url: mysql://x\n", "database.url", id="sync-driver"),
        pytest.param("wechat:\n  aes_key: short\n", "wechat.aes_key", id="aes-key-length"),
        pytest.param("wechat:\n  encryption: sometimes\n", "wechat.encryption", id="bad-choice"),
        pytest.param("wechat:\n  tokn: x\n", "wechat.tokn: unknown setting", id="typo-key"),
        pytest.param("server: [1, 2\n", "not valid YAML", id="broken-yaml"),
        pytest.param("- a\n- b\n", "must be a mapping", id="not-a-mapping"),
        pytest.param("redis:\n  url: http://x\n", "redis.url", id="bad-redis-url"),
        pytest.param("redis:\n  url: redis+sentinel://s1:26379\n",
                     "redis.url: Value error, no service name", id="sentinel-without-service"),
        pytest.param("redis:\n  url: redis+sentinel://s1:port/mymaster\n",
                     "bad sentinel address 's1:port'", id="sentinel-bad-port"),
        pytest.param("redis:\n  url: rediss+sentinel://s1/m?ssl_ca_certs=/no/ca.pem\n",
                     "ssl_ca_certs: no such file /no/ca.pem", id="sentinel-tls-missing-ca"),
        pytest.param("redis:\n  url: redis+sentinel://s1/m?ssl_ca_certs=/etc/hostname\n",
                     "ssl_* options need TLS", id="sentinel-tls-options-without-tls"),
    ],
)
def test_bad_file_names_file_key_and_reason(tmp_path: Path, yaml_text: str, expected: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    message = str(caught.value)
    assert str(path) in message
    assert expected in message


def test_bad_environment_value_is_reported() -> None:
    with pytest.raises(ConfigError, match="database.url"):
        load_settings(environ={"MINYI_DATABASE_URL": "sqlite:///sync.db"})


def test_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_settings(tmp_path / "nope.yaml", environ={})


def test_cli_stops_with_the_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("limits:\n  messages_per_minute: -3\n", encoding="utf-8")
    assert main(["db", "upgrade", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "limits.messages_per_minute" in err and str(path) in err


def test_urls_shown_to_operators_hide_passwords() -> None:
    from bot.cli import _shown_url

    assert _shown_url("postgresql+asyncpg://minyi:s3cret@db-host/minyi") == (
        "postgresql+asyncpg://minyi:***@db-host/minyi")
    assert _shown_url("redis://:s3cret@redis-host:6379/0") == "redis://:***@redis-host:6379/0"
    assert _shown_url("memory://") == "memory://"
    assert _shown_url("redis+sentinel://:s3cret@s1:26379,s2/mymaster/0?sentinel_password=pw") == (
        "redis+sentinel://:***@s1:26379,s2/mymaster/0?sentinel_password=***")


def test_a_sentinel_url_is_taken_apart() -> None:
    from bot.redis_urls import parse_sentinel_url

    settings = load_settings(environ={
        "MINYI_REDIS_URL": "redis+sentinel://:s3cret@10.0.0.1:26379,10.0.0.2,[::1]:26380"
                           "/minyi-redis/2?sentinel_password=pw"})
    address = parse_sentinel_url(settings.redis.url)
    assert address.sentinels == (("10.0.0.1", 26379), ("10.0.0.2", 26379), ("::1", 26380))
    assert (address.service, address.db) == ("minyi-redis", 2)
    assert (address.password, address.sentinel_password) == ("s3cret", "pw")
    with pytest.raises(ConfigError, match="unknown option"):
        load_settings(environ={"MINYI_REDIS_URL": "redis+sentinel://s1/m?master=x"})


def test_a_tls_sentinel_url_is_taken_apart(tmp_path: Path) -> None:
    from bot.redis_urls import parse_sentinel_url

    ca, cert, key = (tmp_path / n for n in ("ca.pem", "client.pem", "client.key"))
    for path in (ca, cert, key):
        path.write_text("-", encoding="utf-8")
    url = (f"rediss+sentinel://:pw@s1:26379/minyi?ssl_ca_certs={ca}&ssl_certfile={cert}"
           f"&ssl_keyfile={key}&ssl_check_hostname=false")
    address = parse_sentinel_url(load_settings(environ={"MINYI_REDIS_URL": url}).redis.url)
    assert address.tls and address.password == "pw"
    assert address.tls_options == {"ssl_ca_certs": str(ca), "ssl_certfile": str(cert),
                                   "ssl_keyfile": str(key), "ssl_check_hostname": False}
    assert not parse_sentinel_url("redis+sentinel://s1/minyi").tls
    for bad, reason in ((f"rediss+sentinel://s1/m?ssl_certfile={cert}", "go together"),
                        ("rediss+sentinel://s1/m?ssl_check_hostname=maybe", "true or false")):
        with pytest.raises(ConfigError, match=reason):
            load_settings(environ={"MINYI_REDIS_URL": bad})


def test_db_upgrade_says_where_it_upgraded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MINYI_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/m.db")
    assert main(["db", "upgrade", "--config", str(DEFAULT_CONFIG)]) == 0
    assert f"database at the newest schema: sqlite+aiosqlite:///{tmp_path}/m.db" in (
        capsys.readouterr().out)


def test_serve_refuses_to_start_without_secrets(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--config", str(DEFAULT_CONFIG)]) == 2
    err = capsys.readouterr().err
    assert "MINYI_WECHAT_TOKEN" in err and "MINYI_SECRET_KEY" in err


def test_demo_settings_fill_secrets_but_honour_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MINYI_WECHAT_TOKEN", "from-env")
    settings = load_settings(environ={}).for_demo()
    assert settings.wechat.token == "from-env"
    assert settings.wechat.appid == settings.demo.appid
    assert settings.database.url.startswith("sqlite+aiosqlite")
