"""Learning's events: a parent's account (activation and sign-in links, sealed), modules, the
e-learning completed, and the 10-day clock (approaching, missed, extended)."""

from datetime import datetime
from typing import Literal

from ptfc.events.envelope import EventData


class LearningEvent(EventData):
    referral_id: str
    participant_id: str
    enrolment_id: str
    cycle: int | None = None  # the referral cycle the enrolment belongs to (a re-order starts a new one)


class ActivationIssued(LearningEvent):
    TYPE = "account.activation_issued"
    VERSION = 2  # v1 carried the link in clear (`activation_url`); retired before launch, no v1 consumer remains
    sealed_activation_url: str  # the link with its single-use token, sealed for notifications (ptfc.sealing)
    expires_at: datetime
    deadline: datetime
    reissue: bool = False


class AccountActivated(LearningEvent):
    TYPE = "account.activated"


class SignInLinkIssued(LearningEvent):
    """An activated parent asked to sign in again: a short-lived single-use link, mailed to them."""

    TYPE = "account.sign_in_link_issued"
    sealed_sign_in_url: str  # the link with its single-use token, sealed for notifications (ptfc.sealing)
    expires_at: datetime


class SignInRefused(LearningEvent):
    """A parent whose course is closed asked for a sign-in link (the hub's page answers every address
    alike): no link, but a letter saying why, at most as often as links go. Nothing at the withdrawal
    itself: the parent hears when they ask, or from the court or their FCA (docs/security.md)."""

    TYPE = "account.sign_in_refused"
    reason: Literal["withdrawn"]  # why the course is closed
    closed_at: datetime  # when: the withdrawal of this parent's course


class ActivationExpired(LearningEvent):
    TYPE = "account.activation_expired"
    expired_at: datetime


class ModuleCompleted(LearningEvent):
    TYPE = "module.completed"
    module: int
    modules_completed: int


class LearningCompleted(LearningEvent):
    TYPE = "learning.completed"
    completed_at: datetime


class DeadlineApproaching(LearningEvent):
    TYPE = "learning.deadline_approaching"
    deadline: datetime
    days_left: int
    modules_completed: int


class DeadlineMissed(LearningEvent):
    TYPE = "learning.deadline_missed"
    deadline: datetime
    modules_completed: int


class LearningExtended(LearningEvent):
    TYPE = "learning.extended"
    VERSION = 2  # v1 carried `reason`, typed by the adviser (see referral.withdrawn v2); it stays on the enrolment
    deadline: datetime
    days: int
