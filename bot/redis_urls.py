"""`redis+sentinel://` URLs, taken apart without importing Redis (the settings check them at
every start, commands that never talk to Redis included); bot/stores/sentinel.py connects.

    redis+sentinel://[[USER]:PASSWORD@]HOST:PORT[,HOST:PORT...]/SERVICE[/DB][?sentinel_password=P]
    rediss+sentinel://...same...[?ssl_ca_certs=CA.pem&ssl_certfile=C.pem&ssl_keyfile=K.pem]

HOST:PORT are the sentinels (26379 when the port is left out), SERVICE the name they monitor
(`sentinel monitor SERVICE ...`), DB the database number (0); the password is the Redis
servers', `sentinel_password` the sentinels' own if they require one.

`rediss+sentinel` speaks TLS to the sentinels and to the master they name (Redis's
`tls-port` on both, `tls-replication yes` so that the sentinels reach the servers by TLS
too). The server certificates are checked against `ssl_ca_certs` (the system's CAs when it
is left out); `ssl_certfile` and `ssl_keyfile` are the client's certificate for servers that
ask for one (`tls-auth-clients yes`); `ssl_check_hostname=false` accepts a certificate that
does not name the address the sentinels hand out. The files must exist when Minyi starts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

SCHEME = "redis+sentinel"
TLS_SCHEME = "rediss+sentinel"
DEFAULT_PORT = 26379
TLS_FILES = ("ssl_ca_certs", "ssl_certfile", "ssl_keyfile")
TLS_FLAGS = ("ssl_check_hostname",)


@dataclass(frozen=True)
class SentinelAddress:
    sentinels: tuple[tuple[str, int], ...]
    service: str
    db: int = 0
    username: str | None = None
    password: str | None = None
    sentinel_password: str | None = None
    tls: bool = False
    # redis-py's SSLConnection keyword arguments (ssl_ca_certs=..., ssl_check_hostname=...)
    tls_options: dict[str, str | bool] = field(default_factory=dict)


def is_sentinel_url(url: str) -> bool:
    return url.startswith((f"{SCHEME}://", f"{TLS_SCHEME}://"))


def parse_sentinel_url(url: str) -> SentinelAddress:
    """The URL's parts; ValueError naming what is wrong (shown at start-up by the config)."""
    parts = urlsplit(url)
    if parts.scheme not in (SCHEME, TLS_SCHEME):
        raise ValueError(f"a Sentinel URL starts with {SCHEME}:// or {TLS_SCHEME}://")
    tls = parts.scheme == TLS_SCHEME
    userinfo, _, hostlist = parts.netloc.rpartition("@")
    sentinels = []
    for item in hostlist.split(","):
        host, colon, port = item.strip().rpartition(":")
        if not colon:
            host, port = item.strip(), str(DEFAULT_PORT)
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"bad sentinel address {item!r}: expected HOST:PORT")
        sentinels.append((host.strip("[]"), int(port)))
    path = [unquote(p) for p in parts.path.split("/") if p]
    if not path:
        raise ValueError("no service name: redis+sentinel://HOST:PORT/SERVICE[/DB]")
    if len(path) > 2 or (len(path) == 2 and not path[1].isdigit()):
        raise ValueError("the path must be /SERVICE or /SERVICE/DB (a number)")
    query = parse_qs(parts.query)
    unknown = set(query) - {"sentinel_password", *TLS_FILES, *TLS_FLAGS}
    if unknown:
        raise ValueError(f"unknown option(s): {', '.join(sorted(unknown))}")
    tls_options = _tls_options(query) if tls else {}
    if not tls and set(query) & {*TLS_FILES, *TLS_FLAGS}:
        raise ValueError(f"ssl_* options need TLS: write {TLS_SCHEME}:// instead of {SCHEME}://")
    username, _, password = userinfo.partition(":") if userinfo else ("", "", "")
    return SentinelAddress(
        sentinels=tuple(sentinels),
        service=path[0],
        db=int(path[1]) if len(path) == 2 else 0,
        username=unquote(username) or None,
        password=unquote(password) or None,
        sentinel_password=(query.get("sentinel_password") or [None])[0],
        tls=tls,
        tls_options=tls_options,
    )


def _tls_options(query: dict[str, list[str]]) -> dict[str, str | bool]:
    options: dict[str, str | bool] = {}
    for name in TLS_FILES:
        if name in query:
            path = query[name][0]
            if not Path(path).is_file():
                raise ValueError(f"{name}: no such file {path}")
            options[name] = path
    if ("ssl_certfile" in options) != ("ssl_keyfile" in options):
        raise ValueError("ssl_certfile and ssl_keyfile go together (the client's certificate)")
    for name in TLS_FLAGS:
        if name in query:
            value = query[name][0].lower()
            if value not in ("true", "false"):
                raise ValueError(f"{name} must be true or false, not {query[name][0]!r}")
            options[name] = value == "true"
    return options
