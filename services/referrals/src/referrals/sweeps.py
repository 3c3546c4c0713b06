"""Timed work of the referrals service: the no-activation chaser. Due times are indexed fields,
so a restart loses nothing; each parent is chased in a unit of work of its own."""

from ptfc.runtime import Runtime
from ptfc.sweeps import each
from referrals import domain
from referrals.store import UnitOfWork, chasers_due


async def chase_activations(rt: Runtime) -> int:
    """Raises `referral.activation_overdue` once for each parent not activated by their chaser time."""
    due = await chasers_due(rt.store.db, rt.clock.now(), 500)
    return await each(rt.store, due, lambda tx, pid: domain.chase(UnitOfWork(tx), pid))


SWEEPS = [chase_activations]
