"""Collections and indexes the notifications service owns, and the records in them.

- `contacts`: one per parent, only what it takes to reach them (from `referral.created`).
- `referrals`: the professional side of each referral: court, FCA, provider.
- `bookings`: where a parent's workshop is, for its reminder.
- `invitees`: whom a plan was shared with (from `plan.shared`).
- `deliveries`: one row per message, unique per (source event, template, recipient); the
  sender sweep claims due rows with a lease and records the outcome."""

from typing import Any

from bson import Binary
from pymongo import ASCENDING, IndexModel

from notifications.attachments import Attachment
from notifications.domain import Booking, Contact, Referral

CONTACTS, REFERRALS, BOOKINGS, INVITEES, DELIVERIES = "contacts", "referrals", "bookings", "invitees", "deliveries"

INDEXES: dict[str, list[IndexModel]] = {
    CONTACTS: [IndexModel("referral_id")],
    REFERRALS: [],
    BOOKINGS: [],
    INVITEES: [],
    DELIVERIES: [
        IndexModel("key", unique=True),  # one message per source event, template and recipient
        IndexModel([("status", ASCENDING), ("due_at", ASCENDING)]),  # the sender's sweep
        IndexModel([("correlation_id", ASCENDING), ("_id", ASCENDING)]),  # the delivery log
    ],
}


def contact_of(doc: dict[str, Any]) -> Contact:
    return Contact(
        participant_id=doc["_id"],
        referral_id=doc["referral_id"],
        given_name=doc["given_name"],
        family_name=doc["family_name"],
        email=doc["email"],
        phone=doc.get("phone", ""),
        language=doc.get("language", "en"),
        interpreter=doc.get("interpreter"),
        in_person=doc.get("in_person", False),
        withdrawn=doc.get("withdrawn", False),
    )


def referral_of(doc: dict[str, Any]) -> Referral:
    return Referral(
        referral_id=doc["_id"],
        case_number=doc["case_number"],
        court=doc["court"],
        court_email=doc.get("court_email"),
        fca_id=doc["fca_id"],
        fca_name=doc["fca_name"],
        fca_email=doc["fca_email"],
        provider=doc["provider"],
    )


def booking_of(doc: dict[str, Any] | None) -> Booking | None:
    return Booking(doc["mode"], doc.get("video_link"), doc.get("venue")) if doc else None


def attachments_doc(files: list[Attachment]) -> list[dict[str, Any]]:
    return [{"filename": f.filename, "content_type": f.content_type, "data": Binary(f.data)} for f in files]


def attachments_of(doc: dict[str, Any]) -> list[Attachment]:
    return [Attachment(a["filename"], a["content_type"], bytes(a["data"])) for a in doc.get("attachments", [])]
