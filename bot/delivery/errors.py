"""What the WeChat API can answer, sorted by what the caller should do about it
(reference/wechat.md §2.5)."""

from __future__ import annotations

from enum import StrEnum

TOKEN_ERRORS = frozenset({40001, 40014, 42001})  # refresh the token once, retry once
WINDOW_ERRORS = frozenset({45015, 45047})  # customer-service window closed / used up
UNDELIVERABLE_ERRORS = frozenset({43004, 43101, 40003})  # unfollowed, refused, bad openid
TRANSIENT_ERRORS = frozenset({-1, 45009, 45011})  # busy, daily / minute quota: later


class ErrorKind(StrEnum):
    TOKEN = "token"
    WINDOW = "window"  # fall back to a template (or subscription) message
    UNDELIVERABLE = "undeliverable"  # never retry; shown to staff
    TRANSIENT = "transient"  # retry with backoff
    REJECTED = "rejected"  # anything else (bad template id, data format, IP whitelist...)


def kind_of(errcode: int) -> ErrorKind:
    if errcode in TOKEN_ERRORS:
        return ErrorKind.TOKEN
    if errcode in WINDOW_ERRORS:
        return ErrorKind.WINDOW
    if errcode in UNDELIVERABLE_ERRORS:
        return ErrorKind.UNDELIVERABLE
    if errcode in TRANSIENT_ERRORS:
        return ErrorKind.TRANSIENT
    return ErrorKind.REJECTED


class WeChatError(Exception):
    """WeChat answered with a non-zero errcode: the call was refused, nothing was sent."""

    def __init__(self, api: str, errcode: int, errmsg: str) -> None:
        super().__init__(f"{api}: errcode {errcode}: {errmsg}")
        self.api = api
        self.errcode = errcode
        self.errmsg = errmsg

    @property
    def kind(self) -> ErrorKind:
        return kind_of(self.errcode)


class WeChatUnavailable(Exception):
    """No usable answer: connection refused, timeout, HTTP error, garbage.

    `maybe_delivered` is False when the request certainly never reached WeChat (connection
    could not be made) and True when it may have been processed (timeout or disconnect after
    the request was written): a send in that state is "in doubt"."""

    def __init__(self, api: str, reason: str, *, maybe_delivered: bool) -> None:
        super().__init__(f"{api}: {reason}")
        self.api = api
        self.reason = reason
        self.maybe_delivered = maybe_delivered
