"""The slip domain: the 民意交办单, its numbering, workflow, deadlines and audit chain.

Use `SlipService` (bot/slips/service.py); the dialog layer gets the `SlipDesk` adapter.
"""

from bot.slips.actor import Actor
from bot.slips.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    SlipError,
    TransitionNotAllowed,
    VersionConflict,
)
from bot.slips.views import (
    ActionSpec,
    EventView,
    Page,
    SlipDraft,
    SlipFilter,
    SlipSummary,
    SlipView,
    Workbench,
)

__all__ = [
    "ActionSpec",
    "Actor",
    "EventView",
    "Forbidden",
    "InvalidInput",
    "NotFound",
    "Page",
    "SlipDraft",
    "SlipError",
    "SlipFilter",
    "SlipSummary",
    "SlipView",
    "TransitionNotAllowed",
    "VersionConflict",
    "Workbench",
]
