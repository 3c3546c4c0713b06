"""Event subscribers of the workshops service. Each keeps only what the booking rules need:
never an email, phone or family name (the inbox makes each event act once)."""

from ptfc.consumer import Handlers, Meta
from ptfc.events import LearningCompleted, ReferralCreated, ReferralReordered, ReferralWithdrawn
from ptfc.store import Tx
from workshops.config import Settings
from workshops.store import BOOKINGS, PARENTS, WAITLIST, cancel_booking


class NotYetKnown(LookupError):
    """An event about a parent whose `referral.created` has not arrived yet: retried later."""


def make_handlers(settings: Settings) -> Handlers:
    handlers = Handlers()

    @handlers.on
    async def know_parents(data: ReferralCreated, meta: Meta, tx: Tx) -> None:
        """Remember each parent's needs, provider and co-parents: who may sit with whom (from the
        profile referrals sealed for workshops: no email, phone or family name)."""
        ids = [p.participant_id for p in data.participants]
        for p in data.profiles(settings.workshops_seal_key, settings.workshops_seal_previous_keys):
            kept = {
                "referral_id": data.referral_id,
                "cycle": data.cycle,
                "provider": data.provider,
                "fca_id": data.fca_id,
                "given_name": p.given_name,
                "gender": p.gender,
                "language": p.preferred_language,
                "interpreter": p.adjustments.interpreter,
                "in_person": p.adjustments.in_person,
                "support_needs": p.adjustments.support_needs,
                "availability": list(p.availability),
                "co_parents": [other for other in ids if other != p.participant_id],
            }
            fresh = {"learning_completed_at": None, "withdrawn": False, "misses": 0, "attended_at": None}
            fresh |= {"booking_id": None, "consent": None}
            await tx.db[PARENTS].update_one(
                {"_id": p.participant_id}, {"$set": kept, "$setOnInsert": fresh}, upsert=True, session=tx.session
            )

    @handlers.on
    async def learning_done(data: LearningCompleted, meta: Meta, tx: Tx) -> None:
        """The e-learning is complete: the parent may book a workshop. Each event type has its own
        consumer, so this may come before the parent's `referral.created`: kept either way."""
        parent = await tx.db[PARENTS].find_one({"_id": data.participant_id}, session=tx.session)
        if parent and data.cycle is not None and data.cycle < parent.get("cycle", 1):
            return  # an earlier cycle's completion, late: the re-ordered course starts over
        await tx.db[PARENTS].update_one(
            {"_id": data.participant_id},
            {"$set": {"learning_completed_at": data.completed_at}, "$setOnInsert": {"cycle": data.cycle or 1}},
            upsert=True,
            session=tx.session,
        )

    @handlers.on
    async def withdraw(data: ReferralWithdrawn, meta: Meta, tx: Tx) -> None:
        """A withdrawn referral cancels the parent's booking (freeing the seat) and waiting."""
        scope: dict = {"referral_id": data.referral_id}
        if data.participant_ids:  # an empty list withdraws the whole referral
            scope["_id"] = {"$in": data.participant_ids}
        parents = await tx.db[PARENTS].find(scope, {"_id": 1}, session=tx.session).to_list()
        ids = [p["_id"] for p in parents]
        await tx.db[PARENTS].update_many({"_id": {"$in": ids}}, {"$set": {"withdrawn": True}}, session=tx.session)
        await tx.db[WAITLIST].delete_many({"_id": {"$in": ids}}, session=tx.session)
        booked = {"participant_id": {"$in": ids}, "status": "booked"}
        for booking in await tx.db[BOOKINGS].find(booked, session=tx.session).to_list():
            await cancel_booking(tx, booking, "referral_withdrawn")

    @handlers.on
    async def reorder(data: ReferralReordered, meta: Meta, tx: Tx) -> None:
        """The court re-ordered the course: a new cycle, with the e-learning to do again and a fresh
        allowance of misses."""
        parent = await tx.db[PARENTS].find_one({"_id": data.participant_id}, session=tx.session)
        if parent is None:
            raise NotYetKnown(f"participant {data.participant_id} not known yet")
        if data.cycle <= parent.get("cycle", 1):
            return
        fresh = {"cycle": data.cycle, "provider": data.provider, "language": data.preferred_language}
        fresh |= {"learning_completed_at": None, "misses": 0, "attended_at": None}
        await tx.db[PARENTS].update_one({"_id": data.participant_id}, {"$set": fresh}, session=tx.session)

    return handlers
