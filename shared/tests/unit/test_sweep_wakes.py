"""When a service's sweeps run (`ptfc.service._every`): every interval, and one woken by a handoff
also as soon as this process's commits hand it rows, but not straight after it failed."""

import asyncio
from contextlib import asynccontextmanager
from types import SimpleNamespace

from ptfc.runtime import woken_by
from ptfc.service import _every
from ptfc.store import Handoff


class Runs:
    """A sweep that notes each run and takes what was handed to it; `fail` makes its next run raise."""

    def __init__(self, handoff: Handoff) -> None:
        self.handoff, self.taken, self.fail = handoff, [], False
        self.__name__ = "runs"  # as a function sweep has, for the log
        self.ran = asyncio.Event()

    async def __call__(self, rt) -> None:
        self.taken.append(self.handoff.take())
        self.ran.set()
        if self.fail:
            self.fail = False
            raise RuntimeError("the store is away")

    async def next_run(self, within: float) -> bool:
        self.ran.clear()
        try:
            await asyncio.wait_for(self.ran.wait(), within)
            return True
        except TimeoutError:
            return False


@asynccontextmanager
async def looping(sweep, interval: float, handoff: Handoff):
    rt = SimpleNamespace(store=SimpleNamespace(handoff=lambda name: handoff))
    task = asyncio.create_task(_every(interval, sweep, rt))
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_sweep_woken_by_a_handoff_runs_when_rows_are_handed_not_an_interval_later():
    handoff = Handoff()
    runs = Runs(handoff)
    async with looping(woken_by("deliveries")(runs), 60.0, handoff):
        assert await runs.next_run(within=2)  # the first, timed run
        handoff.put([{"_id": 1}])
        assert await runs.next_run(within=2)
        assert runs.taken == [[], [{"_id": 1}]]


async def test_a_plain_sweep_waits_its_interval_whatever_is_handed():
    handoff = Handoff()
    runs = Runs(handoff)
    async with looping(runs, 60.0, handoff):
        assert await runs.next_run(within=2)
        handoff.put([{"_id": 1}])
        assert not await runs.next_run(within=0.5)


async def test_a_woken_sweep_that_failed_waits_a_whole_interval_before_it_runs_again():
    handoff = Handoff()
    runs = Runs(handoff)
    runs.fail = True
    async with looping(woken_by("deliveries")(runs), 1.5, handoff):
        assert await runs.next_run(within=2)  # it fails
        handoff.put([{"_id": 1}])
        assert not await runs.next_run(within=0.7)  # not hammering a store that is away
        assert await runs.next_run(within=2)  # then, at its interval
        assert runs.taken == [[], [{"_id": 1}]]
