"""The 10-day clock, and queued sign-in requests: due work is stored and found by indexed
sweeps, so a restart loses nothing. Each item runs in a unit of work of its own (a failing one
stays due and holds up nothing); the domain re-reads it there, so replicas sweeping at once fire it once."""

from learning import domain, store
from learning.store import UnitOfWork
from ptfc.runtime import Runtime
from ptfc.store import Tx
from ptfc.sweeps import each

BATCH = 100


async def expire_activations(rt: Runtime) -> int:
    """Unused links past their time expire once; the parent's FCA and provider are told."""
    due = await store.expired_links(rt.store.db, rt.clock.now(), BATCH)
    return await each(rt.store, due, lambda tx, link_id: domain.expire_activation(UnitOfWork(tx), link_id))


async def send_reminders(rt: Runtime) -> int:
    """`learning.deadline_approaching` at each reminder offset before the deadline."""
    due = await store.reminders_due(rt.store.db, rt.clock.now(), BATCH)
    return await each(rt.store, due, lambda tx, enrolment_id: domain.remind(UnitOfWork(tx), rt.settings, enrolment_id))


async def mark_missed(rt: Runtime) -> int:
    """The window closed before the eighth module: `learning.deadline_missed`, once."""
    due = await store.deadlines_passed(rt.store.db, rt.clock.now(), BATCH)
    return await each(rt.store, due, lambda tx, enrolment_id: domain.miss(UnitOfWork(tx), enrolment_id))


async def send_sign_in_links(rt: Runtime) -> int:
    """Answer "email me a sign-in link" requests, oldest first, each once."""

    async def answer(tx: Tx, row: dict) -> bool:
        if not await store.take_sign_in_request(tx, row["_id"]):
            return False  # another replica answered it
        await domain.answer_sign_in(UnitOfWork(tx), rt.settings, row["_id"], row["requested_at"])
        return True

    return await each(rt.store, await store.sign_in_requests(rt.store.db, BATCH), answer)


SWEEPS = [expire_activations, send_reminders, mark_missed, send_sign_in_links]
