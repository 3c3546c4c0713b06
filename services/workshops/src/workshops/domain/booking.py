"""Booking: who may book (`check_may_book`), booking a seat with the co-parent rule
(`seats.apart`) checked before anything about bookings is read, cancelling until the cut-off,
and the waiting list the allocator serves."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from ptfc.events import SessionPart, WorkshopBooked, WorkshopCancelled
from ptfc.sealing import seal
from workshops.domain.base import TAKEN, Programme, Refused, UnitOfWork, hm, utc
from workshops.domain.seats import Seeker, Slot, apart, may_sit, seeker_of, slot_of


@dataclass(frozen=True)
class Course:
    """Where one parent's course stands, for the booking rules."""

    learning_completed: bool
    withdrawn: bool
    booked: bool
    attended: bool
    misses: int


def check_may_book(course: Course, max_misses: int) -> None:
    if course.withdrawn:
        raise Refused("course-closed", "This course was withdrawn.")
    if course.attended:
        raise Refused("workshop-attended", "You have already attended a workshop.")
    if course.misses >= max_misses:
        raise Refused("no-more-rebooking", "A workshop was missed twice; the court has been told.")
    if not course.learning_completed:
        raise Refused("learning-not-complete", "Finish the e-learning first; then you can book a workshop.")
    if course.booked:
        raise Refused("already-booked", "You already have a booking. Cancel it first to book another.")


def check_may_cancel(first_starts_at: datetime, now: datetime, cutoff: timedelta) -> None:
    if now > first_starts_at - cutoff:
        raise Refused("too-late-to-cancel", f"A booking can be cancelled until {hm(cutoff)} before the workshop.")


def bookable(slot: Slot, seeker: Seeker, now: datetime, cutoff: timedelta) -> bool:
    """A session this parent may book now (the same test for the list and for a booking)."""
    return slot.starts_at - cutoff > now and may_sit(seeker, slot)


def course_of(parent: dict | None) -> Course:
    if parent is None or "provider" not in parent:  # its referral has not reached us yet
        return Course(False, False, False, False, 0)
    return Course(
        learning_completed=parent.get("learning_completed_at") is not None,
        withdrawn=parent.get("withdrawn", False),
        booked=parent.get("booking_id") is not None,
        attended=parent.get("attended_at") is not None,
        misses=parent.get("misses", 0),
    )


def may_book(parent: dict, max_misses: int) -> bool:
    try:
        check_may_book(course_of(parent), max_misses)
    except Refused:
        return False
    return True


def booking_ids(booking: dict) -> dict:
    return {
        "referral_id": booking["referral_id"],
        "participant_id": booking["participant_id"],
        "booking_id": str(booking["_id"]),
        "session_id": booking["session_id"],
    }


def booked_event(parent: dict, session: dict, booking_id: str, seal_key: str, changed: bool = False) -> WorkshopBooked:
    """What the parent needs to come: sent when they book, and again (`changed`) when the session's
    link or venue changes. The video link is sealed with `seal_key` (`link_seal_key`) for
    notifications alone: partners read this event too, and the link lets anyone into the group."""
    venue, video_link = session.get("venue"), session.get("video_link")
    return WorkshopBooked(
        referral_id=parent["referral_id"],
        participant_id=parent["_id"],
        booking_id=booking_id,
        session_id=str(session["_id"]),
        parts=[SessionPart(starts_at=p["starts_at"], ends_at=p["ends_at"]) for p in session["parts"]],
        mode=session["format"],
        has_video_link=bool(video_link),
        sealed_video_link=seal(seal_key, video_link) if video_link else None,
        venue=", ".join(venue[k] for k in ("name", "address", "postcode")) if venue else None,
        rebooking=parent.get("misses", 0) > 0,
        changed=changed,
    )


def next_reminder(parts: list[dict], t: Programme, now: datetime) -> datetime | None:
    ahead = [utc(p["starts_at"]) - t.reminder_before for p in parts]
    ahead = [when for when in ahead if when > now]
    return min(ahead) if ahead else None


def referred(parent: dict | None) -> dict:
    """The parent's own record, once their referral has arrived."""
    if parent is None or "provider" not in parent:  # only `learning.completed` has arrived so far
        raise Refused("not-referred", "There is no workshop course for this account yet.")
    return parent


async def me(uow: UnitOfWork, participant_id: str) -> dict:
    return referred(await uow.parent(participant_id))


