"""Responses, built from explicit models so no stored field leaks by accident (a parent's view
of a session never carries its bookings; nothing carries contact details)."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from ptfc.clock import utc
from workshops.domain import MEASURE, SCALE


class PartView(BaseModel):
    starts_at: datetime
    ends_at: datetime


class VenueView(BaseModel):
    name: str
    address: str
    postcode: str


class SessionView(BaseModel):
    """For provider staff and the session's facilitators."""

    id: str
    provider: str
    status: str
    format: str
    video_link: str | None
    venue: VenueView | None
    pattern: str
    parts: list[PartView]
    capacity: int
    booked: int
    language: str
    interpreters: list[str]
    facilitators: list[str]


class OfferedSession(BaseModel):
    """A session as a parent may see it before booking: no link, no seat count, no one in it."""

    id: str
    format: str
    venue: VenueView | None
    pattern: str
    parts: list[PartView]
    language: str
    interpreters: list[str]


class BookingView(BaseModel):
    id: str
    status: str
    session: OfferedSession
    video_link: str | None  # only to the booked parent, for an online session
    booked_at: datetime
    cancellable_until: datetime
    # Whether the parent may still cancel online, by this service's clock (the one that refuses a late
    # cancel): the hub offers the button only then, and after the cut-off says whom to call instead.
    cancellable: bool = False
    # The parent's own workshops missed in this course (a second miss ends it): a booking after one
    # is their last rebooking, and a missed booking with one says one rebooking is left.
    misses: int = 0
    # Each part's attendance as recorded ("1": attended / missed / left_early): "part 1 done" before
    # part 2 of a two-evening workshop, and which parts a missed workshop's parent did attend.
    parts: dict[str, str] = {}


class WaitlistView(BaseModel):
    patterns: list[str]
    formats: list[str]
    since: datetime


class ConsentView(BaseModel):
    consent: bool


class SeenByStaff(BaseModel):
    """What a provider's staff see of a parent, on a session's list and on the waiting list alike:
    first name, language, needs; never contact details."""

    participant_id: str
    given_name: str
    language: str
    interpreter: str | None
    in_person: bool
    support_needs: str

    @classmethod
    def fields(cls, participant_id: str, parent: dict) -> dict[str, Any]:
        """Those fields from the parent's record (as `handlers.know_parents` keeps it)."""
        return {
            "participant_id": participant_id,
            "given_name": parent.get("given_name", ""),
            "language": parent.get("language", "en"),
            "interpreter": parent.get("interpreter"),
            "in_person": parent.get("in_person", False),
            "support_needs": parent.get("support_needs", ""),
        }


class ParticipantView(SeenByStaff):
    """Who is in a session, for its facilitators: first name, language, needs; never contact details."""

    attendance: dict[str, str]
    status: str


class AttendanceView(BaseModel):
    participant_id: str
    attendance: dict[str, str]
    status: str


class FollowupView(BaseModel):
    id: str
    participant_id: str
    given_name: str
    session_id: str
    facilitator: str
    due_by: datetime
    status: str


class ItemDistribution(BaseModel):
    question: str
    counts: dict[str, int]  # answer (0 to 4) → how many parents gave it


class FollowupOutcomes(BaseModel):
    provider: str
    calls_made: int
    reached: int
    reach_rate: float | None
    items: dict[str, ItemDistribution] | None  # None while too few answers to show without exposing one
    min_cell: int


class ConcernCreated(BaseModel):
    id: str
    session_id: str
    participant_id: str
    category: str
    raised_at: datetime


class ConcernView(ConcernCreated):
    referral_id: str
    details: str
    raised_by: str


class ConcernRead(BaseModel):
    reader: str
    role: str
    at: datetime


def parts(doc: dict) -> list[PartView]:
    return [PartView(starts_at=utc(p["starts_at"]), ends_at=utc(p["ends_at"])) for p in doc["parts"]]


