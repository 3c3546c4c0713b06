"""One way for a route to write: one `domain` call in one unit of work. A service binds its store's
`UnitOfWork` once, in api.py, `write, run = writes(UnitOfWork)`:

- `write(rt, key, scope, payload, change)`: once per Idempotency-Key (ptfc.idempotency: the answer
  is stored in the same transaction as the effect); `change(uow)` answers a status and a model.
- `run(rt, change)`: a change that acts once anyway (no key), or reads that must see one snapshot.

What every write shares is not here because it is the app's: write turns (ptfc.limits.WriteTurns,
for every request that is not a read) and refusals (a `ptfc.refusals.Refused` goes on to the app's
handler, worded by the service's refusals.WORDS; a racing retry is answered as the first was)."""

from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

from fastapi.responses import JSONResponse
from pydantic import BaseModel

from ptfc.idempotency import change_once
from ptfc.runtime import Runtime
from ptfc.store import Tx

U = TypeVar("U")
T = TypeVar("T")


class Writes(Generic[U]):
    def __init__(self, unit: Callable[[Tx], U]) -> None:
        self.unit = unit

    async def write(
        self,
        rt: Runtime,
        key: str | None,
        scope: str,
        payload: Any,
        change: Callable[[U], Awaitable[tuple[int, BaseModel]]],
    ) -> JSONResponse:
        """One change in one transaction, once per Idempotency-Key."""
        return await change_once(rt.store, key, scope, payload, lambda tx: change(self.unit(tx)))

    async def run(self, rt: Runtime, change: Callable[[U], Awaitable[T]]) -> T:
        """One change in one transaction, for a route that takes no Idempotency-Key."""
        return await rt.store.run(lambda tx: change(self.unit(tx)))


def writes(unit: Callable[[Tx], U]) -> tuple[Callable[..., Awaitable[JSONResponse]], Callable[..., Awaitable[Any]]]:
    """The service's `write` and `run`, on its unit of work."""
    bound = Writes(unit)
    return bound.write, bound.run
