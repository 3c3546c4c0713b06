"""Units of work on the real store: `Tx.get` / `Tx.save`, the identity map a batch of events shares
(each document read once, written once at the end of the work, and a query sees the work's own
copy), and the turns a process takes at the store."""

import asyncio

import pytest

from ptfc.clock import SystemClock
from ptfc.metrics import STORE_COMMANDS
from ptfc.settings import ServiceSettings
from ptfc.store import Store, StoreUnavailable


def finds(service: str) -> float:
    return STORE_COMMANDS.labels(service, "find")._value.get()


async def test_a_unit_of_work_reads_each_document_once_and_writes_it_once_at_the_end(make_settings):
    s = make_settings(ServiceSettings, service="referrals")
    store = Store(s.mongodb_uri, s.db_name, "identity-map", SystemClock())
    other = Store(s.mongodb_uri, s.db_name, "identity-map-reader", SystemClock())
    await store.db.parents.insert_many([{"_id": i, "family": "f", "timeline": []} for i in range(3)])
    try:
        before = finds("identity-map")
        async with store.transaction() as tx:
            first = await tx.get("parents", [0, 1, 9])  # 9 does not exist
            assert first[9] is None and first[0]["timeline"] == []
            first[0]["timeline"].append("activated")
            tx.save("parents", first[0])
            first[0]["timeline"].append("module 1")  # changed again before the end: still one write
            tx.save("parents", first[0])
            again = await tx.get("parents", [0, 1, 9])
            assert again[0] is first[0] and again[9] is None
            assert finds("identity-map") - before == 1  # the second get asked the store nothing
            # A query answers from the store, which has not seen the save yet; `current` corrects it.
            queried = await tx.db.parents.find({"family": "f"}, session=tx.session).sort("_id", 1).to_list()
            assert [p["timeline"] for p in tx.current("parents", queried)] == [["activated", "module 1"], [], []]
            tx.save("parents", {"_id": 5, "family": "f", "timeline": ["new"]})  # a new one is inserted
            assert await other.db.parents.find_one({"_id": 0}) == {"_id": 0, "family": "f", "timeline": []}
        assert (await other.db.parents.find_one({"_id": 0}))["timeline"] == ["activated", "module 1"]
        assert (await other.db.parents.find_one({"_id": 5}))["timeline"] == ["new"]
        assert await other.db.parents.count_documents({}) == 4
    finally:
        await store.close()
        await other.close()


async def test_a_process_runs_at_most_its_share_of_units_of_work_at_once_and_the_rest_wait_their_turn(make_settings):
    """A burst of requests must not crowd the work that follows from them out of a shared store."""
    s = make_settings(ServiceSettings, service="referrals")
    store = Store(s.mongodb_uri, s.db_name, "turns", SystemClock(), timeout=1.0, concurrency=2)
    running, most, go = 0, 0, asyncio.Event()

    async def work(tx):
        nonlocal running, most
        running += 1
        most = max(most, running)
        try:
            await tx.db.turns.insert_one({}, session=tx.session)
            await go.wait()
        finally:
            running -= 1

    await store.db.create_collection("turns")  # not made by the first inserts: they would conflict
    try:
        five = [asyncio.create_task(store.run(work)) for _ in range(5)]
        await asyncio.sleep(0.3)
        assert running == 2  # two at work, three waiting
        go.set()
        await asyncio.gather(*five)
        assert most == 2
        assert await store.db.turns.count_documents({}) == 5  # each had its turn

        # A wait past the unit of work's deadline counts as the store being unavailable (503).
        go.clear()
        held = [asyncio.create_task(store.run(work)) for _ in range(2)]
        await asyncio.sleep(0.1)
        with pytest.raises(StoreUnavailable):
            await store.run(work)
        go.set()
        await asyncio.gather(*held)
        assert await store.db.turns.count_documents({}) == 7
    finally:
        await store.close()
