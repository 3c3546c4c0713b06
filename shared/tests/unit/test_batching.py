"""Group commit (ptfc.batching.Batch): callers that arrive together are handled together, and each
hears its own outcome."""

import asyncio

import pytest

from ptfc.batching import Batch


async def test_concurrent_callers_are_handled_in_one_call_and_each_gets_its_own_outcome():
    calls: list[list[int]] = []

    async def handle(items: list[int]) -> list[int | Exception]:
        calls.append(items)
        await asyncio.sleep(0.01)  # the store's round trip
        return [ValueError(f"{i} is odd") if i % 2 else i * 10 for i in items]

    batch: Batch[int, int] = Batch(handle)
    results = await asyncio.gather(*(batch.submit(i) for i in range(6)), return_exceptions=True)

    assert calls == [[0, 1, 2, 3, 4, 5]]
    assert [r if isinstance(r, int) else str(r) for r in results] == [0, "1 is odd", 20, "3 is odd", 40, "5 is odd"]


async def test_callers_arriving_while_a_batch_is_handled_make_the_next_batch():
    calls: list[list[int]] = []
    started = asyncio.Event()

    async def handle(items: list[int]) -> list[int | Exception]:
        calls.append(items)
        started.set()
        await asyncio.sleep(0.02)
        return list(items)

    batch: Batch[int, int] = Batch(handle)
    first = asyncio.create_task(batch.submit(1))
    await started.wait()
    later = await asyncio.gather(batch.submit(2), batch.submit(3))
    assert await first == 1 and later == [2, 3]
    assert calls == [[1], [2, 3]]


async def test_a_batch_that_fails_as_a_whole_fails_every_caller_and_the_next_batch_still_runs():
    failing = True

    async def handle(items: list[int]) -> list[int | Exception]:
        if failing:
            raise ConnectionError("the store is away")
        return list(items)

    batch: Batch[int, int] = Batch(handle)
    results = await asyncio.gather(batch.submit(1), batch.submit(2), return_exceptions=True)
    assert [type(r) for r in results] == [ConnectionError, ConnectionError]
    failing = False
    assert await batch.submit(3) == 3


async def test_a_cancelled_leader_cancels_the_callers_waiting_on_it():
    async def handle(items: list[int]) -> list[int | Exception]:
        await asyncio.sleep(10)
        return list(items)

    batch: Batch[int, int] = Batch(handle)
    leader = asyncio.create_task(batch.submit(1))
    follower = asyncio.create_task(batch.submit(2))
    await asyncio.sleep(0.01)
    leader.cancel()
    with pytest.raises(asyncio.CancelledError):
        await follower
    assert batch.waiting == [] and not batch.leading
