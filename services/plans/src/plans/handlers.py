"""Event subscribers of the plans service."""

from plans.store import remember_participants
from ptfc.consumer import Handlers, Meta
from ptfc.events import ReferralCreated
from ptfc.store import Tx

handlers = Handlers()


@handlers.on
async def remember_co_parents(event: ReferralCreated, meta: Meta, tx: Tx) -> None:
    """Who is whose co-parent (the parents of one referral), and their FCA: ids and language only."""
    people = [(p.participant_id, p.preferred_language) for p in event.participants]
    await remember_participants(tx, event.referral_id, event.fca_id, people)
