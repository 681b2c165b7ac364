"""Settings: `config.yaml` loaded once into a validated, immutable object.

Environment variables override the file (DESIGN.md §4). A bad file or value raises
`ConfigError` naming the file, the key and the reason, so start-up stops with a clear message.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.redis_urls import is_sentinel_url, parse_sentinel_url
from knowledge.schema import load_yaml

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "config.yaml"

# Environment variable → dotted key it overrides.
ENV_OVERRIDES: dict[str, str] = {
    "MINYI_DATABASE_URL": "database.url",
    "MINYI_REDIS_URL": "redis.url",
    "MINYI_WECHAT_TOKEN": "wechat.token",
    "MINYI_WECHAT_APPID": "wechat.appid",
    "MINYI_WECHAT_SECRET": "wechat.secret",
    "MINYI_WECHAT_AES_KEY": "wechat.aes_key",
    "MINYI_WECHAT_API_BASE": "wechat.api_base",
    "MINYI_SECRET_KEY": "security.secret_key",
}


class ConfigError(Exception):
    """A settings file or value that Minyi cannot start with."""


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ServerSettings(_Section):
    host: str = "0.0.0.0"
    port: int = Field(8080, ge=1, le=65535)
    public_url: str = "http://127.0.0.1:8080"


class DatabaseSettings(_Section):
    url: str = "sqlite+aiosqlite:///var/minyi.db"
    pool_size: int = Field(20, ge=1, le=200)
    echo: bool = False

    @field_validator("url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "must be an async SQLAlchemy URL: sqlite+aiosqlite:///PATH or "
                "postgresql+asyncpg://USER@HOST/DB"
            )
        return value


class RedisSettings(_Section):
    url: str = "memory://"
    prefix: str = Field("minyi", min_length=1, pattern=r"^[A-Za-z0-9_.:-]+$")

    @field_validator("url")
    @classmethod
    def _scheme(cls, value: str) -> str:
        if is_sentinel_url(value):
            parse_sentinel_url(value)  # its ValueError names what is wrong
        elif not value.startswith(("memory://", "redis://", "rediss://", "unix://")):
            raise ValueError(
                "must be redis://HOST:PORT/DB (rediss:// for TLS),"
                " redis+sentinel://HOST:PORT[,HOST:PORT]/SERVICE (rediss+sentinel:// for TLS)"
                " or memory://"
            )
        return value


class MenuItem(_Section):
    key: str = Field(min_length=1, max_length=128)
    title: str = Field(min_length=1, max_length=16)


class WeChatSettings(_Section):
    token: str = ""
    appid: str = ""
    secret: str = ""
    aes_key: str = ""
    previous_aes_key: str = ""
    encryption: Literal["plain", "compatible", "safe"] = "safe"
    api_base: str = "https://api.weixin.qq.com"
    max_clock_skew_seconds: int = Field(300, ge=0)
    max_body_bytes: int = Field(65536, ge=1024, le=10 * 1024 * 1024)
    reply_budget_seconds: float = Field(4.0, gt=0, lt=5)
    max_concurrent_messages: int = Field(16, ge=1, le=10_000)
    dedupe_ttl_seconds: int = Field(600, ge=30)
    menu: tuple[MenuItem, ...] = ()

    @field_validator("aes_key", "previous_aes_key")
    @classmethod
    def _aes_key_length(cls, value: str) -> str:
        if value and len(value) != 43:
            raise ValueError("an EncodingAESKey has exactly 43 characters")
        return value

    @field_validator("token")
    @classmethod
    def _token_chars(cls, value: str) -> str:
        if value and not value.isascii():
            raise ValueError("the WeChat token is 3-32 ASCII letters and digits")
        return value

    @field_validator("api_base")
    @classmethod
    def _api_base(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")


class LimitSettings(_Section):
    messages_per_minute: int = Field(20, ge=1)


class SessionSettings(_Section):
    idle_timeout_minutes: int = Field(30, ge=1)


class LoggingSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["json", "text"] = "json"


class SecuritySettings(_Section):
    secret_key: str = ""


class ConsoleSettings(_Section):
    """Staff console and API: cookies, sessions, login throttling."""

    # Secure cookies travel over HTTPS only; the http:// demo turns this off.
    cookie_secure: bool = True
    session_idle_minutes: int = Field(240, ge=5)
    session_max_hours: int = Field(12, ge=1)
    # Failed logins allowed per username / per client address within the window, then locked.
    login_attempts_per_user: int = Field(5, ge=1)
    login_attempts_per_ip: int = Field(30, ge=1)
    login_window_minutes: int = Field(15, ge=1)
    page_size: int = Field(20, ge=5, le=200)
    # Behind a reverse proxy: the header it puts the client's address in (e.g. X-Real-IP), for
    # the per-address login limit. Empty: the TCP peer (never trust a header nobody sets).
    client_ip_header: str = ""


class TemplateSpec(_Section):
    """A template (or subscription) message: its id and how notice fields fill it.

    `fields` maps the template's field names to Python format strings over the notice:
    {text} {title} {number} {status} {time} {kind} {public_url} plus whatever the slip service
    put in the notice's template_data; unknown names render empty. "{text:.20}" cuts to 20
    characters (subscription fields of type `thing` allow 20). An empty template_id means
    "no template for this kind"."""

    template_id: str = ""
    url: str = ""
    fields: dict[str, str] = Field(default_factory=dict)

    @field_validator("url", "fields")
    @classmethod
    def _formats(cls, value: Any) -> Any:
        import string

        for text in value.values() if isinstance(value, dict) else [value]:
            try:
                list(string.Formatter().parse(text))
            except ValueError as exc:
                raise ValueError(f"bad format string {text!r}: {exc}") from None
        return value


class DeliveryRetrySettings(_Section):
    # attempt n waits base * 2**(n-1) seconds (at most max_seconds), +/- jitter (a fraction)
    max_attempts: int = Field(12, ge=1, le=100)
    base_seconds: float = Field(10.0, gt=0)
    max_seconds: float = Field(1800.0, gt=0)
    jitter: float = Field(0.2, ge=0, lt=1)


class DeliverySchedulerSettings(_Section):
    enabled: bool = True
    tick_seconds: float = Field(60.0, gt=0)
    survey_reminder_hours: float = Field(24.0, gt=0)
    survey_expire_hours: float = Field(72.0, gt=0)


class DeliverySettings(_Section):
    """The outbox worker, the WeChat API client and the scheduler (bot/delivery)."""

    embedded_worker: bool = False
    token_source: Literal["token", "stable_token"] = "token"
    api_timeout_seconds: float = Field(10.0, gt=0, le=60)
    connect_timeout_seconds: float = Field(3.0, gt=0, le=60)
    batch_size: int = Field(50, ge=1, le=1000)
    concurrency: int = Field(8, ge=1, le=256)
    poll_seconds: float = Field(1.0, gt=0)
    lease_seconds: float = Field(60.0, ge=1)
    in_doubt: Literal["skip", "resend"] = "skip"
    custom_window_hours: float = Field(48.0, gt=0)
    custom_per_window: int = Field(5, ge=0)
    fallback: tuple[Literal["template", "subscribe"], ...] = ("template", "subscribe")
    retry: DeliveryRetrySettings = DeliveryRetrySettings()
    templates: dict[str, TemplateSpec] = Field(default_factory=dict)
    subscribe: dict[str, TemplateSpec] = Field(default_factory=dict)
    scheduler: DeliverySchedulerSettings = DeliverySchedulerSettings()

    @model_validator(mode="after")
    def _lease_outlives_calls(self) -> DeliverySettings:
        # a claimed row must not be taken over while its WeChat call may still be running
        if self.lease_seconds < 3 * (self.api_timeout_seconds + self.connect_timeout_seconds):
            raise ValueError(
                "lease_seconds must be at least 3 x (api_timeout_seconds + "
                "connect_timeout_seconds)"
            )
        return self


class SlipSettings(_Section):
    """The slip domain (bot/slips)."""

    number_prefix: str = Field("JB", pattern=r"^[A-Z]{1,8}$")
    # Lists count matching slips up to this many, then show "more than" (a million-row count
    # costs more than the page itself).
    count_limit: int = Field(1000, ge=100)
    # A text search matches the newest this-many slips first (bot/slips/listing.py).
    search_window: int = Field(5000, ge=100)
    workbench_limit: int = Field(50, ge=1, le=500)


class MediaSettings(_Section):
    """Copies of residents' photos, voice notes and videos (bot/media): WeChat deletes temporary
    media after 3 days, so the worker downloads each one a slip refers to."""

    dir: str = "var/media"
    max_bytes: int = Field(10 * 1024 * 1024, ge=1, le=100 * 1024 * 1024)
    # videos are larger than photos: their own cap (a copy is held in memory while it is saved)
    max_video_bytes: int = Field(50 * 1024 * 1024, ge=1, le=512 * 1024 * 1024)
    max_attempts: int = Field(8, ge=1, le=100)
    retry_base_seconds: float = Field(30.0, gt=0)
    retry_max_seconds: float = Field(3600.0, gt=0)
    batch_size: int = Field(10, ge=1, le=500)
    poll_seconds: float = Field(5.0, gt=0)
    lease_seconds: float = Field(120.0, ge=1)


class DemoSettings(_Section):
    database_url: str = "sqlite+aiosqlite:///var/minyi.db"
    redis_url: str = "memory://"
    token: str = "minyi-demo-token"
    appid: str = "wxminyidemo000001"
    secret: str = "minyi-demo-secret"
    aes_key: str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
    secret_key: str = "minyi-demo-secret-key-not-for-production"
    admin_user: str = "admin"
    admin_password: str = "minyi-demo"
    # the simulator accepts any template id; the demo pushes progress with this one
    template_id: str = "MINYI_DEMO_PROGRESS"


class Settings(_Section):
    """Everything Minyi can be told; immutable once loaded."""

    source: str = "<defaults>"
    server: ServerSettings = ServerSettings()
    database: DatabaseSettings = DatabaseSettings()
    redis: RedisSettings = RedisSettings()
    wechat: WeChatSettings = WeChatSettings()
    limits: LimitSettings = LimitSettings()
    session: SessionSettings = SessionSettings()
    logging: LoggingSettings = LoggingSettings()
    security: SecuritySettings = SecuritySettings()
    console: ConsoleSettings = ConsoleSettings()
    delivery: DeliverySettings = DeliverySettings()
    slips: SlipSettings = SlipSettings()
    media: MediaSettings = MediaSettings()
    demo: DemoSettings = DemoSettings()

    def with_overrides(self, **dotted: Any) -> Settings:
        """A copy with dotted keys replaced (``{"wechat.token": "x"}``), validated again."""
        data = self.model_dump()
        for key, value in dotted.items():
            _set_dotted(data, key.replace("__", "."), value)
        return _validate(data, self.source)

    def for_demo(self) -> Settings:
        """The demo's settings: its own database, stores and secrets, unless the environment
        points elsewhere (so `minyi demo` honours the same variables as `serve`)."""
        demo = self.demo
        values = {
            "database.url": demo.database_url,
            "redis.url": demo.redis_url,
            "wechat.token": demo.token,
            "wechat.appid": demo.appid,
            "wechat.secret": demo.secret,
            "wechat.aes_key": demo.aes_key,
            "wechat.encryption": "safe",
            "security.secret_key": demo.secret_key,
            "logging.format": "text",
            "console.cookie_secure": False,
            "delivery.embedded_worker": True,
        }
        if not self.delivery.templates.get("default", TemplateSpec()).template_id:
            values["delivery.templates.default.template_id"] = demo.template_id
        for env, key in ENV_OVERRIDES.items():
            if os.environ.get(env):
                values[key] = os.environ[env]
        return self.with_overrides(**values)


def _set_dotted(data: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = data
    for part in parts[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ConfigError(f"{dotted}: {part} is not a section")
    node[parts[-1]] = value


def _validate(data: Mapping[str, Any], source: str) -> Settings:
    try:
        return Settings.model_validate({**data, "source": source})
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            key = ".".join(str(p) for p in error["loc"]) or "(top level)"
            reason = error["msg"]
            if error["type"] == "extra_forbidden":
                reason = "unknown setting"
            problems.append(f"{source}: {key}: {reason}")
        raise ConfigError("\n".join(problems)) from None


def load_settings(
    path: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Load settings from ``path`` (or ``MINYI_CONFIG``, or the shipped config.yaml) and
    apply environment overrides."""
    env = os.environ if environ is None else environ
    config_path = Path(path or env.get("MINYI_CONFIG") or DEFAULT_CONFIG)
    try:
        text = config_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{config_path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{config_path}: cannot read: {exc}") from None
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{config_path}:{where}: not valid YAML: {problem}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{config_path}: (top level): must be a mapping of sections")
    for name, key in ENV_OVERRIDES.items():
        if env.get(name):
            _set_dotted(data, key, env[name])
    return _validate(data, str(config_path))
