"""The 10-day clock, and queued sign-in requests: due work is stored and found by indexed
sweeps, so a restart loses nothing. Each item runs in a unit of work of its own (a failing one
stays due and holds up nothing); the domain re-reads it there, so replicas sweeping at once fire it once."""

from learning import domain
from learning.store import ACTIVATIONS, ENROLMENTS, SIGN_IN_REQUESTS, UnitOfWork, due, take_sign_in_request
from ptfc.runtime import Runtime
from ptfc.store import Tx
from ptfc.sweeps import each

BATCH = 100


async def expire_activations(rt: Runtime) -> int:
    """Unused links past their time expire once; the parent's FCA and provider are told."""
    query = {"state": "pending", "expires_at": {"$lte": rt.clock.now()}}
    rows = await due(rt.store.db, ACTIVATIONS, query, "expires_at", BATCH)
    return await each(rt.store, [r["_id"] for r in rows], lambda tx, i: domain.expire_activation(UnitOfWork(tx), i))


async def send_reminders(rt: Runtime) -> int:
    """`learning.deadline_approaching` at each reminder offset before the deadline."""
    now = rt.clock.now()
    query = {"status": "active", "reminder_due": {"$lte": now}, "deadline": {"$gt": now}}
    rows = await due(rt.store.db, ENROLMENTS, query, "reminder_due", BATCH)
    ids = [str(r["_id"]) for r in rows]
    return await each(rt.store, ids, lambda tx, i: domain.remind(UnitOfWork(tx), rt.settings, i))


async def mark_missed(rt: Runtime) -> int:
    """The window closed before the eighth module: `learning.deadline_missed`, once."""
    query = {"status": "active", "deadline": {"$lte": rt.clock.now()}}
    rows = await due(rt.store.db, ENROLMENTS, query, "deadline", BATCH)
    return await each(rt.store, [str(r["_id"]) for r in rows], lambda tx, i: domain.miss(UnitOfWork(tx), i))


async def send_sign_in_links(rt: Runtime) -> int:
    """Answer "email me a sign-in link" requests, oldest first, each once."""

    async def answer(tx: Tx, row: dict) -> bool:
        if not await take_sign_in_request(tx, row["_id"]):
            return False  # another replica answered it
        await domain.answer_sign_in(UnitOfWork(tx), rt.settings, row["_id"], row["requested_at"])
        return True

    return await each(rt.store, await due(rt.store.db, SIGN_IN_REQUESTS, {}, "requested_at", BATCH), answer)


SWEEPS = [expire_activations, send_reminders, mark_missed, send_sign_in_links]
