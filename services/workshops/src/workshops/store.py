"""Collections and indexes the workshops service owns, and every read and write.

- `parents`: `_id` = participant_id; only what the rules need, from `referral.created`
  (first name, gender, language, adjustments, availability, provider, the co-parents' ids,
  the FCA's subject) and from learning; never an email, phone or family name.
- `sessions`: what provider staff created; `booked` counts taken seats and is the guard every
  booking increments in its transaction, so concurrent bookings conflict and retry.
- `bookings`: one per parent per session; at most one `booked` per parent (unique index).
- `waitlist`: `_id` = participant_id; the patterns and formats that suit, and since when.
- `followups`, `concerns`, `concern_reads`: calls after the workshop; safeguarding records and
  who read them.
"""

from datetime import datetime
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import ASCENDING, IndexModel

from ptfc.clock import utc
from ptfc.events import (
    FollowupScheduled,
    SessionPart,
    WorkshopAttended,
    WorkshopBooked,
    WorkshopCancelled,
    WorkshopMissed,
)
from ptfc.store import Tx
from workshops import domain
from workshops.config import Settings

PARENTS, SESSIONS, BOOKINGS, WAITLIST = "parents", "sessions", "bookings", "waitlist"
FOLLOWUPS, CONCERNS, CONCERN_READS = "followups", "concerns", "concern_reads"
TAKEN = ["booked", "attended", "missed"]  # a booking in one of these holds (or held) a seat

