"""`redis+sentinel://` URLs, taken apart without importing Redis (the settings check them at
every start, commands that never talk to Redis included); bot/stores/sentinel.py connects.

    redis+sentinel://[[USER]:PASSWORD@]HOST:PORT[,HOST:PORT...]/SERVICE[/DB][?sentinel_password=P]

HOST:PORT are the sentinels (26379 when the port is left out), SERVICE the name they monitor
(`sentinel monitor SERVICE ...`), DB the database number (0); the password is the Redis
servers', `sentinel_password` the sentinels' own if they require one.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

SCHEME = "redis+sentinel"
DEFAULT_PORT = 26379


@dataclass(frozen=True)
class SentinelAddress:
    sentinels: tuple[tuple[str, int], ...]
    service: str
    db: int = 0
    username: str | None = None
    password: str | None = None
    sentinel_password: str | None = None


def is_sentinel_url(url: str) -> bool:
    return url.startswith(f"{SCHEME}://")


def parse_sentinel_url(url: str) -> SentinelAddress:
    """The URL's parts; ValueError naming what is wrong (shown at start-up by the config)."""
    parts = urlsplit(url)
    if parts.scheme != SCHEME:
        raise ValueError(f"a Sentinel URL starts with {SCHEME}://")
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
    unknown = set(query) - {"sentinel_password"}
    if unknown:
        raise ValueError(f"unknown option(s): {', '.join(sorted(unknown))}")
    username, _, password = userinfo.partition(":") if userinfo else ("", "", "")
    return SentinelAddress(
        sentinels=tuple(sentinels),
        service=path[0],
        db=int(path[1]) if len(path) == 2 else 0,
        username=unquote(username) or None,
        password=unquote(password) or None,
        sentinel_password=(query.get("sentinel_password") or [None])[0],
    )
