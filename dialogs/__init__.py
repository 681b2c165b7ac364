"""Conversations with residents (DESIGN.md §3.3), on rasa-sdk.

- `DialogKit.load(desk, classifier=triage, places=gazetteer)`: the ports and the dialog data
  (knowledge/intents.yaml, faq.yaml, dialog_texts.yaml, replies.yaml);
- `DialogEngine(kit, stores, idle_timeout_minutes=30)`: `await engine.handle(Incoming(...))`
  returns the reply text of one resident message;
- `dialogs.actions.all_actions(kit)`: the rasa-sdk actions (`validate_complaint_form`,
  `action_ask_<slot>`, `action_submit_complaint`, …), also served by `dialogs.server`;
- `dialogs.ports`: what the conversation needs from the core (SlipDesk and its value types).
"""

from dialogs.engine import DialogEngine
from dialogs.inputs import Incoming
from dialogs.kit import DialogKit

__all__ = ["DialogEngine", "DialogKit", "Incoming"]