INDEXES: dict[str, list[IndexModel]] = {
    PARENTS: [IndexModel("referral_id")],
    SESSIONS: [
        IndexModel([("provider", ASCENDING), ("status", ASCENDING), ("starts_at", ASCENDING)]),
        IndexModel([("facilitators", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("status", ASCENDING), ("closes_at", ASCENDING)]),
    ],
    BOOKINGS: [
        IndexModel("participant_id", unique=True, name="one_booking", partialFilterExpression={"status": "booked"}),
        IndexModel([("session_id", ASCENDING), ("status", ASCENDING)]),
        IndexModel([("participant_id", ASCENDING), ("status", ASCENDING)]),
        IndexModel([("status", ASCENDING), ("reminder_due", ASCENDING)]),
    ],
    WAITLIST: [IndexModel("since")],
    FOLLOWUPS: [
        IndexModel([("facilitator", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("provider", ASCENDING), ("status", ASCENDING)]),
        IndexModel("participant_id"),
    ],
    CONCERNS: [IndexModel("referral_id")],
    CONCERN_READS: [IndexModel([("concern_id", ASCENDING), ("at", ASCENDING)])],
}


def oid(value: str) -> ObjectId | None:
    try:
        return ObjectId(value)
    except (InvalidId, TypeError):
        return None


# ---- turning documents into what the rules see ------------------------------------------------


def seeker_of(parent: dict, wish: dict | None = None, chosen: bool = False) -> domain.Seeker:
    """`chosen`: the parent picks the session themselves, so their availability does not filter
    (it guides the allocator, which chooses for them)."""
    patterns = frozenset(wish["patterns"]) if wish and wish.get("patterns") else None
    if chosen:
        patterns = frozenset(domain.PATTERNS)
    formats = frozenset(wish["formats"]) if wish and wish.get("formats") else None
    return domain.Seeker(
        participant_id=parent["_id"],
        provider=parent["provider"],
        language=parent["language"],
        interpreter=parent.get("interpreter"),
        in_person=parent.get("in_person", False),
        gender=parent.get("gender"),
        patterns=patterns or domain.patterns_for(parent.get("availability", [])),
        formats=formats or frozenset({"online", "in_person"}),
        co_parents=frozenset(parent.get("co_parents", [])),
        since=utc(wish["since"]) if wish else None,
    )


def slot_of(session: dict, members: set[str] | None = None) -> domain.Slot:
    """`members` are the parents the rules must know by id (co-parents); the rest count as seats."""
    members = members or set()
    return domain.Slot(
        session_id=str(session["_id"]),
        provider=session["provider"],
        format=session["format"],
        pattern=session["pattern"],
        language=session["language"],
        interpreters=domain.interpreters_of(session.get("interpreters", [])),
        capacity=session["capacity"],
        starts_at=utc(session["starts_at"]),
        members=set(members),
        others=max(0, session["booked"] - len(members)),
    )


def course_of(parent: dict | None) -> domain.Course:
    if parent is None or "provider" not in parent:  # its referral has not reached us yet
        return domain.Course(False, False, False, False, 0)
    return domain.Course(
        learning_completed=parent.get("learning_completed_at") is not None,
        withdrawn=parent.get("withdrawn", False),
        booked=parent.get("booking_id") is not None,
        attended=parent.get("attended_at") is not None,
        misses=parent.get("misses", 0),
    )


async def co_parent_sessions(tx_or_db: Any, parent: dict, session: Any = None) -> set[str]:
    """The sessions a co-parent is booked in or has sat in (never shown: only used to exclude)."""
    db, s = (tx_or_db.db, tx_or_db.session) if isinstance(tx_or_db, Tx) else (tx_or_db, session)
    query = {"participant_id": {"$in": parent.get("co_parents", [])}, "status": {"$in": TAKEN}}
    return {b["session_id"] for b in await db[BOOKINGS].find(query, {"session_id": 1}, session=s).to_list()}


# ---- booking -----------------------------------------------------------------------------------


def booked_event(parent: dict, session: dict, booking_id: str) -> WorkshopBooked:
    venue = session.get("venue")
    return WorkshopBooked(
        referral_id=parent["referral_id"],
        participant_id=parent["_id"],
        booking_id=booking_id,
        session_id=str(session["_id"]),
        parts=[SessionPart(starts_at=p["starts_at"], ends_at=p["ends_at"]) for p in session["parts"]],
        mode=session["format"],
        video_link=session.get("video_link"),
        venue=", ".join(venue[k] for k in ("name", "address", "postcode")) if venue else None,
        rebooking=parent.get("misses", 0) > 0,
    )


def next_reminder(parts: list[dict], settings: Settings, now: datetime) -> datetime | None:
    ahead = [utc(p["starts_at"]) - settings.reminder_before for p in parts]
    ahead = [t for t in ahead if t > now]
    return min(ahead) if ahead else None


async def book(tx: Tx, settings: Settings, participant_id: str, session_id: str) -> dict:
    """Book this parent into this session, or refuse. Every way a session cannot be booked is the
    same `session-unavailable`, so a refusal never tells where a co-parent is."""
    s, now = tx.session, tx.clock.now()
    parent = await tx.db[PARENTS].find_one({"_id": participant_id}, session=s)
    domain.check_may_book(course_of(parent), settings.max_misses)
    sid = oid(session_id)
    session = sid and await tx.db[SESSIONS].find_one({"_id": sid, "status": "scheduled"}, session=s)
    if not session:
        raise domain.Refused("session-unavailable")
    co_parents = parent.get("co_parents", [])
    together = await tx.db[BOOKINGS].find_one(
        {"session_id": session_id, "participant_id": {"$in": co_parents}, "status": {"$in": TAKEN}}, session=s
    )
    slot = slot_of(session, {together["participant_id"]} if together else set())
    if not domain.bookable(slot, seeker_of(parent, chosen=True), now, settings.cancel_cutoff):
        raise domain.Refused("session-unavailable")
    # The seat: a conditional increment of the session's counter. Two bookings of one session
    # write the same document, so the later transaction conflicts, retries and sees the first.
    taken = await tx.db[SESSIONS].update_one(
        {"_id": sid, "status": "scheduled", "booked": {"$lt": session["capacity"]}}, {"$inc": {"booked": 1}}, session=s
    )
    if not taken.modified_count:
        raise domain.Refused("session-unavailable")
    booking = {
        "_id": ObjectId(),
        "session_id": session_id,
        "participant_id": participant_id,
        "referral_id": parent["referral_id"],
        "cycle": parent.get("cycle", 1),
        "status": "booked",
        "marks": {},
        "reminder_due": next_reminder(session["parts"], settings, now),
        "created_at": now,
    }
    await tx.db[BOOKINGS].insert_one(booking, session=s)
    await tx.db[PARENTS].update_one({"_id": participant_id}, {"$set": {"booking_id": str(booking["_id"])}}, session=s)
    await tx.db[WAITLIST].delete_one({"_id": participant_id}, session=s)
    await tx.emit(booked_event(parent, session, str(booking["_id"])), parent["referral_id"])
    return booking


async def cancel_booking(tx: Tx, booking: dict, reason: str) -> None:
    """Free the seat and tell the parent (notifications words it by `reason`)."""
    s = tx.session
    done = await tx.db[BOOKINGS].update_one(
        {"_id": booking["_id"], "status": "booked"}, {"$set": {"status": "cancelled", "reminder_due": None}}, session=s
    )
    if not done.modified_count:
        return
    await tx.db[SESSIONS].update_one({"_id": ObjectId(booking["session_id"])}, {"$inc": {"booked": -1}}, session=s)
    await tx.db[PARENTS].update_one(
        {"_id": booking["participant_id"], "booking_id": str(booking["_id"])}, {"$set": {"booking_id": None}}, session=s
    )
    await tx.emit(
        WorkshopCancelled(**booking_ids(booking), reason=reason),
        booking["referral_id"],
    )


def booking_ids(booking: dict) -> dict:
    return {
        "referral_id": booking["referral_id"],
        "participant_id": booking["participant_id"],
        "booking_id": str(booking["_id"]),
        "session_id": booking["session_id"],
    }


async def join_waitlist(tx: Tx, participant_id: str, patterns: list[str], formats: list[str]) -> dict:
    wish = {"patterns": patterns, "formats": formats}
    await tx.db[WAITLIST].update_one(
        {"_id": participant_id},
        {"$set": wish, "$setOnInsert": {"since": tx.clock.now()}},
        upsert=True,
        session=tx.session,
    )
    return await tx.db[WAITLIST].find_one({"_id": participant_id}, session=tx.session)


# ---- attendance and its outcome ---------------------------------------------------------------


async def record_mark(tx: Tx, settings: Settings, session: dict, participant_id: str, part: int, mark: str) -> dict:
    """One part's attendance for one parent. Both parts attended emits `workshop.attended` at
    once (it is final); a miss waits for the session to close, so it can still be corrected."""
    s = tx.session
    booking = await tx.db[BOOKINGS].find_one(
        {"session_id": str(session["_id"]), "participant_id": participant_id, "status": {"$in": TAKEN}}, session=s
    )
    if booking is None:
        raise domain.Refused("not-in-session")
    if booking["status"] != "booked":
        if booking["marks"].get(str(part)) == mark:
            return booking  # the same thing again: acts once
        raise domain.Refused("attendance-final")
    marks = {**booking["marks"], str(part): mark}
    changes: dict[str, Any] = {f"marks.{part}": mark}
    if domain.outcome(marks) == "attended":
        now = tx.clock.now()
        changes |= {"status": "attended", "reminder_due": None, "attended_at": now}
        await tx.db[PARENTS].update_one(
            {"_id": participant_id}, {"$set": {"attended_at": now, "booking_id": None}}, session=s
        )
        await tx.emit(WorkshopAttended(**booking_ids(booking), attended_at=now), booking["referral_id"])
        await schedule_followup(tx, settings, session, booking, now)
    await tx.db[BOOKINGS].update_one({"_id": booking["_id"], "status": "booked"}, {"$set": changes}, session=s)
    return {**booking, **changes, "marks": marks}


async def mark_missed(tx: Tx, booking: dict, settings: Settings) -> None:
    """At the session's close: a booking not attended in full is a miss (an unrecorded part too)."""
    s = tx.session
    parent = await tx.db[PARENTS].find_one_and_update(
        {"_id": booking["participant_id"]},
        {"$inc": {"misses": 1}, "$set": {"booking_id": None}},
        return_document=True,
        session=s,
    )
    await tx.db[BOOKINGS].update_one(
        {"_id": booking["_id"]}, {"$set": {"status": "missed", "reminder_due": None}}, session=s
    )
    misses = parent["misses"] if parent else 1
    offered = domain.rebooking_offered(misses, settings.max_misses)
    await tx.emit(
        WorkshopMissed(**booking_ids(booking), misses=misses, rebooking_offered=offered), booking["referral_id"]
    )


# ---- follow-up calls ---------------------------------------------------------------------------


async def schedule_followup(tx: Tx, settings: Settings, session: dict, booking: dict, attended_at: datetime) -> None:
    """Consenting parents in the sample get a call within the window, by a facilitator of the provider."""
    parent = await tx.db[PARENTS].find_one({"_id": booking["participant_id"]}, session=tx.session)
    if not parent or parent.get("consent") is not True:
        return
    if not domain.sampled(parent["_id"], settings.followup_one_in, settings.followup_salt):
        return
    followup = {
        "_id": ObjectId(),
        "participant_id": parent["_id"],
        "referral_id": parent["referral_id"],
        "provider": session["provider"],
        "session_id": str(session["_id"]),
        "facilitator": domain.assignee(parent["_id"], session["facilitators"]),
        "due_by": attended_at + settings.followup_within,
        "status": "scheduled",
        "created_at": attended_at,
    }
    await tx.db[FOLLOWUPS].insert_one(followup, session=tx.session)
    event = FollowupScheduled(
        referral_id=parent["referral_id"],
        participant_id=parent["_id"],
        followup_id=str(followup["_id"]),
        due_by=followup["due_by"],
    )
    await tx.emit(event, parent["referral_id"])


def aggregate(provider: str, done: list[dict], min_cell: int) -> Any:
    """Calls made, reach rate and each item's distribution; distributions only from `min_cell`
    answers, so no single parent's answers can be read off."""
    from workshops.views import FollowupOutcomes, ItemDistribution

    answered = [d["answers"] for d in done if d.get("reached") and d.get("answers")]
    reached = sum(1 for d in done if d.get("reached"))
    items = None
    if len(answered) >= min_cell:
        items = {
            key: ItemDistribution(
                question=question, counts={str(v): sum(1 for a in answered if a.get(key) == v) for v in domain.SCALE}
            )
            for key, question in domain.MEASURE.items()
        }
    rate = round(reached / len(done), 3) if done else None
    return FollowupOutcomes(
        provider=provider, calls_made=len(done), reached=reached, reach_rate=rate, items=items, min_cell=min_cell
    )


# ---- sessions ------------------------------------------------------------------------------------


def new_session(
    body: dict, parts: list[tuple[datetime, datetime]], caller: Any, now: datetime, settings: Settings
) -> dict:
    doc = {
        "_id": ObjectId(),
        "provider": caller.provider,
        "status": "scheduled",
        "format": body["format"],
        "video_link": body["video_link"] if body["format"] == "online" else None,
        "venue": body["venue"] if body["format"] == "in_person" else None,
        "pattern": body["pattern"],
        "capacity": body["capacity"],
        "booked": 0,
        "language": body["language"],
        "interpreters": body["interpreters"],
        "facilitators": sorted(set(body["facilitators"])),
        "created_by": caller.sub,
        "created_at": now,
    }
    return doc | timing(parts, settings)


def timing(parts: list[tuple[datetime, datetime]], settings: Settings) -> dict:
    return {
        "parts": [{"starts_at": s, "ends_at": e} for s, e in parts],
        "starts_at": parts[0][0],
        "closes_at": parts[-1][1] + settings.attendance_window,
    }


def session_filters(starts_from: datetime | None, starts_to: datetime | None, **equal: str | None) -> dict:
    query: dict[str, Any] = {k: v for k, v in equal.items() if v is not None}
    between = ({"$gte": starts_from} if starts_from else {}) | ({"$lt": starts_to} if starts_to else {})
    return query | ({"starts_at": between} if between else {})


async def change_session(tx: Tx, settings: Settings, session: dict, changes: dict) -> dict:
    if session["status"] != "scheduled":
        raise domain.Refused("session-closed", "Only a scheduled session can change.")
    changes = {k: v for k, v in changes.items() if v is not None}
    capacity = changes.get("capacity", session["capacity"])
    parts = sorted((p["starts_at"], p["ends_at"]) for p in changes.pop("parts", None) or [])
    if parts:
        if session["booked"]:
            raise domain.Refused("session-has-bookings", "Cancel the session and create another to change its times.")
        domain.check_shape(session["pattern"], parts, capacity, tx.clock.now(), settings.rules)
        changes |= timing(parts, settings)
    elif capacity > settings.max_group:
        raise domain.Refused("capacity-too-large", f"A group has at most {settings.max_group} parents.")
    if "facilitators" in changes:
        changes["facilitators"] = sorted(set(changes["facilitators"]))
    if session["format"] == "online":
        changes.pop("venue", None)
    else:
        changes.pop("video_link", None)
    # Conditional on the seats taken, so a booking racing a smaller capacity conflicts with it.
    done = await tx.db[SESSIONS].find_one_and_update(
        {"_id": session["_id"], "status": "scheduled", "booked": {"$lte": capacity}},
        {"$set": changes},
        return_document=True,
        session=tx.session,
    )
    if done is None:
        raise domain.Refused("capacity-below-bookings", "Fewer places than parents already booked.")
    return done


async def cancel_session(tx: Tx, session: dict) -> dict:
    """Each booked parent is told (`workshop.cancelled`) and put on the waiting list, so the next
    fitting seat is booked for them."""
    if session["status"] == "cancelled":
        return session
    if session["status"] != "scheduled":
        raise domain.Refused("session-closed", "A session that has closed cannot be cancelled.")
    await tx.db[SESSIONS].update_one({"_id": session["_id"]}, {"$set": {"status": "cancelled"}}, session=tx.session)
    booked = (
        await tx.db[BOOKINGS]
        .find({"session_id": str(session["_id"]), "status": "booked"}, session=tx.session)
        .to_list()
    )
    for booking in booked:
        await cancel_booking(tx, booking, "session_cancelled")
        parent = await tx.db[PARENTS].find_one({"_id": booking["participant_id"]}, session=tx.session)
        patterns = sorted(seeker_of(parent).patterns) if parent else [session["pattern"]]
        await join_waitlist(tx, booking["participant_id"], patterns, [session["format"]])
    return await tx.db[SESSIONS].find_one({"_id": session["_id"]}, session=tx.session)


def check_open_part(session: dict, part: int, now: datetime) -> None:
    if session["status"] != "scheduled":
        raise domain.Refused("session-closed", "Attendance can be recorded until the session closes.")
    if now < utc(session["parts"][part - 1]["starts_at"]):
        raise domain.Refused("part-not-started", "Record attendance once the part has started.")


async def offered_sessions(
    db: Any, settings: Settings, parent: dict, now: datetime, paging: Any, format: str | None, pattern: str | None
) -> tuple[list[dict], str | None]:
    """The sessions `book` would accept for this parent now, a page at a time."""
    seeker = seeker_of(parent, chosen=True)
    avoid = await co_parent_sessions(db, parent)
    query = {"provider": parent["provider"], "status": "scheduled", "starts_at": {"$gt": now + settings.cancel_cutoff}}
    query |= session_filters(None, None, format=format, pattern=pattern)
    found: list[dict] = []
    after = paging.after
    while len(found) < paging.limit:
        batch = (
            await db[SESSIONS]
            .find(query | ({"_id": {"$gt": after}} if after else {}))
            .sort("_id", 1)
            .limit(200)
            .to_list()
        )
        for doc in batch:
            after = doc["_id"]
            if str(doc["_id"]) not in avoid and domain.bookable(slot_of(doc), seeker, now, settings.cancel_cutoff):
                found.append(doc)
                if len(found) == paging.limit:
                    return found, str(after)
        if len(batch) < 200:
            return found, None
    return found, None


# ---- safeguarding --------------------------------------------------------------------------------


async def new_concern(tx: Tx, session: dict, participant_id: str, category: str, details: str, raised_by: str) -> dict:
    s = tx.session
    booking = await tx.db[BOOKINGS].find_one(
        {"session_id": str(session["_id"]), "participant_id": participant_id, "status": {"$in": TAKEN}}, session=s
    )
    parent = booking and await tx.db[PARENTS].find_one({"_id": participant_id}, session=s)
    if not parent:
        raise domain.Refused("not-in-session", "Raise a concern about a parent booked on this session.")
    doc = {
        "_id": ObjectId(),
        "session_id": str(session["_id"]),
        "participant_id": participant_id,
        "referral_id": parent["referral_id"],
        "fca_id": parent["fca_id"],
        "provider": session["provider"],
        "category": category,
        "details": details,
        "raised_by": raised_by,
        "raised_at": tx.clock.now(),
    }
    await tx.db[CONCERNS].insert_one(doc, session=s)
    return doc
