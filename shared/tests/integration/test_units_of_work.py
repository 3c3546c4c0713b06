"""`Tx.get` / `Tx.save`, the identity map a batch of events shares, on the real store: each
document read once, written once at the end of the work, and a query sees the work's own copy."""

from ptfc.clock import SystemClock
from ptfc.metrics import STORE_COMMANDS
from ptfc.settings import ServiceSettings
from ptfc.store import Store


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
