"""The sender's claim on the real store: most pressing rows first (`domain.rank`), then oldest."""

from datetime import UTC, datetime, timedelta

from notifications import store
from ptfc.clock import SystemClock
from ptfc.store import Store


async def test_a_parents_letter_due_later_is_claimed_before_a_heads_up_due_earlier(kit):
    s = kit.settings()
    db_store = Store(s.mongodb_uri, s.db_name, "claims", SystemClock())
    now = datetime.now(UTC)
    rows = [  # a surge: heads-ups planned first, then the welcome letters, then an alert
        {"_id": "heads-up", "status": "pending", "rank": 2, "due_at": now - timedelta(seconds=3)},
        {"_id": "welcome", "status": "pending", "rank": 1, "due_at": now - timedelta(seconds=2)},
        {"_id": "alert", "status": "pending", "rank": 0, "due_at": now - timedelta(seconds=1)},
        {"_id": "not-yet", "status": "pending", "rank": 0, "due_at": now + timedelta(hours=1)},
    ]
    await db_store.db[store.DELIVERIES].insert_many(rows)
    try:
        first = await store.claim_due_many(db_store.db, now, timedelta(seconds=30), 2)
        then = await store.claim_due_many(db_store.db, now, timedelta(seconds=30), 2)
        assert [r["_id"] for r in first] == ["alert", "welcome"]
        assert [r["_id"] for r in then] == ["heads-up"]
        # What the sender holds is what the store holds: claimed, under one lease, one attempt each.
        stored = {
            r["_id"]: r
            for r in await db_store.db[store.DELIVERIES].find({"_id": {"$in": ["alert", "welcome"]}}).to_list()
        }
        for row in first:
            assert row["status"] == "sending" and row["attempts"] == 1 and row["lease"] == first[0]["lease"]
            assert {**row, "due_at": None} == {**stored[row["_id"]], "due_at": None}  # the store keeps milliseconds
    finally:
        await db_store.close()
