"""Event contracts: the envelope, one model per event type, and the registry.

Versioning rule: `version` is the major version of an event's `data`. Adding an
optional field keeps the version; consumers ignore fields they do not know.
Renaming, removing or changing the meaning of a field is a new version, to be published
beside the old one until every consumer reads it (today each type has one version: the five
v1s replaced before launch were not kept beside their v2s). Events carry ids and reason codes; a
parent's contact details and support needs (`referral.created`), the links that sign a parent
in, plan invitations and the address a plan is shared with travel sealed (`ptfc.sealing`),
each for the one service that needs them.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field

from ptfc.lookup import email_key

# Re-exported: event models use them, and consumers may name them from here.
from ptfc.programme import PROVIDERS as PROVIDERS
from ptfc.programme import Language as Language
from ptfc.sealing import seal, unseal

Availability = Literal["daytime", "evening", "weekend"]
IncompleteReason = Literal["elearning_deadline_missed", "workshop_missed", "withdrawn"]
RecipientRole = Literal["parent", "fca", "court", "provider", "co_parent", "invitee"]


class NotYetKnown(LookupError):
    """A handler met an event about something whose own event has not been handled here yet: events
    of different subjects arrive in any order (an `account.activation_issued` may come before the
    `referral.created` it follows). Retried soon and patiently (ptfc.consumer), not as a failure."""


class EventData(BaseModel):
    """The `data` of one event type. Unknown fields are ignored, so producers may add fields."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    TYPE: ClassVar[str]
    VERSION: ClassVar[int] = 1


class Envelope(BaseModel):
    model_config = ConfigDict(extra="ignore")

    event_id: UUID = Field(default_factory=uuid4)
    type: str
    version: int = 1
    occurred_at: datetime
    correlation_id: str
    producer: str
    data: dict[str, Any]

    @classmethod
    def of(cls, data: EventData, *, correlation_id: str, producer: str, at: datetime | None = None) -> "Envelope":
        return cls(
            type=data.TYPE,
            version=data.VERSION,
            occurred_at=at or datetime.now(UTC),
            correlation_id=correlation_id,
            producer=producer,
            data=data.model_dump(mode="json"),
        )

    def payload(self) -> EventData:
        """The typed `data`; raises `pydantic.ValidationError` if it breaks its contract."""
        return EVENTS[self.type].model_validate(self.data)


# ---- referrals ---------------------------------------------------------------------------