async def book(uow: UnitOfWork, participant_id: str, session_id: str, t: Programme) -> tuple[dict, dict]:
    """Book this parent into this session, or refuse. Every way a session cannot be booked is the
    same `session-unavailable`, so a refusal never tells where a co-parent is. The seat is the
    session's `booked` counter: two bookings of one session save the same document, so the later
    transaction conflicts, runs again and sees the first.

    The co-parent rule (`seats.apart`) is asked first with nothing about bookings read, so a
    session outside the parent's half is refused doing the same work whatever the co-parent did;
    then again, through `bookable`, with the co-parents booked in the session (a second guard that
    never refuses a session of the parent's half: the co-parent cannot be in it)."""
    now = uow.now()
    parent = await uow.parent(participant_id)
    check_may_book(course_of(parent), t.max_misses)
    assert parent is not None  # course_of said it has a referral
    session = await uow.session(session_id)
    if not session or session["status"] != "scheduled":
        raise Refused("session-unavailable")
    session_id = str(session["_id"])  # as stored: the id as sent may differ in case
    seeker = seeker_of(parent, t.co_parent_split_key, chosen=True)
    if not apart(seeker, session_id):
        raise Refused("session-unavailable")
    together = await uow.bookings_in(session_id, TAKEN, parent.get("co_parents", []))
    slot = slot_of(session, {b["participant_id"] for b in together})
    if not bookable(slot, seeker, now, t.cancel_cutoff) or session["booked"] >= session["capacity"]:
        raise Refused("session-unavailable")
    session = {**session, "booked": session["booked"] + 1}
    await uow.save_session(session)
    booking = {
        "_id": uow.new_id(),
        "session_id": session_id,
        "participant_id": participant_id,
        "referral_id": parent["referral_id"],
        "cycle": parent.get("cycle", 1),
        "status": "booked",
        "marks": {},
        "reminder_due": next_reminder(session["parts"], t, now),
        "created_at": now,
    }
    await uow.add_booking(booking)
    await uow.save_parent({**parent, "booking_id": str(booking["_id"])})
    await uow.drop_wishes([participant_id])
    await uow.emit(booked_event(parent, session, str(booking["_id"]), t.link_seal_key), parent["referral_id"])
    return booking, session


async def cancel_booking(uow: UnitOfWork, booking_id: str, reason: str) -> None:
    """Free the seat and tell the parent (notifications words it by `reason`)."""
    booking = await uow.booking(booking_id)
    if booking is None or booking["status"] != "booked":
        return
    await uow.save_booking({**booking, "status": "cancelled", "reminder_due": None})
    session = await uow.session(booking["session_id"])
    if session is not None:
        await uow.save_session({**session, "booked": session["booked"] - 1})
    parent = await uow.parent(booking["participant_id"])
    if parent is not None and parent.get("booking_id") == booking_id:
        await uow.save_parent({**parent, "booking_id": None})
    await uow.emit(WorkshopCancelled(**booking_ids(booking), reason=reason), booking["referral_id"])


async def my_booking(uow: UnitOfWork, participant_id: str) -> tuple[dict, dict]:
    """The live booking; else, in this cycle, the last one attended or missed (the parent's page
    then says "attended" or "one rebooking left", not "book a workshop")."""
    parent = await me(uow, participant_id)
    booking_id = parent.get("booking_id") or parent.get("last_booking_id")
    booking = booking_id and await uow.booking(booking_id)
    if not booking:
        raise Refused("no-booking", "You have no workshop booked.")
    # The parent's misses in this cycle go with it: after one, one rebooking is left.
    session = await uow.session(booking["session_id"])
    return {**booking, "misses": parent.get("misses", 0)}, session  # type: ignore[return-value]


async def cancel_my_booking(uow: UnitOfWork, participant_id: str, t: Programme) -> tuple[dict, dict]:
    """Allowed until the cut-off before the first part; the seat goes to the next parent waiting."""
    booking, session = await my_booking(uow, participant_id)
    if booking["status"] != "booked":  # attended or missed: nothing left to cancel
        raise Refused("no-booking", "You have no workshop booked.")
    check_may_cancel(utc(session["starts_at"]), uow.now(), t.cancel_cutoff)
    await cancel_booking(uow, str(booking["_id"]), "parent_cancelled")
    return {**booking, "status": "cancelled"}, session


async def join_waitlist(uow: UnitOfWork, participant_id: str, patterns: list[str], formats: list[str]) -> dict:
    """Waiting for a seat in a session of these patterns and formats; the first wish keeps its place."""
    wish = await uow.wish(participant_id) or {"_id": participant_id, "since": uow.now()}
    wish |= {"patterns": patterns, "formats": formats}
    await uow.save_wish(wish)
    return wish


async def wait(uow: UnitOfWork, participant_id: str, patterns: list[str], formats: list[str], t: Programme) -> dict:
    """A parent who may book and found nothing that suits waits for a seat the allocator finds."""
    check_may_book(course_of(await me(uow, participant_id)), t.max_misses)
    return await join_waitlist(uow, participant_id, patterns, formats)


async def stop_waiting(uow: UnitOfWork, participant_id: str) -> None:
    await me(uow, participant_id)
    await uow.drop_wishes([participant_id])
