"""Timed work, found by indexed due times: reminders the day before each part, sessions closing
(a booking not attended in full becomes a miss), and seats offered to waiting parents. Each item
runs in a unit of work of its own (`ptfc.sweeps.each`), so a failing one stays due without holding
up the rest; the domain re-reads it there, so two replicas never act twice."""

import logging
from datetime import datetime

from ptfc.runtime import Runtime
from ptfc.store import Tx
from ptfc.sweeps import each
from workshops import domain, store
from workshops.store import UnitOfWork

BATCH = 100
log = logging.getLogger("workshops.sweeps")


async def send_reminders(rt: Runtime) -> int:
    """`workshop.reminder_due` the day before each part."""
    due = await store.reminders_due(rt.store.db, rt.clock.now(), BATCH)

    async def remind(tx: Tx, row: tuple[str, datetime]) -> bool:
        return await domain.remind(UnitOfWork(tx), *row, rt.settings)

    return await each(rt.store, due, remind)


async def close_sessions(rt: Runtime) -> int:
    """After the last part and the attendance window, a session closes: misses are sent once."""
    due = await store.sessions_closing(rt.store.db, rt.clock.now(), BATCH)
    return await each(rt.store, due, lambda tx, sid: domain.close_session(UnitOfWork(tx), sid, rt.settings))


async def offer_seats(rt: Runtime) -> int:
    """Waiting parents get seats the allocator finds (earliest waiter first), each booked through
    the same rules as a parent's own booking."""
    seekers, slots = await store.waiting(rt.store.db, rt.settings, rt.clock.now())
    if not seekers:
        return 0

    async def book(tx: Tx, seat: tuple[str, str]) -> bool:
        try:
            await domain.book(UnitOfWork(tx), *seat, rt.settings)
        except domain.Refused as refused:  # the seat went meanwhile: the parent waits on
            log.info("not done: %s", refused.reason)
            return False
        return True

    return await each(rt.store, domain.allocate(seekers, slots, rt.settings.aim_group).items(), book)


SWEEPS = [send_reminders, close_sessions, offer_seats]
