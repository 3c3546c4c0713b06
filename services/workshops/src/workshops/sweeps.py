"""Timed work, found by indexed due times: reminders the day before each part, sessions closing
(a booking not attended in full becomes a miss), and seats offered to waiting parents. Each item
is its own unit of work, claimed by a compare-and-set, so a failing one stays due without holding
up the rest, and two replicas never act twice."""

import logging
from collections.abc import Awaitable, Callable

from bson import ObjectId

from ptfc.clock import utc
from ptfc.events import WorkshopReminderDue
from ptfc.service import Runtime
from ptfc.store import Tx
from workshops import domain
from workshops.store import (
    BOOKINGS,
    PARENTS,
    SESSIONS,
    TAKEN,
    WAITLIST,
    book,
    booking_ids,
    course_of,
    mark_missed,
    next_reminder,
    seeker_of,
    slot_of,
)

BATCH = 100
log = logging.getLogger("workshops.sweeps")


async def _run(rt: Runtime, work: Callable[[Tx], Awaitable[None]]) -> None:
    try:
        await rt.store.run(work)
    except domain.Refused as refused:
        log.info("not done: %s", refused.reason)
    except Exception:
        log.exception("a due item failed; it stays due")


async def send_reminders(rt: Runtime) -> None:
    """`workshop.reminder_due` the day before each part."""
    now = rt.clock.now()
    query = {"status": "booked", "reminder_due": {"$lte": now}}
    for row in await rt.store.db[BOOKINGS].find(query).sort("reminder_due", 1).limit(BATCH).to_list():

        async def work(tx: Tx, row: dict = row) -> None:
            session = await tx.db[SESSIONS].find_one({"_id": ObjectId(row["session_id"])}, session=tx.session)
            due = utc(row["reminder_due"])
            following = next_reminder(session["parts"], rt.settings, due)
            claimed = await tx.db[BOOKINGS].update_one(
                {"_id": row["_id"], "status": "booked", "reminder_due": row["reminder_due"]},
                {"$set": {"reminder_due": following}},
                session=tx.session,
            )
            if not claimed.modified_count:
                return
            starts = min(
                utc(p["starts_at"])
                for p in session["parts"]
                if utc(p["starts_at"]) - rt.settings.reminder_before >= due
            )
            await tx.emit(WorkshopReminderDue(**booking_ids(row), starts_at=starts), row["referral_id"])

        await _run(rt, work)


async def close_sessions(rt: Runtime) -> None:
    """After the last part and the attendance window, a session closes: each booking not attended
    in full (a part missed, left early or never recorded) is a miss, sent once."""
    now = rt.clock.now()
    query = {"status": "scheduled", "closes_at": {"$lte": now}}
    for row in await rt.store.db[SESSIONS].find(query).sort("closes_at", 1).limit(BATCH).to_list():

        async def work(tx: Tx, row: dict = row) -> None:
            claimed = await tx.db[SESSIONS].update_one(
                {"_id": row["_id"], "status": "scheduled"}, {"$set": {"status": "closed"}}, session=tx.session
            )
            if not claimed.modified_count:
                return
            pending = {"session_id": str(row["_id"]), "status": "booked"}
            for booking in await tx.db[BOOKINGS].find(pending, session=tx.session).to_list():
                await mark_missed(tx, booking, rt.settings)

        await _run(rt, work)


async def offer_seats(rt: Runtime) -> None:
    """Waiting parents get seats the allocator finds (earliest waiter first), each booked through
    the same rules as a parent's own booking."""
    waiting = await rt.store.db[WAITLIST].find().sort("since", 1).limit(2000).to_list()
    if not waiting:
        return
    parents = {
        p["_id"]: p for p in await rt.store.db[PARENTS].find({"_id": {"$in": [w["_id"] for w in waiting]}}).to_list()
    }
    seekers = [
        seeker_of(parents[w["_id"]], w)
        for w in waiting
        if w["_id"] in parents and _may_book(parents[w["_id"]], rt.settings.max_misses)
    ]
    if not seekers:
        return
    now = rt.clock.now()
    query = {
        "provider": {"$in": sorted({s.provider for s in seekers})},
        "status": "scheduled",
        "starts_at": {"$gt": now + rt.settings.cancel_cutoff},
        "$expr": {"$lt": ["$booked", "$capacity"]},
    }
    sessions = await rt.store.db[SESSIONS].find(query).sort("starts_at", 1).limit(5000).to_list()
    co_parents = sorted({c for s in seekers for c in s.co_parents})
    taken = {
        "session_id": {"$in": [str(s["_id"]) for s in sessions]},
        "participant_id": {"$in": co_parents},
        "status": {"$in": TAKEN},
    }
    members: dict[str, set[str]] = {}
    for b in await rt.store.db[BOOKINGS].find(taken, {"session_id": 1, "participant_id": 1}).to_list():
        members.setdefault(b["session_id"], set()).add(b["participant_id"])
    slots = [slot_of(s, members.get(str(s["_id"]))) for s in sessions]
    for pid, session_id in domain.allocate(seekers, slots, rt.settings.aim_group).items():

        async def work(tx: Tx, pid: str = pid, session_id: str = session_id) -> None:
            await book(tx, rt.settings, pid, session_id)

        await _run(rt, work)


def _may_book(parent: dict, max_misses: int) -> bool:
    try:
        domain.check_may_book(course_of(parent), max_misses)
    except domain.Refused:
        return False
    return True


SWEEPS = [send_reminders, close_sessions, offer_seats]
