"""The chat record on a slip's page, with the survey answers the slip recorded.

A resident's 不满意 is often two messages ("3", then why) or one the bot reads in part ("不咋个
满意哦 晚上还是黑的嘛"); staff reading the chat should not have to work out from the bubbles
what was recorded. Each survey event of the slip is shown with its verdict and reason: on the
resident's message that gave it (the message is written to the chat record just after the
event, within the webhook's few seconds), or on its own line at its time when it was not given
in this chat (a dispatcher recording a phone call's answer).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.slips.views import EventView
from bot.storage.messages import ChatLine

# How long after the survey event the resident's message may have been recorded.
ATTACH_WINDOW = timedelta(seconds=30)


@dataclass(frozen=True)
class SurveyNote:
    at: datetime
    verdict: str
    solved: bool | None
    reason: str | None
    recorded_by: str | None  # a staff member's name when staff recorded it
    msg_type: str = "survey"  # so the chat template tells it from a ChatLine


def with_surveys(
    transcript: Sequence[ChatLine], timeline: Sequence[EventView]
) -> tuple[list[Any], dict[int, SurveyNote]]:
    """(the chat lines with the notes that belong to no message among them, the notes by the
    id of the resident's message that gave them)."""
    attached: dict[int, SurveyNote] = {}
    loose: list[SurveyNote] = []
    for event in timeline:
        if event.action != "survey":
            continue
        note = SurveyNote(
            at=event.at,
            verdict=str(event.data.get("verdict") or ""),
            solved=event.data.get("solved"),
            reason=event.note,
            recorded_by=event.actor_name if event.actor_kind == "staff" else None,
        )
        line = None
        if event.actor_kind == "resident":
            line = next((ln for ln in transcript
                         if ln.direction == "in" and ln.msg_type != "event"
                         and ln.message_id not in attached
                         and event.at <= ln.at <= event.at + ATTACH_WINDOW), None)
        if line is not None:
            attached[line.message_id] = note
        else:
            loose.append(note)
    lines: list[Any] = list(transcript)
    for note in loose:
        at = next((i for i, ln in enumerate(lines) if ln.at > note.at), len(lines))
        lines.insert(at, note)
    return lines, attached
