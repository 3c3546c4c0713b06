"""Timed work: the reply emails held back in a day go as one when the day is over (domain.send_held_reply),
each in a unit of work of its own (`ptfc.sweeps.each`)."""

from plans import domain, store
from plans.store import UnitOfWork
from ptfc.runtime import Runtime
from ptfc.sweeps import each

BATCH = 100


async def send_held_replies(rt: Runtime) -> int:
    due = await store.held_replies_due(rt.store.db, rt.clock.now(), BATCH)
    return await each(rt.store, due, lambda tx, row: domain.send_held_reply(UnitOfWork(tx), *row))


SWEEPS = [send_held_replies]
