"""Following a parent: each event of another service goes on their timeline; in the current cycle it
updates their progress, and the outcome is settled by whichever event settles it."""

from dataclasses import asdict
from datetime import datetime
from typing import Any

from referrals.domain.base import UnitOfWork, entry
from referrals.domain.outcome import decide, refresh_status, settle
from referrals.domain.progress import apply, event_cycle, progress_of

# What of each event of another service goes on the timeline: ids, counts and dates, never links
# or contact details.
TIMELINE_DETAIL: dict[str, tuple[str, ...]] = {
    "account.activation_issued": ("deadline", "reissue"),
    "account.activated": (),
    "account.activation_expired": (),
    "module.completed": ("module", "modules_completed"),
    "learning.completed": ("completed_at",),
    "learning.deadline_missed": ("deadline", "modules_completed"),
    "learning.extended": ("deadline", "days"),
    "workshop.booked": ("session_id", "mode", "rebooking"),
    "workshop.cancelled": ("session_id",),
    "workshop.attended": ("attended_at",),
    "workshop.missed": ("misses", "rebooking_offered"),
    "notification.sent": ("template", "recipient_role"),
}


def _detail(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    detail = {}
    for name in TIMELINE_DETAIL[event_type]:
        value = data.get(name)
        detail[name] = value.isoformat() if isinstance(value, datetime) else value
    return detail


async def follow(
    uow: UnitOfWork, event_type: str, data: dict[str, Any], occurred_at: datetime, correlation_id: str
) -> bool:
    """Another service's event goes on the parent's timeline; in the current cycle it updates the
    progress, and the outcome is decided by whichever event settles it, in any order, once.
    False for a parent this service does not know."""
    pid, referral_id = data.get("participant_id"), data.get("referral_id") or correlation_id
    parent = await uow.parent(pid) if isinstance(pid, str) else None
    if parent is None or parent["referral_id"] != referral_id:
        return False
    cycle = event_cycle(data, occurred_at, parent["cycle"], parent["cycle_started_at"])
    parent["timeline"].append(entry(event_type, cycle or parent["cycle"] - 1, occurred_at, **_detail(event_type, data)))
    if event_type == "account.activated":  # an account activated in any cycle needs no chaser
        parent |= {"activated_ever": True, "chaser_due_at": None}
    current = cycle == parent["cycle"]
    if current:
        parent["progress"] = asdict(apply(progress_of(parent), event_type, data, occurred_at))
    await uow.save_parent(parent)
    outcome = decide(progress_of(parent)) if current and parent["active"] else None
    if outcome and await settle(uow, parent, outcome):
        await refresh_status(uow, referral_id)
    return True
