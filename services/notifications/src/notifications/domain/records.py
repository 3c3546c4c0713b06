"""What notifications keeps and plans: the templates and which go first, a parent's contact, the
referral's professionals, a workshop's place, a planned letter. No I/O."""

from dataclasses import dataclass, field
from typing import Any

from ptfc.events import ParticipantContact, ReferralCreated

PARENT_TEMPLATES = (
    "welcome",
    "sign_in_link",
    "course_closed",
    "link_expired",
    "deadline_reminder",
    "deadline_extended",
    "learning_complete",
    "workshop_booked",
    "workshop_reminder",
    "workshop_cancelled",
    "booking_cancelled",
    "workshop_missed",
    "course_completed",
    "followup_scheduled",
    "plan_invitation",
    "plan_reply",
    "contact_changed",
    "contact_confirmed",
)
PROFESSIONAL_TEMPLATES = (
    "provider_heads_up",
    "activation_chaser",
    "completion_report",
    "incomplete_report",
    "safeguarding_alert",
)
URGENT = frozenset({"safeguarding_alert"})


PARENTS_OWN = frozenset({"parent", "co_parent", "invitee"})  # recipient roles whose mail is a parent's own


def rank(template: str, role: str) -> int:
    """Which due letters go first when more are due than the sender sends at once (a surge of
    referrals): a safeguarding alert, then a parent's own letters (their course clock is running),
    then the professionals' copies and heads-ups."""
    return 0 if template in URGENT else 1 if role in PARENTS_OWN else 2


@dataclass(frozen=True)
class Contact:
    """What it takes to reach one parent, kept from `referral.created`."""

    participant_id: str
    referral_id: str
    given_name: str
    family_name: str
    email: str
    phone: str = ""
    language: str = "en"
    interpreter: str | None = None
    in_person: bool = False
    withdrawn: bool = False

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


@dataclass(frozen=True)
class Referral:
    """The professional side of a referral: never a parent's details."""

    referral_id: str
    case_number: str
    court: str
    court_email: str | None
    fca_id: str
    fca_name: str
    fca_email: str
    provider: str


def referral_kept(data: ReferralCreated) -> dict[str, Any]:
    """The professional side of `referral.created`, as kept to write to them (`Referral`)."""
    kept = {"case_number": data.case_number, "court": data.court, "court_email": data.court_email}
    kept |= {"fca_id": data.fca_id, "fca_name": data.fca.name, "fca_email": data.fca.email}
    return kept | {"provider": data.provider}


def contact_kept(referral_id: str, person: ParticipantContact) -> dict[str, Any]:
    """Only what reaching a parent needs (`Contact`); gender, availability and children stay out."""
    kept = {"referral_id": referral_id, "given_name": person.given_name, "family_name": person.family_name}
    kept |= {"email": person.email, "phone": person.phone, "language": person.preferred_language}
    return kept | {"interpreter": person.adjustments.interpreter, "in_person": person.adjustments.in_person}


@dataclass(frozen=True)
class Booking:
    """Where a parent's workshop is, kept from `workshop.booked` for the reminder."""

    mode: str
    video_link: str | None = None
    venue: str | None = None


@dataclass(frozen=True)
class Planned:
    template: str
    role: str  # RecipientRole
    to: str
    language: str
    subject_id: str  # whom the message is about: a participant, or a plan invitation
    context: dict[str, Any] = field(default_factory=dict)
    attachments: tuple[str, ...] = ()  # kinds: "ics", "certificate"
    skip_reason: str | None = None

    def key(self, source_event_id: str) -> str:
        """One message per source event, recipient and template."""
        return f"{source_event_id}:{self.template}:{self.role}:{self.subject_id}"


@dataclass(frozen=True)
class Inboxes:
    providers: dict[str, str]
    courts: str
