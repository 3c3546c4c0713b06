"""Writes shared by routes, event handlers and sweeps: always inside the caller's transaction, so a
state change, its timeline entry and its outgoing event commit together or not at all."""

from dataclasses import asdict, fields
from datetime import datetime
from typing import Any

from ptfc.events import CourseCompleted, CourseIncomplete
from ptfc.store import Tx
from referrals.domain import Outcome, Progress, referral_status
from referrals.store import PARTICIPANTS, REFERRALS, object_id

_PROGRESS_FIELDS = {f.name for f in fields(Progress)}


def progress_of(participant: dict[str, Any]) -> Progress:
    stored = participant.get("progress") or {}
    return Progress(**{k: v for k, v in stored.items() if k in _PROGRESS_FIELDS})


def progress_doc(progress: Progress) -> dict[str, Any]:
    return asdict(progress)


def entry(event: str, cycle: int, at: datetime, **detail: Any) -> dict[str, Any]:
    """A timeline line: what happened and when, with ids and counts only, never contact details."""
    return {"at": at, "event": event, "cycle": cycle, "detail": {k: v for k, v in detail.items() if v is not None}}


async def decide_outcome(tx: Tx, participant: dict[str, Any], outcome: Outcome, progress: Progress) -> bool:
    """Record the cycle's outcome and tell the court and FCA, unless it is already decided."""
    now = tx.clock.now()
    cycle = participant["cycle"]
    kind = "course.completed" if outcome.result == "completed" else "course.incomplete"
    done = await tx.db[PARTICIPANTS].update_one(
        {"_id": participant["_id"], "cycle": cycle, "outcome": None},
        {
            "$set": {
                "outcome": {"result": outcome.result, "reason": outcome.reason, "decided_at": now},
                "active": False,
                "chaser_due_at": None,
            },
            "$push": {"timeline": entry(kind, cycle, now, reason=outcome.reason)},
        },
        session=tx.session,
    )
    if done.modified_count == 0:
        return False  # decided before: exactly once per cycle
    referral_id = participant["referral_id"]
    common = {
        "referral_id": referral_id,
        "participant_id": str(participant["_id"]),
        "cycle": cycle,
        "case_number": participant["case_number"],
    }
    if outcome.result == "completed":
        assert progress.learning_completed_at and progress.workshop_attended_at
        event = CourseCompleted(
            **common,
            elearning_completed_at=progress.learning_completed_at,
            workshop_attended_at=progress.workshop_attended_at,
        )
    else:
        event = CourseIncomplete(**common, reason=outcome.reason, modules_completed=progress.modules_completed)
    await tx.emit(event, referral_id)
    return True


async def refresh_status(tx: Tx, referral_id: str) -> None:
    """The referral's status follows its parents' outcomes (it is stored so lists can filter on it)."""
    referral = await tx.db[REFERRALS].find_one({"_id": object_id(referral_id)}, {"withdrawn_at": 1}, session=tx.session)
    if referral is None:
        return
    rows = await tx.db[PARTICIPANTS].find({"referral_id": referral_id}, {"outcome": 1}, session=tx.session).to_list()
    outcomes = [(row.get("outcome") or {}).get("result") for row in rows]
    status = referral_status(referral.get("withdrawn_at") is not None, outcomes)
    # Always a real write (the version moves): two parents settled at once then conflict, and the
    # retried one sees the other's outcome, where a same-value write would be skipped and go stale.
    await tx.db[REFERRALS].update_one(
        {"_id": referral["_id"]}, {"$set": {"status": status}, "$inc": {"version": 1}}, session=tx.session
    )
