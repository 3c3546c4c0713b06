"""One event of each kind about parent A of a two-parent referral (built by `ptfc.testing.events.event`,
the platform's one factory of test events), and the planning inputs."""

from datetime import UTC, datetime, timedelta

from notifications.domain import Booking, Contact, Inboxes, Referral
from ptfc.events import SessionPart
from ptfc.testing.events import event

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REFERRAL = Referral(
    referral_id="r-1",
    case_number="MA24P00123",
    court="Manchester Family Court",
    court_email=None,
    fca_id="fca-1",
    fca_name="Fiona Adviser",
    fca_email="fiona@cafcass.example",
    provider="family-action",
)
INBOXES = Inboxes(
    {"action-for-children": "afc@afc.example", "family-action": "fa@fa.example"}, "courts@justice.example"
)


def parent(pid: str, given: str, family: str, email: str, phone: str, language: str = "en") -> Contact:
    return Contact(pid, "r-1", given, family, email, phone, language)


A = parent("p-a", "Alex", "Morgan", "alex.m@parents.example", "07700900001")
B = parent("p-b", "Bartosz", "Wiśniewski", "bartosz.w@parents.example", "07700900999", "pl")
IDS = {"referral_id": "r-1", "participant_id": "p-a"}
LEARN = {**IDS, "enrolment_id": "e-1"}
BOOK = {**IDS, "booking_id": "b-1", "session_id": "s-1"}
PARTS = [
    SessionPart(starts_at=NOW + timedelta(days=3, hours=9), ends_at=NOW + timedelta(days=3, hours=10, minutes=15)),
    SessionPart(starts_at=NOW + timedelta(days=4, hours=9), ends_at=NOW + timedelta(days=4, hours=10, minutes=15)),
]
LINK = "https://hub.example/activate?token=t&x=1"  # what the handler opens from the sealed link
EVENTS = [
    event(
        "account.activation_issued",
        **LEARN,
        sealed_activation_url="sealed",
        expires_at=NOW + timedelta(hours=72),
        deadline=NOW + timedelta(days=10),
    ),
    event("account.activation_expired", **LEARN, expired_at=NOW),
    event("learning.deadline_approaching", **LEARN, deadline=NOW + timedelta(days=1), days_left=1, modules_completed=7),
    event("learning.extended", **LEARN, deadline=NOW + timedelta(days=15), days=5),
    event("learning.completed", **LEARN, completed_at=NOW),
    event("workshop.booked", **BOOK, parts=PARTS, mode="in_person", venue="Family Hub, 1 High Street, Salford"),
    event("workshop.reminder_due", **BOOK, starts_at=PARTS[0].starts_at),
    event("workshop.cancelled", **BOOK, reason="facilitator_ill"),
    event("workshop.missed", **BOOK, misses=1, rebooking_offered=True),
    event("workshop.missed", **BOOK, misses=2, rebooking_offered=False),
    event(
        "course.completed",
        **IDS,
        cycle=1,
        case_number="MA24P00123",
        elearning_completed_at=NOW,
        workshop_attended_at=NOW,
    ),
    event("course.incomplete", **IDS, cycle=1, case_number="MA24P00123", reason="elearning_deadline_missed"),
    event("followup.scheduled", **IDS, followup_id="f-1", due_by=NOW + timedelta(weeks=6)),
    event("safeguarding.concern_raised", **IDS, concern_id="c-1", raised_at=NOW),
    event("referral.activation_overdue", **IDS, provider="family-action", days_since_referral=14),
    event("account.sign_in_link_issued", **LEARN, sealed_sign_in_url="sealed", expires_at=NOW + timedelta(minutes=30)),
    event("workshop.cancelled", **BOOK, reason="parent_cancelled"),
    event("account.sign_in_refused", **LEARN, reason="withdrawn", closed_at=NOW - timedelta(days=2)),
]
BOOKING = Booking("in_person", venue="Family Hub, 1 High Street, Salford")
