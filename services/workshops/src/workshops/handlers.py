"""Event subscribers of the workshops service. Each turns one event into one `domain` call and
keeps only what the booking rules need: never an email, phone or family name (the inbox makes
each event act once)."""

from ptfc import withdrawals
from ptfc.events import LearningCompleted, ReferralCreated, ReferralReordered, ReferralWithdrawn
from ptfc.handlers import Handlers, Meta, Unit
from ptfc.store import Tx
from workshops import domain
from workshops.config import Settings
from workshops.store import UnitOfWork

handlers = Handlers()


async def check_withdrawals(events: list[ReferralCreated], tx: Tx) -> None:
    await withdrawals.check(tx, [(e.referral_id, p.participant_id) for e in events for p in e.participants])


@handlers.on(prefetch=check_withdrawals)
async def know_parents(
    data: ReferralCreated, meta: Meta, tx: Tx, settings: Settings, unit: Unit[UnitOfWork] = UnitOfWork
) -> None:
    """Remember each parent's needs, provider and co-parents: who may sit with whom (from the
    profile referrals sealed for workshops: no email, phone or family name)."""
    for p in data.profiles(settings.workshops_seal_key, settings.workshops_seal_previous_keys):
        kept = {
            "cycle": data.cycle,
            "provider": data.provider,
            "region": data.region,  # only to report follow-up outcomes per region
            "fca_id": data.fca_id,
            "given_name": p.given_name,
            "gender": p.gender,
            "language": p.preferred_language,
            "interpreter": p.adjustments.interpreter,
            "in_person": p.adjustments.in_person,
            "support_needs": p.adjustments.support_needs,
            "availability": list(p.availability),
            "co_parents": data.co_parents_of(p.participant_id),
        }
        await domain.know_parent(unit(tx), p.participant_id, data.referral_id, kept)


@handlers.on
async def learning_done(data: LearningCompleted, meta: Meta, tx: Tx, unit: Unit[UnitOfWork] = UnitOfWork) -> None:
    """The e-learning is complete: the parent may book a workshop."""
    await domain.learning_completed(unit(tx), data.participant_id, data.cycle, data.completed_at)


@handlers.on
async def withdraw(data: ReferralWithdrawn, meta: Meta, tx: Tx, unit: Unit[UnitOfWork] = UnitOfWork) -> None:
    """A withdrawn referral cancels the parent's booking (freeing the seat) and waiting."""
    await domain.withdraw(unit(tx), data.referral_id, list(data.participant_ids))


@handlers.on
async def reorder(data: ReferralReordered, meta: Meta, tx: Tx, unit: Unit[UnitOfWork] = UnitOfWork) -> None:
    """The court re-ordered the course: a new cycle, the e-learning again and fresh misses."""
    await domain.reorder(unit(tx), data.participant_id, data.cycle, data.provider, data.preferred_language)
