"""What the chat says: knowledge/dialog_texts.yaml, plus the welcome and menu texts of
knowledge/replies.yaml (shared with the webhook's own answers)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dialogs.files import TEXTS_FILE, DialogDataError, read_mapping
from knowledge.replies import Replies

# Every text the actions use; a missing one stops start-up with the file and key named.
REQUIRED = (
    "ask.description", "ask.description_after_photo", "ask.description_after_voice",
    "ask.description_after_video", "ask.description_after_link",
    "ask.description_after_location", "ask.description_again",
    "ask.description_where", "ask.description_where_place", "ask.location",
    "ask.location_again", "ask.location_needed", "ask.location_vague", "ask.location_broad",
    "ask.location_same",
    "ask.location_outside",
    "ask.location_elsewhere", "ask.location_elsewhere_district", "ask.location_which",
    "ask.employer", "ask.employer_again", "ask.employer_unknown", "chat.employer_unknown",
    "ask.contact_phone", "ask.contact_phone_known", "ask.contact_phone_invalid",
    "ask.question_noted", "ask.question_added", "ask.detail_added", "ask.contact_phone_wechat",
    "ask.correction", "ask.survey", "ask.survey_reason", "ask.survey_reason_change",
    "ask.reason_or_new",
    "ask.rerate", "survey.kept", "ask.resume", "ask.description_chased",
    "chat.how_long_own", "chat.fallback_foreign", "chat.wait", "ask.emergency_location",
    "ask.emergency_location_phone", "ask.emergency_phone", "ask.emergency_location_known",
    "ask.emergency_location_known_phone",
    "summary.head", "summary.description", "summary.description_long", "summary.location",
    "summary.area", "summary.location_unknown",
    "summary.employer", "summary.occurred", "summary.contact_phone", "summary.phone_declined",
    "summary.photos", "summary.voices", "summary.videos", "summary.links", "summary.tail",
    "summary.tail_no_place",
    "issued.head", "issued.departments", "issued.queue", "issued.response", "issued.due",
    "issued.how_to_query", "issued.earlier", "issued.earlier_done",
    "issued.contact", "issued.contact_soon",
    "issued.guidance",
    "emergency.advice",
    "emergency.issued",
    "control.cancelled", "control.cancelled_next", "control.withdraw_or_cancel",
    "control.cancel_or_go_on", "control.cancel_nothing", "control.restarted", "control.resumed",
    "control.resume_dropped", "control.nothing_to_confirm", "control.busy",
    "control.issue_failed", "control.error",
    "status.line", "status.state", "status.due", "status.contact_by", "status.contact_soon",
    "status.contact_by_wechat", "status.contact_soon_wechat", "status.department",
    "status.respond_by", "status.respond_by_wechat", "status.partial_number",
    "status.asked_phone", "status.no_phone",
    "issued.contact_wechat", "issued.response_wechat", "issued.contact_soon_wechat",
    "survey.reopened_contact_wechat", "survey.reopened_soon_wechat", "survey.reopened_by_other",
    "status.reply", "status.updated",
    "status.not_found", "status.list_head", "status.list_line", "status.list_tail",
    "status.none", "ask.withdraw_one", "ask.withdraw_which", "status.kept", "followup.added", "followup.place_added",
    "followup.phone_added", "followup.place_phone_added", "followup.media", "followup.photo", "followup.voice",
    "followup.video", "followup.link", "followup.urged", "followup.urged_again",
    "followup.location", "survey.thanks", "survey.noted", "survey.reopened", "survey.reopened_due",
    "survey.reopened_contact", "survey.reopened_soon",
    "survey.nothing", "survey.changed", "chat.greet", "chat.greet_short", "chat.thanks", "chat.chitchat", "chat.abuse", "chat.abuse_short",
    "chat.fallback", "chat.voice_heard", "chat.photo_added",
    "chat.voice_unclear", "chat.video_added", "chat.link_added", "chat.location_added",
    "chat.location_noted", "chat.location_unknown", "chat.new_report", "chat.next_report_kept",
    "chat.next_report_started", "chat.already_filed", "chat.welcome_open_head",
    "chat.welcome_open_line", "chat.welcome_open_tail", "chat.media_kept",
)


@dataclass(frozen=True)
class Texts:
    data: dict[str, Any]
    replies: Replies
    source: str

    @classmethod
    def load(cls, path: Path = TEXTS_FILE, replies: Replies | None = None) -> Texts:
        data = read_mapping(path)
        texts = cls(data, replies or Replies.load(), str(path))
        for key in REQUIRED:
            value = texts._lookup(key)
            if not isinstance(value, str) or not value.strip():
                raise DialogDataError(path, key, "missing or empty")
        return texts

    @property
    def district(self) -> str:
        return str(self.data.get("district") or "")

    def say(self, key: str, **values: Any) -> str:
        """The text under a dotted key, filled in. Unknown placeholders raise KeyError."""
        value = self._lookup(key)
        if not isinstance(value, str):
            raise KeyError(key)
        return value.strip().format(
            city=self.replies.texts.get("city", ""),
            account=self.replies.texts.get("account", ""),
            district=self.district,
            **values,
        )

    def reply(self, name: str, **values: Any) -> str:
        """A text of knowledge/replies.yaml (welcome, menu_hint, …)."""
        return self.replies.say(name, **values)

    def menu_click(self, key: str) -> str | None:
        return self.replies.menu_click(key)

    def keys(self) -> list[str]:
        out: list[str] = []

        def walk(prefix: str, node: Any) -> None:
            if isinstance(node, dict):
                for k, v in node.items():
                    walk(f"{prefix}.{k}" if prefix else str(k), v)
            elif isinstance(node, str) and "." in prefix:
                out.append(prefix)

        walk("", self.data)
        return out

    def _lookup(self, key: str) -> Any:
        node: Any = self.data
        for part in key.split("."):
            if not isinstance(node, dict):
                return None
            node = node.get(part)
        return node
