"""Running a sweep's due items: each in a unit of work of its own, so one that fails stays due
for the next round and does not hold up the items behind it."""

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from ptfc.store import Store, Tx

log = logging.getLogger("ptfc.sweeps")
T = TypeVar("T")


async def each(store: Store, items: Iterable[T], work: Callable[[Tx, T], Awaitable[Any]]) -> int:
    """Runs `work` for every item; returns how many answered truthy."""
    done = 0
    for item in items:
        try:
            done += bool(await store.run(lambda tx, item=item: work(tx, item)))
        except Exception:
            log.exception("a due item failed; it stays due")
    return done
