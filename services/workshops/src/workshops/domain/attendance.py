"""Attendance and its outcome: marks per parent and part, `workshop.attended` at once when both
parts are attended, a miss decided when the session closes (the first offers one rebooking, the
second is final), and the reminders before each part."""

from datetime import datetime
from typing import Literal

from ptfc.events import WorkshopAttended, WorkshopMissed, WorkshopReminderDue
from workshops.domain.base import TAKEN, Programme, Refused, UnitOfWork, Unknown, utc
from workshops.domain.booking import booking_ids, next_reminder
from workshops.domain.followups import schedule_followup


def outcome(marks: dict[str, str], parts: int = 2) -> Literal["attended", "missed"] | None:
    """Both parts attended is attendance; any part missed or left early is a miss; else not yet known."""
    if any(m != "attended" for m in marks.values()):
        return "missed"
    if len(marks) == parts:
        return "attended"
    return None


def rebooking_offered(misses: int, max_misses: int) -> bool:
    """The first miss offers one rebooking; the second is final."""
    return misses < max_misses


def check_open_part(session: dict, part: int, now: datetime) -> None:
    if session["status"] != "scheduled":
        raise Refused("session-closed", "Attendance can be recorded until the session closes.")
    if now < utc(session["parts"][part - 1]["starts_at"]):
        raise Refused("part-not-started", "Record attendance once the part has started.")


async def record_mark(
    uow: UnitOfWork, session_id: str, participant_id: str, part: int, mark: str, t: Programme
) -> dict:
    """One part's attendance for one parent. Both parts attended emits `workshop.attended` at
    once (it is final); a miss waits for the session to close, so it can still be corrected."""
    now = uow.now()
    session = await uow.session(session_id)
    if session is None:
        raise Unknown("session")
    check_open_part(session, part, now)
    found = await uow.bookings_in(session_id, TAKEN, [participant_id])
    if not found:
        raise Refused("not-in-session")
    booking = found[0]
    if booking["status"] != "booked":
        if booking["marks"].get(str(part)) == mark:
            return booking  # the same thing again: acts once
        raise Refused("attendance-final")
    booking = {**booking, "marks": {**booking["marks"], str(part): mark}}
    if outcome(booking["marks"]) == "attended":
        booking |= {"status": "attended", "reminder_due": None, "attended_at": now}
        parent = await uow.parent(participant_id)
        if parent is not None:
            last = str(booking["_id"])
            await uow.save_parent({**parent, "attended_at": now, "booking_id": None, "last_booking_id": last})
        await uow.emit(WorkshopAttended(**booking_ids(booking), attended_at=now), booking["referral_id"])
        await schedule_followup(uow, session, booking, now, t)
    await uow.save_booking(booking)
    return booking


async def mark_missed(uow: UnitOfWork, booking: dict, t: Programme) -> None:
    """A booking not attended in full is a miss: the first offers one rebooking, the second is final."""
    parent = await uow.parent(booking["participant_id"])
    misses = parent.get("misses", 0) + 1 if parent else 1
    if parent is not None:
        last = str(booking["_id"])
        await uow.save_parent({**parent, "misses": misses, "booking_id": None, "last_booking_id": last})
    await uow.save_booking({**booking, "status": "missed", "reminder_due": None})
    offered = rebooking_offered(misses, t.max_misses)
    attended = sorted(int(p) for p, m in booking["marks"].items() if m == "attended")
    event = WorkshopMissed(**booking_ids(booking), misses=misses, rebooking_offered=offered, parts_attended=attended)
    await uow.emit(event, booking["referral_id"])


async def close_session(uow: UnitOfWork, session_id: str, t: Programme) -> bool:
    """After the last part and the attendance window: each booking not attended in full (a part
    missed, left early or never recorded) is a miss, sent once."""
    session = await uow.session(session_id)
    if session is None or session["status"] != "scheduled":
        return False  # closed already (by another replica) or cancelled
    await uow.save_session({**session, "status": "closed"})
    for booking in await uow.all_bookings_in(session_id, ["booked"]):
        await mark_missed(uow, booking, t)
    return True


async def remind(uow: UnitOfWork, booking_id: str, due: datetime, t: Programme) -> bool:
    """`workshop.reminder_due` for the part starting next, once; the next reminder is set due."""
    booking = await uow.booking(booking_id)
    if booking is None or booking["status"] != "booked" or booking["reminder_due"] != due:
        return False  # cancelled, attended, or already reminded by another replica
    session = await uow.session(booking["session_id"])
    assert session is not None
    due = utc(due)
    await uow.save_booking({**booking, "reminder_due": next_reminder(session["parts"], t, due)})
    starts = min(utc(p["starts_at"]) for p in session["parts"] if utc(p["starts_at"]) - t.reminder_before >= due)
    await uow.emit(WorkshopReminderDue(**booking_ids(booking), starts_at=starts), booking["referral_id"])
    return True
