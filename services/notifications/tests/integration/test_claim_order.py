"""The sender's claim on the real store: most pressing rows first (`domain.rank`), then oldest."""

from datetime import UTC, datetime, timedelta

from notifications import claims, store
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
        first = await claims.claim_due_many(db_store, now, timedelta(seconds=30), 2)
        then = await claims.claim_due_many(db_store, now, timedelta(seconds=30), 2)
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


async def test_a_heads_up_due_behind_a_backlog_of_welcome_letters_goes_in_the_next_claim(kit):
    """Fair delivery: 200 welcome letters waiting (a surge) do not hold back a provider's heads-up
    that became due after all of them: it goes in the first claim, and the welcome letters still
    take most places. By rank alone it waited 25 claims of 8."""
    s = kit.settings()
    db_store = Store(s.mongodb_uri, s.db_name, "claims", SystemClock())
    await db_store.ensure_indexes(store.INDEXES)
    now = datetime.now(UTC)
    welcomes = [
        {"_id": f"welcome-{i:03}", "key": i, "status": "pending", "rank": 1, "due_at": now - timedelta(seconds=300 - i)}
        for i in range(200)
    ]
    heads_up = {
        "_id": "heads-up",
        "key": -1,
        "status": "pending",
        "rank": 2,
        "due_at": now - timedelta(milliseconds=10),
    }
    await db_store.db[store.DELIVERIES].insert_many([*welcomes, heads_up])
    try:
        first = [r["_id"] for r in await claims.claim_due_many(db_store, now, timedelta(seconds=30), 8)]
        assert "heads-up" in first
        assert [i for i in first if i != "heads-up"] == [f"welcome-{i:03}" for i in range(7)]  # oldest first
    finally:
        await db_store.close()


async def test_two_replicas_that_read_the_same_due_rows_take_each_once(kit):
    """Two senders read the same due rows (a waiting letter, and one whose sender's lease ran out);
    the one that writes second takes none of them, so no letter is sent twice."""
    s = kit.settings()
    db_store = Store(s.mongodb_uri, s.db_name, "claims", SystemClock())
    await db_store.ensure_indexes(store.INDEXES)
    now = datetime.now(UTC)
    rows = [
        {"_id": "waiting", "key": 1, "status": "pending", "rank": 1, "due_at": now - timedelta(seconds=2)},
        {"_id": "lapsed", "key": 2, "status": "sending", "rank": 1, "due_at": now - timedelta(seconds=1), "lease": "x"},
    ]
    await db_store.db[store.DELIVERIES].insert_many(rows)
    try:
        first_read = await claims.due_rows(db_store.db, now, 8)
        second_read = await claims.due_rows(db_store.db, now, 8)
        assert {r["_id"] for r in first_read} == {r["_id"] for r in second_read} == {"waiting", "lapsed"}
        taken = await claims.take(db_store, second_read, now, timedelta(seconds=30))
        assert await claims.take(db_store, first_read, now, timedelta(seconds=30)) == []
        assert {r["_id"] for r in taken} == {"waiting", "lapsed"}
        stored = await db_store.db[store.DELIVERIES].find().to_list()
        assert {(r["lease"], r.get("attempts")) for r in stored} == {(taken[0]["lease"], 1)}
    finally:
        await db_store.close()


def test_every_rank_has_a_lane():
    """A rank with no lane would never be claimed."""
    from notifications import domain

    ranks = {
        domain.rank(t, r)
        for t in domain.PARENT_TEMPLATES + domain.PROFESSIONAL_TEMPLATES
        for r in ("parent", "co_parent", "fca", "court", "provider")
    }
    assert {f"pending_rank_{rank}" for rank in ranks} <= set(store.LANES)
