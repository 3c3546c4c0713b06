"""What one parent has done in the current cycle, learned from other services' events (`apply`),
kept on the parent as `progress`, and the status a reader is shown for it."""

from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any, Literal

from ptfc.programme import MODULES

ParticipantStatus = Literal[
    "referred",
    "invited",
    "elearning_in_progress",
    "elearning_complete",
    "workshop_booked",
    "workshop_rebooking",
    "completed",
    "incomplete",
]


@dataclass(frozen=True)
class Progress:
    """What one parent has done in the current cycle, as learned from other services' events."""

    activation_issued_at: datetime | None = None
    activated_at: datetime | None = None
    modules_completed: int = 0
    learning_completed_at: datetime | None = None
    deadline: datetime | None = None
    deadline_missed_at: datetime | None = None
    workshop_booked_at: datetime | None = None  # the latest booking, cancellation and miss, by when they
    workshop_cancelled_at: datetime | None = None  # happened: consumers of different event types may
    workshop_missed_at: datetime | None = None  # receive them in any order
    workshop_misses: int = 0
    workshop_rebooking_offered: bool = False
    workshop_missed_final_at: datetime | None = None
    workshop_attended_at: datetime | None = None


def apply(progress: Progress, event_type: str, data: dict[str, Any], at: datetime) -> Progress:
    """The progress after one event of another service (`data` already validated by its contract)."""
    p = progress
    match event_type:
        case "account.activation_issued":
            return replace(p, activation_issued_at=p.activation_issued_at or at, deadline=data["deadline"])
        case "account.activated":
            return replace(p, activated_at=p.activated_at or at)
        case "module.completed":
            return replace(p, modules_completed=min(MODULES, max(p.modules_completed, data["modules_completed"])))
        case "learning.completed":
            done_at = p.learning_completed_at or data["completed_at"]
            return replace(p, learning_completed_at=done_at, modules_completed=MODULES)
        case "learning.deadline_missed":
            # It says how many modules were done: the court hears that number even when this event
            # overtakes the last `module.completed` (each event type has its own consumer).
            done = min(MODULES, max(p.modules_completed, data.get("modules_completed", 0)))
            return replace(p, deadline_missed_at=p.deadline_missed_at or at, modules_completed=done)
        case "learning.extended":
            return replace(p, deadline=data["deadline"])
        case "workshop.booked":
            return replace(p, workshop_booked_at=_latest(p.workshop_booked_at, at))
        case "workshop.cancelled":
            return replace(p, workshop_cancelled_at=_latest(p.workshop_cancelled_at, at))
        case "workshop.attended":
            return replace(p, workshop_attended_at=p.workshop_attended_at or data["attended_at"])
        case "workshop.missed":
            if data["misses"] < p.workshop_misses:
                return replace(p, workshop_missed_at=_latest(p.workshop_missed_at, at))  # an older miss, late
            final = None if data["rebooking_offered"] else (p.workshop_missed_final_at or at)
            return replace(
                p,
                workshop_misses=data["misses"],
                workshop_rebooking_offered=data["rebooking_offered"],
                workshop_missed_at=_latest(p.workshop_missed_at, at),
                workshop_missed_final_at=final,
            )
    return p


def _latest(known: datetime | None, at: datetime) -> datetime:
    return max(known, at) if known else at


def participant_status(progress: Progress, outcome: str | None) -> ParticipantStatus:
    if outcome in ("completed", "incomplete"):
        return outcome  # type: ignore[return-value]
    booked = progress.workshop_booked_at
    ended = [t for t in (progress.workshop_cancelled_at, progress.workshop_missed_at) if t]
    if booked and all(booked > t for t in ended):
        return "workshop_booked"
    if progress.workshop_misses and progress.workshop_rebooking_offered:
        return "workshop_rebooking"
    if progress.learning_completed_at:
        return "elearning_complete"
    if progress.activated_at:
        return "elearning_in_progress"
    if progress.activation_issued_at:
        return "invited"
    return "referred"


def event_cycle(data: dict[str, Any], occurred_at: datetime, current: int, started_at: datetime) -> int | None:
    """Which cycle an event of another service belongs to: its own `cycle` if it says so, else the
    current one unless it happened before the current cycle started (a late event of an old cycle)."""
    cycle = data.get("cycle")
    if isinstance(cycle, int) and not isinstance(cycle, bool):
        return cycle
    return current if occurred_at >= started_at or current == 1 else None


_PROGRESS_FIELDS = {f.name for f in fields(Progress)}


def progress_of(parent: dict[str, Any]) -> Progress:
    stored = parent.get("progress") or {}
    return Progress(**{k: v for k, v in stored.items() if k in _PROGRESS_FIELDS})
