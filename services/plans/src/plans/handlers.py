"""Event subscribers of the plans service."""

from plans import domain
from plans.store import UnitOfWork
from ptfc.events import ReferralCreated
from ptfc.handlers import Handlers, Meta, Unit
from ptfc.store import Tx

handlers = Handlers()


@handlers.on
async def remember_co_parents(event: ReferralCreated, meta: Meta, tx: Tx, unit: Unit[UnitOfWork] = UnitOfWork) -> None:
    """Who is whose co-parent (the parents of one referral), and their FCA: ids and language only."""
    people = [
        (p.participant_id, p.preferred_language, event.co_parents_of(p.participant_id)) for p in event.participants
    ]
    await domain.remember_participants(unit(tx), event.referral_id, event.fca_id, people)