class Adjustments(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    interpreter: str | None = None
    in_person: bool = False
    support_needs: str = ""


class ParticipantContact(BaseModel):
    """How to reach one parent: it travels sealed for notifications alone (`sealed_contact`)."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    participant_id: str
    given_name: str
    family_name: str
    email: str
    phone: str = ""
    preferred_language: Language = "en"
    gender: str | None = None
    adjustments: Adjustments = Adjustments()
    availability: list[Availability] = []


class WorkshopProfile(BaseModel):
    """What workshops needs to place a parent in a group and to prepare the facilitator (who sees
    first names and support needs): sealed for workshops alone (`sealed_profile`)."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    participant_id: str
    given_name: str
    preferred_language: Language = "en"
    gender: str | None = None
    adjustments: Adjustments = Adjustments()
    availability: list[Availability] = []


class ReferredParticipant(BaseModel):
    """One parent as every subscriber sees them: an id, a language, and sealed blocks only the
    service each is meant for can open (ptfc.sealing; see docs/security.md)."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    participant_id: str
    preferred_language: Language = "en"
    # learning finds a parent asking for a sign-in link by this keyed hash of their email
    # (ptfc.lookup, with learning's `email_lookup_key`, which referrals holds as `sign_in_lookup_key`)
    sign_in_key: str
    sealed_contact: str  # a ParticipantContact, sealed with `contact_seal_key` (notifications)
    sealed_profile: str  # a WorkshopProfile, sealed with `workshops_seal_key` (workshops)


@dataclass(frozen=True)
class ReferralKeys:
    """The keys referrals seals and hashes a new referral's parents with."""

    contact_seal_key: str
    workshops_seal_key: str
    sign_in_lookup_key: str

    @classmethod
    def of(cls, settings: Any) -> "ReferralKeys":
        return cls(settings.contact_seal_key, settings.workshops_seal_key, settings.sign_in_lookup_key)

    @classmethod
    def development(cls) -> "ReferralKeys":
        """The public development keys: for tests and tools playing referrals locally."""
        from ptfc.settings import DEV_CONTACT_SEAL_KEY, DEV_EMAIL_LOOKUP_KEY, DEV_WORKSHOPS_SEAL_KEY

        return cls(DEV_CONTACT_SEAL_KEY, DEV_WORKSHOPS_SEAL_KEY, DEV_EMAIL_LOOKUP_KEY)


def seal_participants(contacts: list[ParticipantContact], keys: ReferralKeys) -> list[ReferredParticipant]:
    return [
        ReferredParticipant(
            participant_id=c.participant_id,
            preferred_language=c.preferred_language,
            sign_in_key=email_key(keys.sign_in_lookup_key, c.email),
            sealed_contact=seal(keys.contact_seal_key, c.model_dump_json()),
            sealed_profile=seal(
                keys.workshops_seal_key, WorkshopProfile.model_validate(c.model_dump()).model_dump_json()
            ),
        )
        for c in contacts
    ]


class Professional(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    name: str
    email: str


class ReferralCreated(EventData):
    TYPE = "referral.created"
    # v1 carried both parents' contact details and support needs in clear, to every subscriber;
    # retired before launch (as account.activation_issued v1), no v1 consumer remains.
    VERSION = 2
    referral_id: str
    case_number: str
    court: str
    court_email: str | None = None
    source: Literal["court_order", "fca_request"]
    stage: str
    region: str
    provider: str  # a slug of PROVIDERS
    fca_id: str  # the FCA's subject: who may follow this referral
    fca: Professional  # a professional's work address, not a parent's
    participants: list[ReferredParticipant]
    children_ages: list[int] = []
    cycle: int = 1

    def contacts(self, key: str, previous: Sequence[str] = ()) -> list[ParticipantContact]:
        """For notifications: each parent's contact details (raises InvalidToken without the key)."""
        return [
            ParticipantContact.model_validate_json(unseal(key, p.sealed_contact, previous)) for p in self.participants
        ]

    def co_parents_of(self, participant_id: str) -> list[str]:
        """Who is this parent's co-parent: the referral's other parents (decided here, for every consumer)."""
        return [p.participant_id for p in self.participants if p.participant_id != participant_id]

    def profiles(self, key: str, previous: Sequence[str] = ()) -> list[WorkshopProfile]:
        """For workshops: each parent's first name, gender, adjustments and availability."""
        return [WorkshopProfile.model_validate_json(unseal(key, p.sealed_profile, previous)) for p in self.participants]


ContactChangeReason = Literal["parent_asked", "address_wrong", "undeliverable", "safety"]


class ContactChange(BaseModel):
    """A parent's new email and/or phone: it travels sealed for notifications alone, with
    `contact_seal_key`, as `ParticipantContact` does in `referral.created`."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    participant_id: str
    email: str | None = None
    phone: str | None = None


class ReferralContactChanged(EventData):
    """The FCA changed how to reach a parent of their referral (an audited request to referrals).
    The only event that may change a known parent's contact (notifications) or sign-in key
    (learning): a `referral.created` never re-points a parent who is already known."""

    TYPE = "referral.contact_changed"
    referral_id: str
    participant_id: str
    reason: ContactChangeReason
    email_changed: bool
    phone_changed: bool
    # The new email's keyed hash for learning's sign-in (as `ReferredParticipant.sign_in_key`), if it changed.
    sign_in_key: str | None = None
    sealed_contact: str  # a ContactChange, sealed with `contact_seal_key` (notifications)

    def contact(self, key: str, previous: Sequence[str] = ()) -> ContactChange:
        """For notifications: the new details (raises InvalidToken without the key)."""
        return ContactChange.model_validate_json(unseal(key, self.sealed_contact, previous))


class ReferralWithdrawn(EventData):
    TYPE = "referral.withdrawn"
    # v1 carried `reason`, the text the adviser typed, to every subscriber: free text can hold what no
    # partner may read (a refuge's address, a parent's illness). It stays on the referral, for those
    # who may read it. Retired before launch, as referral.created v1; no v1 consumer remains.
    VERSION = 2
    referral_id: str
    participant_ids: list[str]


class ReferralReordered(EventData):
    TYPE = "referral.reordered"
    referral_id: str
    participant_id: str
    cycle: int
    provider: str
    preferred_language: Language = "en"


class ActivationOverdue(EventData):
    """The 14-day chaser: a parent has not activated their account."""

    TYPE = "referral.activation_overdue"
    referral_id: str
    participant_id: str
    provider: str
    days_since_referral: int


class CourseCompleted(EventData):
    TYPE = "course.completed"
    referral_id: str
    participant_id: str
    cycle: int
    case_number: str
    elearning_completed_at: datetime
    workshop_attended_at: datetime


class CourseIncomplete(EventData):
    TYPE = "course.incomplete"
    referral_id: str
    participant_id: str
    cycle: int
    case_number: str
    reason: IncompleteReason
    modules_completed: int = 0


# ---- learning ----------------------------------------------------------------------------


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


# ---- workshops ---------------------------------------------------------------------------


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


# ---- plans -------------------------------------------------------------------------------


class PlanCreated(EventData):
    TYPE = "plan.created"
    plan_id: str
    owner_id: str


class PlanShared(EventData):
    """An invitation to a plan. Exactly one of `invitee_participant_id` (a programme co-parent,
    whose contact notifications already keeps) or `sealed_invitee_email` is set."""

    TYPE = "plan.shared"
    VERSION = 2  # v1 carried `invitee_email` and `invite_url` in clear; retired before launch, no v1 consumer remains
    plan_id: str
    invitation_id: str
    invitee_participant_id: str | None = None
    sealed_invitee_email: str | None = None  # the address the sharing party typed in, sealed (ptfc.sealing)
    sealed_invite_url: str  # the single-use invitation link, sealed for notifications (ptfc.sealing)
    expires_at: datetime
    preferred_language: Language = "en"


class PlanProposalMade(EventData):
    TYPE = "plan.proposal_made"
    plan_id: str
    proposal_id: str
    topic: str


class PlanItemAgreed(EventData):
    TYPE = "plan.item_agreed"
    plan_id: str
    topic: str


class PlanAgreed(EventData):
    TYPE = "plan.agreed"
    plan_id: str


class PlanReplyWaiting(EventData):
    """A parent's co-parent replied: a proposal waits for them, or the plan is agreed. Plans sends at
    most one a day per plan per parent, none to a parent who turned these emails off; notifications
    emails it with no words of the plan. The recipient by id only: a programme parent, or the
    invitation they joined by (whose address notifications alone keeps)."""

    TYPE = "plan.reply_waiting"
    plan_id: str
    reason: Literal["proposal", "agreed"]
    recipient_participant_id: str | None = None
    recipient_invitation_id: str | None = None
    preferred_language: Language = "en"


# ---- notifications -----------------------------------------------------------------------


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


def _registry() -> dict[str, type[EventData]]:
    found: dict[str, type[EventData]] = {}
    pending = list(EventData.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if "TYPE" in cls.__dict__:
            found[cls.TYPE] = cls
    return found


EVENTS: dict[str, type[EventData]] = _registry()

# Which service owns (declares and publishes to) which stream, and the subjects in it.
STREAMS: dict[str, tuple[str, list[str]]] = {
    "referrals": ("REFERRALS", ["referral.>", "course.>"]),
    "learning": ("LEARNING", ["account.>", "module.>", "learning.>"]),
    "workshops": ("WORKSHOPS", ["workshop.>", "followup.>", "safeguarding.>"]),
    "plans": ("PLANS", ["plan.>"]),
    "notifications": ("NOTIFICATIONS", ["notification.>"]),
}


def owner_of(event_type: str) -> str:
    """The service that alone may publish `event_type` (the owner of its stream)."""
    prefix = event_type.split(".", 1)[0]
    for owner, (_, subjects) in STREAMS.items():
        if f"{prefix}.>" in subjects:
            return owner
    raise KeyError(f"no stream holds {event_type}")


def stream_for(event_type: str) -> str:
    prefix = event_type.split(".", 1)[0]
    for name, subjects in STREAMS.values():
        if f"{prefix}.>" in subjects:
            return name
    raise KeyError(f"no stream holds {event_type}")
