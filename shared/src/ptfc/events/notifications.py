"""Notifications' events: a message sent or failed, by template and recipient role, never an address."""

from typing import Literal

from ptfc.events.envelope import EventData

RecipientRole = Literal["parent", "fca", "court", "provider", "co_parent", "invitee"]


class NotificationOutcome(EventData):
    notification_id: str
    template: str
    recipient_role: RecipientRole
    source_event_id: str
    referral_id: str | None = None  # None for plan invitations
    participant_id: str | None = None  # the parent the message is about, if any


class NotificationSent(NotificationOutcome):
    TYPE = "notification.sent"


class NotificationFailed(NotificationOutcome):
    TYPE = "notification.failed"
    reason: str
