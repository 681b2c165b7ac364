"""Errors the staff directory raises; the console shows `field`'s message next to the field."""

from __future__ import annotations


class StaffInputError(ValueError):
    """A value a user typed that cannot be accepted; nothing was changed."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class LoginRefused(Exception):
    """Login not accepted. `message` is safe to show: it never says which part was wrong."""

    def __init__(self, message: str, *, locked: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.locked = locked
