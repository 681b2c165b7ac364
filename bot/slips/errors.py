"""What the slip service raises. The console and the API map each to a status code."""

from __future__ import annotations


class SlipError(Exception):
    """Base of every slip-service error."""


class NotFound(SlipError):
    def __init__(self, ref: object) -> None:
        self.ref = ref
        super().__init__(f"no slip {ref!r}")


class Forbidden(SlipError):
    """The actor may not see this slip or may not take this action."""


class TransitionNotAllowed(SlipError):
    """The action cannot be taken in the slip's current status (or a rule forbids it now)."""

    def __init__(self, action: str, status: str, reason: str | None = None) -> None:
        self.action = action
        self.status = status
        self.reason = reason
        super().__init__(reason or f"action {action!r} is not allowed in status {status!r}")


class VersionConflict(SlipError):
    """Someone else changed the slip since the caller read it."""

    def __init__(self, ref: object, expected: int | None = None, actual: int | None = None):
        self.ref = ref
        self.expected = expected
        self.actual = actual
        super().__init__(f"slip {ref!r} changed (expected version {expected}, now {actual})")


class InvalidInput(SlipError):
    """A field of the action is missing or wrong; `message` is shown next to the field."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")
