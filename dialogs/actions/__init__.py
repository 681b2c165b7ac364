"""Every Minyi action, built with one kit: what the engine and the action server register."""

from __future__ import annotations

from rasa_sdk import Action

from dialogs.actions import chat, control, emergency, followup, intake, status, survey
from dialogs.actions.ask import ask_actions
from dialogs.form import ValidateComplaintForm
from dialogs.kit import DialogKit


def all_actions(kit: DialogKit) -> list[Action]:
    simple = [
        chat.ActionGreet, chat.ActionGreetShort, chat.ActionThanks, chat.ActionChitchat,
        chat.ActionFallback, chat.ActionNothingToConfirm, chat.ActionBackToForm,
        chat.ActionNewReport, chat.ActionWelcome, chat.ActionHelp, chat.ActionMenuClick,
        chat.ActionFaq, chat.ActionVoiceHeard, chat.ActionAskCorrection,
        control.ActionCancel, control.ActionRestart, control.ActionAskResume,
        control.ActionResume, control.ActionDropDraft,
        emergency.ActionEmergency, followup.ActionFollowup,
        intake.ActionComplaintSummary, intake.ActionSubmitComplaint,
        status.ActionQueryStatus, status.ActionMySlips,
        survey.ActionSurvey, survey.ActionSurveyReason,
    ]
    return [ValidateComplaintForm(kit), *ask_actions(kit), *(cls(kit) for cls in simple)]
