"""Ending and restarting: a referral withdrawn (each open cycle ends incomplete, every clock stops),
and the court re-ordering the course for a parent whose cycle ended incomplete (a new cycle)."""

from typing import Any

from ptfc.events import ReferralReordered, ReferralWithdrawn
from referrals.domain.base import Refused, Timings, UnitOfWork, Unknown, entry, parent_to_change
from referrals.domain.intake import new_cycle_clocks, refuse_active_parent
from referrals.domain.outcome import Outcome, refresh_status, settle


async def withdraw(uow: UnitOfWork, referral_id: str, reason: str) -> dict[str, Any]:
    """Withdraw a referral: each open cycle ends incomplete (`withdrawn`) and every clock stops."""
    referral = await uow.referral(referral_id)
    if referral is None:
        raise Unknown("referral")
    if referral.get("withdrawn_at"):
        raise Refused("already-withdrawn", "This referral was withdrawn before.")
    now = uow.now()
    referral |= {"withdrawn_at": now, "withdrawal_reason": reason, "status": "withdrawn"}
    await uow.save_referral(referral)
    parents = await uow.parents(referral_id)
    ids = [str(p["_id"]) for p in parents]
    await uow.emit(ReferralWithdrawn(referral_id=referral_id, participant_ids=ids), referral_id)
    for parent in parents:
        await settle(uow, parent, Outcome("incomplete", "withdrawn"))
        # Clocks stop: no contact call, no chaser for a withdrawn referral.
        parent |= {"active": False, "contact_due_at": None, "chaser_due_at": None}
        parent["timeline"].append(entry("referral.withdrawn", parent["cycle"], now))
        await uow.save_parent(parent)
    return referral


async def reorder(uow: UnitOfWork, referral_id: str, participant_id: str, timings: Timings) -> dict[str, Any]:
    """The court re-orders the course for a parent whose cycle ended incomplete: a new cycle starts."""
    withdrawn = "A withdrawn referral is not re-ordered: refer again."
    referral, parent = await parent_to_change(uow, referral_id, participant_id, withdrawn)
    result = (parent["outcome"] or {}).get("result")
    if result != "incomplete":
        reason, detail = (
            ("course-completed", "This parent completed the course.")
            if result == "completed"
            else ("cycle-in-progress", "This parent's course is still in progress.")
        )
        raise Refused(reason, detail)
    await refuse_active_parent(uow, parent["case_number"], [parent["email_key"]], except_id=parent["_id"])
    now, cycle = uow.now(), parent["cycle"] + 1
    parent["past_cycles"].append(
        {"cycle": parent["cycle"], "started_at": parent["cycle_started_at"], "outcome": parent["outcome"]}
    )
    parent |= {"cycle": cycle, "cycle_started_at": now, "progress": {}, "outcome": None, "active": True}
    parent |= new_cycle_clocks(now, timings, parent["activated_ever"])
    parent["timeline"].append(entry("referral.reordered", cycle, now))
    await uow.save_parent(parent)
    reordered = ReferralReordered(
        referral_id=referral_id,
        participant_id=participant_id,
        cycle=cycle,
        provider=referral["provider"],
        preferred_language=parent["person"]["preferred_language"],
    )
    await uow.emit(reordered, referral_id)
    await refresh_status(uow, referral_id)
    return parent
