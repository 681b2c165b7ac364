"""Errors raised by the knowledge pack."""

from __future__ import annotations


class KnowledgeError(ValueError):
    """A knowledge file is missing or wrong.

    The message names the file, the entry inside it and the reason, so that whoever edits
    the pack can find and fix the line without reading code, e.g.
    ``knowledge/data/departments.yaml: departments[3].level: 'city' is not one of 区/街镇/社区``.
    """

    def __init__(self, file: str, entry: str, reason: str) -> None:
        self.file = file
        self.entry = entry
        self.reason = reason
        super().__init__(f"{file}: {entry}: {reason}")
