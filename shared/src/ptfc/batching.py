"""Group commit: work that arrives together is done together. Concurrent callers each `submit` an
item; the first leads, lets the others that are already scheduled join, hands them all to `handle`
at once (one transaction, one commit), and tells each caller its own outcome. Used by the consumer
for the messages of one fetch."""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class _Waiting(Generic[T, R]):
    item: T
    outcome: "asyncio.Future[R]"


class Batch(Generic[T, R]):
    """`handle` takes the items of a batch and returns, for each, its result or the exception that
    caller is to raise (one item failing need not fail the others)."""

    def __init__(self, handle: Callable[[list[T]], Awaitable[list[R | Exception]]]) -> None:
        self.handle = handle
        self.waiting: list[_Waiting[T, R]] = []
        self.leading = False

    async def submit(self, item: T) -> R:
        waiting: _Waiting[T, R] = _Waiting(item, asyncio.get_running_loop().create_future())
        self.waiting.append(waiting)
        if not self.leading:
            self.leading = True
            try:
                await self._lead()
            finally:
                self.leading = False
        return await waiting.outcome

    async def _lead(self) -> None:
        taken: list[_Waiting[T, R]] = []
        try:
            for _ in range(3):  # callers already scheduled (the rest of a fetch, sends just done) join
                await asyncio.sleep(0)
            while self.waiting:
                taken, self.waiting = self.waiting, []
                try:
                    outcomes = await self.handle([w.item for w in taken])
                except Exception as error:  # the whole batch failed: each caller hears why
                    outcomes = [error] * len(taken)
                for w, outcome in zip(taken, outcomes, strict=True):
                    if w.outcome.done():  # that caller was cancelled meanwhile
                        continue
                    if isinstance(outcome, Exception):
                        w.outcome.set_exception(outcome)
                    else:
                        w.outcome.set_result(outcome)
        finally:
            # The leader was cancelled mid-batch (a shutdown): the others stop too. A consumer's
            # message is then redelivered, a sender's row claimed again when its lease ends.
            for w in taken + self.waiting:
                if not w.outcome.done():
                    w.outcome.cancel()
            self.waiting = []
