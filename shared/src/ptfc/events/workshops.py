"""Workshops' events: a booking and what becomes of it (cancelled, reminded, attended, missed),
follow-up calls, and a safeguarding concern raised."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from ptfc.events.envelope import EventData


class SessionPart(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    starts_at: datetime
    ends_at: datetime


class WorkshopEvent(EventData):
    referral_id: str
    participant_id: str
    booking_id: str
    session_id: str


class WorkshopBooked(WorkshopEvent):
    TYPE = "workshop.booked"
    # v1 carried the session's `video_link` in clear to every subscriber, partners and webhooks
    # included: whoever held a partner credential could join any online group. Now it travels sealed
    # for notifications alone (ptfc.sealing, `link_seal_key`); partners see only that there is one.
    # Retired before launch, as referral.created v1; no v1 consumer remains.
    VERSION = 2
    parts: list[SessionPart]
    mode: Literal["online", "in_person"]
    has_video_link: bool = False
    sealed_video_link: str | None = None  # the session's video link, sealed for notifications
    venue: str | None = None
    rebooking: bool = False
    # Sent again for the same booking when the session's video link or venue changed after it was
    # booked (an optional field: the version stays).
    changed: bool = False


class WorkshopCancelled(WorkshopEvent):
    TYPE = "workshop.cancelled"
    reason: str


class WorkshopReminderDue(WorkshopEvent):
    TYPE = "workshop.reminder_due"
    starts_at: datetime


class WorkshopAttended(WorkshopEvent):
    TYPE = "workshop.attended"
    attended_at: datetime


class WorkshopMissed(WorkshopEvent):
    TYPE = "workshop.missed"
    misses: int
    rebooking_offered: bool
    # The parts the parent did attend (part 1 of a workshop left at the break): the letter then does
    # not say "you were not at the workshop". Optional, so the version stays (a v2 reader sees []).
    parts_attended: list[int] = []


class FollowupScheduled(EventData):
    TYPE = "followup.scheduled"
    referral_id: str
    participant_id: str
    followup_id: str
    due_by: datetime


class FollowupCompleted(EventData):
    TYPE = "followup.completed"
    referral_id: str
    participant_id: str
    followup_id: str


class SafeguardingConcernRaised(EventData):
    """Details stay in workshops; the FCA is told at once and follows up there."""

    TYPE = "safeguarding.concern_raised"
    concern_id: str
    referral_id: str
    participant_id: str
    session_id: str | None = None
    raised_at: datetime
    category: str | None = None  # what kind of concern (never its details); optional, so still v1
