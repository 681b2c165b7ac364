"""What every action is built with: the ports and the dialog data, loaded once."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from dialogs.faq import Faq
from dialogs.files import INTENTS_FILE, read_mapping
from dialogs.intake import Intake
from dialogs.nlu import Nlu
from dialogs.ports import Classifier, Places, SlipDesk
from dialogs.texts import Texts
from knowledge.replies import Replies

log = logging.getLogger(__name__)


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class DialogKit:
    desk: SlipDesk
    nlu: Nlu
    texts: Texts
    intake: Intake
    classifier: Classifier | None = None
    places: Places | None = None
    clock: Callable[[], datetime] = _utcnow
    _classified: OrderedDict[str, dict[str, Any]] = field(default_factory=OrderedDict, repr=False)

    @classmethod
    def load(
        cls,
        desk: SlipDesk,
        *,
        classifier: Classifier | None = None,
        places: Places | None = None,
        clock: Callable[[], datetime] = _utcnow,
        replies: Replies | None = None,
    ) -> DialogKit:
        """The shipped data files from knowledge/, with these ports (`replies`: the app's
        knowledge/replies.yaml, when already loaded)."""
        intents = read_mapping(INTENTS_FILE)
        return cls(
            desk=desk,
            nlu=Nlu.load(places, faq=Faq.load(), data=intents),
            texts=Texts.load(replies=replies),
            intake=Intake.load(data=intents),
            classifier=classifier,
            places=places,
            clock=clock,
        )

    def classify(self, text: str) -> dict[str, Any] | None:
        """Triage of a description (cached: a turn asks for it more than once)."""
        if self.classifier is None or not text.strip():
            return None
        cached = self._classified.get(text)
        if cached is not None:
            self._classified.move_to_end(text)
            return cached
        try:
            result = self.classifier.classify(text).to_dict()
        except Exception:  # noqa: BLE001 - a triage bug must not stop the intake
            log.exception("triage failed; the slip service will classify the draft")
            return None
        self._classified[text] = result
        if len(self._classified) > 512:
            self._classified.popitem(last=False)
        return result

    def urgency(self, text: str) -> str | None:
        result = self.classify(text)
        return result.get("urgency") if result else None
