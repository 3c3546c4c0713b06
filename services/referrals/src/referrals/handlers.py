"""Event subscribers and the chaser sweep of the referrals service.

Other services' events build each parent's timeline and progress; after each one the outcome rule
runs, so the court-facing outcome is decided by whichever event settles it, in any order, once."""

import logging
from datetime import datetime
from typing import Any

from ptfc.consumer import Handlers, Meta
from ptfc.events import (
    AccountActivated,
    ActivationExpired,
    ActivationIssued,
    ActivationOverdue,
    DeadlineMissed,
    LearningCompleted,
    LearningExtended,
    ModuleCompleted,
    NotificationSent,
    WorkshopAttended,
    WorkshopBooked,
    WorkshopCancelled,
    WorkshopMissed,
)
from ptfc.service import Runtime
from ptfc.store import Tx
from referrals.domain import apply, decide, event_cycle
from referrals.records import decide_outcome, entry, progress_doc, progress_of, refresh_status
from referrals.store import PARTICIPANTS, object_id

log = logging.getLogger("referrals.handlers")
handlers = Handlers()

# What of each event goes on the timeline: ids, counts and dates, never links or contact details.
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


# The events that make up a parent's timeline (TIMELINE_DETAIL says what of each is kept).
TimelineEvent = (
    ActivationIssued
    | AccountActivated
    | ActivationExpired
    | ModuleCompleted
    | LearningCompleted
    | DeadlineMissed
    | LearningExtended
    | WorkshopBooked
    | WorkshopCancelled
    | WorkshopAttended
    | WorkshopMissed
    | NotificationSent
)


@handlers.on
async def follow(data_model: TimelineEvent, event: Meta, tx: Tx) -> None:
    """Adds the event to the parent's timeline; in the current cycle it updates progress and outcome."""
    typed = data_model.model_dump()
    data = typed
    pid, referral_id = data.get("participant_id"), data.get("referral_id") or event.correlation_id
    oid = object_id(pid) if isinstance(pid, str) else None
    parent = oid and await tx.db[PARTICIPANTS].find_one({"_id": oid, "referral_id": referral_id}, session=tx.session)
    if not parent:
        log.info("%s for a parent this service does not know: ignored", event.type)
        return
    cycle = event_cycle(data, event.occurred_at, parent["cycle"], parent["cycle_started_at"])
    line = entry(event.type, cycle or parent["cycle"] - 1, event.occurred_at, **_detail(event.type, data))
    changes: dict[str, Any] = {"$push": {"timeline": line}, "$set": {}}
    if event.type == "account.activated":  # an account activated in any cycle needs no chaser
        changes["$set"] |= {"activated_ever": True, "chaser_due_at": None}
    current = cycle == parent["cycle"]
    progress = progress_of(parent)
    if current:
        progress = apply(progress, event.type, typed, event.occurred_at)
        changes["$set"]["progress"] = progress_doc(progress)
    if not changes["$set"]:
        del changes["$set"]
    await tx.db[PARTICIPANTS].update_one({"_id": oid}, changes, session=tx.session)
    if current and parent["outcome"] is None and parent["active"] and (outcome := decide(progress)):
        parent["progress"] = progress_doc(progress)
        if await decide_outcome(tx, parent, outcome, progress):
            await refresh_status(tx, referral_id)


async def chase_activations(rt: Runtime) -> int:
    """Raises `referral.activation_overdue` once for each parent not activated by their chaser time."""
    now = rt.clock.now()
    due = await rt.store.db[PARTICIPANTS].find({"chaser_due_at": {"$lte": now}}, {"_id": 1}).to_list(500)
    chased = 0
    for row in due:

        async def chase(tx: Tx, oid: Any = row["_id"]) -> bool:
            query = {"_id": oid, "chaser_due_at": {"$lte": now}}
            parent = await tx.db[PARTICIPANTS].find_one(query, session=tx.session)
            if parent is None:
                return False  # activated or chased since the query
            if parent["activated_ever"] or not parent["active"]:
                await tx.db[PARTICIPANTS].update_one(query, {"$set": {"chaser_due_at": None}}, session=tx.session)
                return False
            await tx.db[PARTICIPANTS].update_one(
                {"_id": oid},
                {
                    "$set": {"chaser_due_at": None, "chased_at": now},
                    "$push": {"timeline": entry("referral.activation_overdue", parent["cycle"], now)},
                },
                session=tx.session,
            )
            await tx.emit(
                ActivationOverdue(
                    referral_id=parent["referral_id"],
                    participant_id=str(oid),
                    provider=parent["provider"],
                    days_since_referral=(now - parent["cycle_started_at"]).days,
                ),
                parent["referral_id"],
            )
            return True

        chased += bool(await rt.store.run(chase))
    return chased
