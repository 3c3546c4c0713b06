"""Sessions: the shapes a workshop may take (two halves of the content, on one day or two
consecutive evenings), where it is held, and what staff may create, change or cancel."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from workshops.domain.base import Programme, Refused, UnitOfWork, Unknown, hm
from workshops.domain.booking import booked_event, cancel_booking, join_waitlist
from workshops.domain.seats import patterns_for


def check_shape(
    pattern: str, parts: list[tuple[datetime, datetime]], capacity: int, now: datetime, t: Programme
) -> None:
    """Refuse a session that cannot work: each problem its own reason."""
    if capacity > t.max_group:
        raise Refused("capacity-too-large", f"A group has at most {t.max_group} parents.")
    if len(parts) != 2:
        raise Refused("parts-not-two-halves", "A workshop has two parts.")
    (s1, e1), (s2, e2) = sorted(parts)
    if e1 <= s1 or e2 <= s2 or s2 < e1:
        raise Refused("parts-overlap", "Each part must end after it starts, and the parts must not overlap.")
    if s1 <= now:
        raise Refused("parts-in-past", "Both parts must be in the future.")
    half = t.content / 2
    if e1 - s1 != half or e2 - s2 != half:
        raise Refused("parts-not-two-halves", f"Each part is half of {hm(t.content)} of content.")
    zone = ZoneInfo(t.local_timezone)
    d1, d2 = s1.astimezone(zone), s2.astimezone(zone)
    if pattern == "two_evenings":
        if d2.date() - d1.date() != timedelta(days=1):
            raise Refused("evenings-not-consecutive", "The two parts are on two consecutive evenings.")
        if d1.hour < t.evening_from or d2.hour < t.evening_from:
            raise Refused("evenings-not-consecutive", f"Each evening part starts at {t.evening_from}:00 or later.")
        return
    if d1.date() != d2.date() or s2 == e1 or s2 - e1 > t.max_break:
        raise Refused("parts-not-two-halves", f"Both halves are on one day, with a break of at most {hm(t.max_break)}.")
    if pattern == "weekend" and d1.weekday() < 5:
        raise Refused("weekend-not-on-weekend", "A weekend session is on a Saturday or a Sunday.")


def check_place(format: str, video_link: str | None, venue: object | None) -> None:
    if format == "online" and not video_link:
        raise Refused("video-link-required", "Give the video link parents will join with.")
    if format == "in_person" and not venue:
        raise Refused("venue-required", "Give the venue's name, address and postcode.")


def timing(parts: list[tuple[datetime, datetime]], t: Programme) -> dict:
    return {
        "parts": [{"starts_at": s, "ends_at": e} for s, e in parts],
        "starts_at": parts[0][0],
        "closes_at": parts[-1][1] + t.attendance_window,
    }


async def add_session(uow: UnitOfWork, fields: dict, provider: str, created_by: str, t: Programme) -> dict:
    """A session provider staff create: its shape and place checked, nobody booked yet."""
    parts = sorted((p["starts_at"], p["ends_at"]) for p in fields["parts"])
    check_shape(fields["pattern"], parts, fields["capacity"], uow.now(), t)
    check_place(fields["format"], fields.get("video_link"), fields.get("venue"))
    session = {
        "_id": uow.new_id(),
        "provider": provider,
        "status": "scheduled",
        "format": fields["format"],
        "video_link": fields.get("video_link") if fields["format"] == "online" else None,
        "venue": fields.get("venue") if fields["format"] == "in_person" else None,
        "pattern": fields["pattern"],
        "capacity": fields["capacity"],
        "booked": 0,
        "language": fields["language"],
        "interpreters": fields["interpreters"],
        "facilitators": sorted(set(fields["facilitators"])),
        "created_by": created_by,
        "created_at": uow.now(),
    }
    session |= timing(parts, t)
    await uow.add_session(session)
    return session


async def change_session(uow: UnitOfWork, session_id: str, changes: dict, t: Programme) -> dict:
    """Times only while nobody is booked; never fewer places than parents booked."""
    session = await uow.session(session_id)
    if session is None:
        raise Unknown("session")
    if session["status"] != "scheduled":
        raise Refused("session-closed", "Only a scheduled session can change.")
    changes = {k: v for k, v in changes.items() if v is not None}
    capacity = changes.get("capacity", session["capacity"])
    parts = sorted((p["starts_at"], p["ends_at"]) for p in changes.pop("parts", None) or [])
    if parts:
        if session["booked"]:
            raise Refused("session-has-bookings", "Cancel the session and create another to change its times.")
        check_shape(session["pattern"], parts, capacity, uow.now(), t)
        changes |= timing(parts, t)
    elif capacity > t.max_group:
        raise Refused("capacity-too-large", f"A group has at most {t.max_group} parents.")
    if "facilitators" in changes:
        changes["facilitators"] = sorted(set(changes["facilitators"]))
    if session["format"] == "online":
        changes.pop("venue", None)
    else:
        changes.pop("video_link", None)
    if session["booked"] > capacity:
        raise Refused("capacity-below-bookings", "Fewer places than parents already booked.")
    moved = any(k in changes and changes[k] != session.get(k) for k in ("video_link", "venue"))
    session |= changes
    await uow.save_session(session)
    if moved:  # each booked parent is sent where to come now
        for booking in await uow.all_bookings_in(session_id, ["booked"]):
            parent = await uow.parent(booking["participant_id"])
            if parent is not None:
                event = booked_event(parent, session, str(booking["_id"]), t.link_seal_key, changed=True)
                await uow.emit(event, parent["referral_id"])
    return session


async def cancel_session(uow: UnitOfWork, session_id: str) -> dict:
    """Each booked parent is told (`workshop.cancelled`) and put on the waiting list, so the next
    fitting seat is booked for them."""
    session = await uow.session(session_id)
    if session is None:
        raise Unknown("session")
    if session["status"] == "cancelled":
        return session
    if session["status"] != "scheduled":
        raise Refused("session-closed", "A session that has closed cannot be cancelled.")
    await uow.save_session({**session, "status": "cancelled"})
    for booking in await uow.all_bookings_in(session_id, ["booked"]):
        await cancel_booking(uow, str(booking["_id"]), "session_cancelled")
        parent = await uow.parent(booking["participant_id"])
        patterns = sorted(patterns_for(parent.get("availability", []))) if parent else [session["pattern"]]
        await join_waitlist(uow, booking["participant_id"], patterns, [session["format"]])
    return await uow.session(session_id)  # type: ignore[return-value]
