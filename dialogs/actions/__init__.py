"""Every Minyi action, built with one kit: what the engine and the action server register."""

from __future__ import annotations

import logging

from rasa_sdk import Action
from rasa_sdk.executor import ActionExecutor

from dialogs.actions import chat, control, emergency, followup, intake, status, survey
from dialogs.actions.ask import ask_actions
from dialogs.form import ValidateComplaintForm
from dialogs.kit import DialogKit


def all_actions(kit: DialogKit) -> list[Action]:
    simple = [
        chat.ActionGreet, chat.ActionGreetShort, chat.ActionThanks, chat.ActionAlreadySolved,
        chat.ActionChitchat, chat.ActionAbuse, chat.ActionAbuseShort,
        chat.ActionFallback, chat.ActionWait, chat.ActionNothingToConfirm, chat.ActionNewReport,
        chat.ActionWelcome,
        chat.ActionAlreadyFiled, chat.ActionHelp, chat.ActionMenuClick,
        chat.ActionFaq, chat.ActionVoiceHeard, chat.ActionAskCorrection, chat.ActionLinkOnly,
        control.ActionCancel, control.ActionRestart, control.ActionAskResume,
        control.ActionResume, control.ActionDropDraft, control.ActionWithdrawOrCancel,
        emergency.ActionEmergency, emergency.ActionPlaceOffered, followup.ActionFollowup,
        intake.ActionComplaintSummary, intake.ActionSubmitComplaint, intake.ActionKeepNextReport,
        intake.ActionNoteNextReport,
        status.ActionQueryStatus, status.ActionMySlips, status.ActionAskWithdraw,
        status.ActionWithdrawOffered, status.ActionKeepSlip, status.ActionSlipQuestion,
        survey.ActionSurvey, survey.ActionSurveyReason, survey.ActionAskSurvey,
        survey.ActionAskRerate, survey.ActionRerateOffered, survey.ActionKeepRating,
        survey.ActionAskReasonOrNew, survey.ActionReasonOffered,
    ]
    return [ValidateComplaintForm(kit), *ask_actions(kit), *(cls(kit) for cls in simple)]


def action_executor(kit: DialogKit) -> ActionExecutor:
    """An executor with every action registered (quietly: rasa-sdk logs each one at INFO)."""
    executor = ActionExecutor()
    quiet = logging.getLogger("rasa_sdk.executor")
    level = quiet.level
    quiet.setLevel(logging.WARNING)
    try:
        for action in all_actions(kit):
            executor.register_action(action)
    finally:
        quiet.setLevel(level)
    return executor