def session_view(doc: dict) -> SessionView:
    return SessionView(
        id=str(doc["_id"]),
        **{k: doc.get(k) for k in ("provider", "status", "format", "video_link", "venue", "pattern", "capacity")},
        parts=parts(doc),
        booked=doc["booked"],
        language=doc["language"],
        interpreters=doc["interpreters"],
        facilitators=doc["facilitators"],
    )


def offered(doc: dict) -> OfferedSession:
    return OfferedSession(
        id=str(doc["_id"]),
        format=doc["format"],
        venue=doc.get("venue"),
        pattern=doc["pattern"],
        parts=parts(doc),
        language=doc["language"],
        interpreters=doc["interpreters"],
    )


def booking_view(booking: dict, session: dict, cutoff, now: datetime) -> BookingView:
    until = utc(session["starts_at"]) - cutoff
    return BookingView(
        id=str(booking["_id"]),
        status=booking["status"],
        session=offered(session),
        video_link=session.get("video_link") if session["format"] == "online" else None,
        booked_at=utc(booking["created_at"]),
        cancellable_until=until,
        cancellable=booking["status"] == "booked" and now < until,
        misses=booking.get("misses", 0),
        parts=booking.get("marks", {}),
    )


def participant_view(parent: dict, booking: dict) -> ParticipantView:
    return ParticipantView(
        **SeenByStaff.fields(parent["_id"], parent), attendance=booking["marks"], status=booking["status"]
    )


class Waiting(SeenByStaff):
    """A parent on the waiting list, for their provider's coordinators: first name and needs (as the
    roster shows them), what they wait for, and the seat the allocator would give them now."""

    waiting_since: datetime | None
    patterns: list[str]
    formats: list[str]
    proposed_session_id: str | None


def waiting_view(seeker: Any, parent: dict, proposed: str | None) -> Waiting:
    return Waiting(
        **SeenByStaff.fields(seeker.participant_id, parent),
        waiting_since=seeker.since,
        patterns=sorted(seeker.patterns),
        formats=sorted(seeker.formats),
        proposed_session_id=proposed,
    )


def followup_view(doc: dict, given_name: str) -> FollowupView:
    return FollowupView(
        id=str(doc["_id"]),
        participant_id=doc["participant_id"],
        given_name=given_name,
        session_id=doc["session_id"],
        facilitator=doc["facilitator"],
        due_by=utc(doc["due_by"]),
        status=doc["status"],
    )


def concern_created(doc: dict) -> ConcernCreated:
    return ConcernCreated(
        id=str(doc["_id"]),
        session_id=doc["session_id"],
        participant_id=doc["participant_id"],
        category=doc["category"],
        raised_at=utc(doc["raised_at"]),
    )


def wish_view(wish: dict) -> WaitlistView:
    return WaitlistView(patterns=wish["patterns"], formats=wish["formats"], since=utc(wish["since"]))


def concern_view(doc: dict) -> ConcernView:
    return ConcernView(
        **concern_created(doc).model_dump(),
        referral_id=doc["referral_id"],
        details=doc["details"],
        raised_by=doc["raised_by"],
    )


def outcomes(provider: str, done: list[dict], min_cell: int) -> FollowupOutcomes:
    """Calls made, reach rate and each item's distribution; distributions only from `min_cell`
    answers, so no single parent's answers can be read off."""
    answered = [d["answers"] for d in done if d.get("reached") and d.get("answers")]
    reached = sum(1 for d in done if d.get("reached"))
    items = None
    if len(answered) >= min_cell:
        items = {
            key: ItemDistribution(
                question=question, counts={str(v): sum(1 for a in answered if a.get(key) == v) for v in SCALE}
            )
            for key, question in MEASURE.items()
        }
    rate = round(reached / len(done), 3) if done else None
    return FollowupOutcomes(
        provider=provider, calls_made=len(done), reached=reached, reach_rate=rate, items=items, min_cell=min_cell
    )
