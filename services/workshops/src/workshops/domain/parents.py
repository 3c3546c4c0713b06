"""What other services' events change: a parent known from `referral.created` (needs, provider,
co-parents), the e-learning completed, a withdrawal, a re-ordered course."""

import logging
from datetime import datetime

from ptfc.events import NotYetKnown
from workshops.domain.base import UnitOfWork
from workshops.domain.booking import cancel_booking

log = logging.getLogger(__name__)


async def know_parent(uow: UnitOfWork, participant_id: str, referral_id: str, kept: dict) -> None:
    """Remember a parent's needs, provider and co-parents from `referral.created`: who may sit with
    whom. Merged into the record field by field, first thing, since `learning.completed` may be
    creating it at the same moment. A withdrawal that arrived first is remembered: never bookable.

    A parent already known from a referral keeps what they were referred with: a later
    `referral.created` naming them (another referral id: a compromised or mistaken producer, since
    referrals gives every referral new participant ids) never re-points their provider, co-parents
    or profile. It is logged, not acted on; a new course for the same parent is `referral.reordered`."""
    known = await uow.referral_of(participant_id)
    if known is not None:
        if known != referral_id:
            log.warning(
                "referral.created names a parent known from another referral: kept as it was",
                extra={"participant_id": participant_id, "referral_id": referral_id, "known_referral_id": known},
            )
        return
    fresh = {"learning_completed_at": None, "withdrawn": False, "misses": 0, "attended_at": None}
    fresh |= {"booking_id": None, "last_booking_id": None, "consent": None}
    await uow.merge_parent(participant_id, {"referral_id": referral_id, **kept}, fresh)
    if await uow.withdrawn(referral_id, participant_id):
        await uow.merge_parent(participant_id, {"withdrawn": True}, {})


async def learning_completed(uow: UnitOfWork, participant_id: str, cycle: int | None, at: datetime) -> None:
    """The parent may book a workshop. Each event type has its own consumer, so this may come
    before the parent's `referral.created` (kept either way), or before the `referral.reordered`
    that starts its cycle: then it waits for it, or the re-order would wipe this completion. One
    without a cycle (from before cycles were counted) is of the first."""
    parent = await uow.parent(participant_id)
    cycle, known = cycle or 1, (parent or {}).get("cycle", 1)
    if cycle < known:
        return  # an earlier cycle's completion, late: the re-ordered course starts over
    if cycle > known:
        raise NotYetKnown(f"cycle {cycle} of participant {participant_id} not known yet")
    await uow.merge_parent(participant_id, {"learning_completed_at": at}, {"cycle": cycle})


async def withdraw(uow: UnitOfWork, referral_id: str, participant_ids: list[str]) -> None:
    """A withdrawn referral (all its parents when `participant_ids` is empty) cancels each parent's
    booking, freeing the seat, and their waiting. Remembered for parents not known yet."""
    await uow.record_withdrawal(referral_id, participant_ids, uow.now())
    parents = await uow.parents_of(referral_id, participant_ids or None)
    ids = [p["_id"] for p in parents]
    for parent in parents:
        await uow.save_parent({**parent, "withdrawn": True})
    await uow.drop_wishes(ids)
    for booking in await uow.bookings_of(ids, ["booked"]):
        await cancel_booking(uow, str(booking["_id"]), "referral_withdrawn")


async def reorder(uow: UnitOfWork, participant_id: str, cycle: int, provider: str, language: str) -> None:
    """The court re-ordered the course: a new cycle, with the e-learning to do again and a fresh
    allowance of misses."""
    parent = await uow.parent(participant_id)
    if parent is None:
        raise NotYetKnown(f"participant {participant_id} not known yet")
    if cycle <= parent.get("cycle", 1):
        return
    fresh = {"cycle": cycle, "provider": provider, "language": language}
    fresh |= {"learning_completed_at": None, "misses": 0, "attended_at": None, "last_booking_id": None}
    await uow.save_parent({**parent, **fresh})
