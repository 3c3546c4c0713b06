"""The court-facing outcome of a parent's cycle: decided once the facts settle it (`decide`), recorded
and told to the court and the FCA once per cycle (`settle`), and the referral's status that follows
its parents' outcomes."""

from dataclasses import dataclass
from typing import Any, Literal

from ptfc.events import CourseCompleted, CourseIncomplete, EventData
from referrals.domain.base import UnitOfWork, entry
from referrals.domain.progress import Progress, progress_of

ReferralStatus = Literal["active", "completed", "incomplete", "withdrawn"]


@dataclass(frozen=True)
class Outcome:
    result: Literal["completed", "incomplete"]
    reason: Literal["elearning_deadline_missed", "workshop_missed", "withdrawn"] | None = None


def decide(progress: Progress) -> Outcome | None:
    """The court-facing outcome once the facts settle it; None while the cycle is still open."""
    if progress.deadline_missed_at and not progress.learning_completed_at:
        return Outcome("incomplete", "elearning_deadline_missed")
    if progress.workshop_missed_final_at and not progress.workshop_attended_at:
        return Outcome("incomplete", "workshop_missed")
    if progress.learning_completed_at and progress.workshop_attended_at:
        return Outcome("completed")
    return None


def referral_status(withdrawn: bool, outcomes: list[str | None]) -> ReferralStatus:
    if withdrawn:
        return "withdrawn"
    if any(o is None for o in outcomes):
        return "active"
    return "completed" if all(o == "completed" for o in outcomes) else "incomplete"


async def settle(uow: UnitOfWork, parent: dict[str, Any], outcome: Outcome) -> bool:
    """Record the cycle's outcome and tell the court and FCA: once per cycle, whichever event settles it."""
    if parent["outcome"] is not None:
        return False
    now, cycle, progress = uow.now(), parent["cycle"], progress_of(parent)
    kind = "course.completed" if outcome.result == "completed" else "course.incomplete"
    parent["outcome"] = {"result": outcome.result, "reason": outcome.reason, "decided_at": now}
    parent["active"], parent["chaser_due_at"] = False, None
    parent["timeline"].append(entry(kind, cycle, now, reason=outcome.reason))
    await uow.save_parent(parent)
    ids = {
        "referral_id": parent["referral_id"],
        "participant_id": str(parent["_id"]),
        "cycle": cycle,
        "case_number": parent["case_number"],
    }
    event: EventData
    if outcome.result == "completed":
        assert progress.learning_completed_at and progress.workshop_attended_at  # what `decide` requires
        event = CourseCompleted(
            **ids,
            elearning_completed_at=progress.learning_completed_at,
            workshop_attended_at=progress.workshop_attended_at,
        )
    else:
        event = CourseIncomplete(**ids, reason=outcome.reason, modules_completed=progress.modules_completed)
    await uow.emit(event, parent["referral_id"])
    return True


async def refresh_status(uow: UnitOfWork, referral_id: str) -> None:
    """The referral's status follows its parents' outcomes (stored so lists can filter on it)."""
    referral = await uow.referral(referral_id)
    if referral is None:
        return
    outcomes = [(p.get("outcome") or {}).get("result") for p in await uow.parents(referral_id)]
    referral["status"] = referral_status(referral.get("withdrawn_at") is not None, outcomes)
    # Always a real write (the version moves): two parents settled at once then conflict, and the
    # retried one sees the other's outcome, where a same-value write would be skipped and go stale.
    referral["version"] = referral.get("version", 0) + 1
    await uow.save_referral(referral)
