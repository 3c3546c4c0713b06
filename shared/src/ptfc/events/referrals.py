"""Referrals' events: a referral made (its parents sealed per service), a contact changed,
withdrawn, re-ordered, an activation overdue, and the course's outcome for the court."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from ptfc.events.envelope import EventData
from ptfc.lookup import email_key
from ptfc.programme import Language
from ptfc.sealing import seal, unseal

Availability = Literal["daytime", "evening", "weekend"]
IncompleteReason = Literal["elearning_deadline_missed", "workshop_missed", "withdrawn"]


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
