"""Settings of the WeChat platform simulator."""

from __future__ import annotations

from dataclasses import dataclass

ENCRYPTION_MODES = ("plain", "compatible", "safe")


@dataclass(frozen=True)
class SimulatorConfig:
    """What the simulated WeChat knows about the official account it serves.

    `token`, `appid`, `secret` and `aes_key` must match the bot's own settings, exactly as
    they would have to match what is entered in the WeChat admin console.
    """

    token: str
    appid: str
    secret: str
    aes_key: str | None  # EncodingAESKey (43 chars); None means plain mode (encryption ignored)
    webhook_url: str  # where residents' messages are posted, e.g. http://127.0.0.1:8080/wechat
    account_id: str = "gh_minyi_demo"  # the official account's original id (ToUserName)
    encryption: str = "safe"  # "plain" | "compatible" | "safe"
    reply_timeout: float = 5.0  # WeChat waits 5 s for a passive reply
    retries: int = 3  # re-posts of the same message after a timeout (same MsgId)
    token_ttl: int = 7200  # access_token lifetime in seconds
    push_job_events: bool = True  # post TEMPLATESENDJOBFINISH back after template sends

    def __post_init__(self) -> None:
        if self.encryption not in ENCRYPTION_MODES:
            raise ValueError(
                f"encryption must be one of {ENCRYPTION_MODES}, not {self.encryption!r}"
            )
        if not self.aes_key:
            # no EncodingAESKey: the account can only be in plain mode
            object.__setattr__(self, "aes_key", None)
            object.__setattr__(self, "encryption", "plain")
        elif len(self.aes_key) != 43:
            raise ValueError("aes_key (EncodingAESKey) must be 43 characters long")
        if self.reply_timeout <= 0:
            raise ValueError("reply_timeout must be positive")
        if self.retries < 0:
            raise ValueError("retries must not be negative")
        if self.token_ttl <= 0:
            raise ValueError("token_ttl must be positive")

    @property
    def encrypted(self) -> bool:
        """True when messages carry an <Encrypt> element (compatible or safe mode)."""
        return self.encryption != "plain"
