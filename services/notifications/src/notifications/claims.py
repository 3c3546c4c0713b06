"""The sweeps' claims and records: the sender's and the webhook sweep's due rows claimed under a
lease, so two replicas never send the same row and the row of a sender that died is sent again,
and each attempt's outcome recorded only while its lease is still the sender's own."""

import asyncio
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

from pymongo import ReturnDocument, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.results import BulkWriteResult

from notifications.store import DELIVERIES, LANES
from ptfc.store import Store, Tx


async def claim_due(db: AsyncDatabase, now: datetime, lease: timedelta, collection: str) -> dict[str, Any] | None:
    """One due row of `webhook_deliveries` (or a collection with its `pending` and `leased` indexes),
    marked `sending` with a lease token, its `due_at` moved to the lease's end: two replicas never
    send the same row, and the row of a sender that died becomes due again. Rows whose lease ran out
    (their sender is gone) go first, then the oldest waiting one: one indexed equality-and-range
    query for each."""
    claim = {"$set": {"status": "sending", "lease": uuid4().hex, "due_at": now + lease}, "$inc": {"attempts": 1}}
    for status in ("sending", "pending"):
        if row := await db[collection].find_one_and_update(
            {"status": status, "due_at": {"$lte": now}},
            claim,
            sort=[("due_at", 1)],
            return_document=ReturnDocument.AFTER,
        ):
            return row
    return None


def fair_order(lanes: dict[str, list[dict[str, Any]]], limit: int) -> list[dict[str, Any]]:
    """Which of the lanes' due rows (each oldest first) a claim of `limit` takes: every row whose
    lease ran out and every safeguarding alert first (they are few and pressing), then a parent's
    own letters and the professionals' copies in turn, the parent's first. A backlog of one kind
    then takes at most every other place: a heads-up due behind a thousand welcome letters goes in
    the next claim, not after them (a strict order by rank starved the heads-ups of a surge)."""
    first = lanes.get("leased", []) + lanes.get("pending_rank_0", [])
    parents, professionals = lanes.get("pending_rank_1", []), lanes.get("pending_rank_2", [])
    taken = first[:limit]
    turns = [parents, professionals]
    while len(taken) < limit and any(turns):
        for lane in turns:
            if lane and len(taken) < limit:
                taken.append(lane.pop(0))
    return taken


async def claim_due_many(store: Store, now: datetime, lease: timedelta, limit: int) -> list[dict[str, Any]]:
    """Up to `limit` due rows claimed together, as `claim_due` claims one, under one lease token:
    the rows `due_rows` reads, then `take` (a second read only when another replica took some in
    between)."""
    return await take(store, await due_rows(store.db, now, limit), now, lease)


async def due_rows(db: AsyncDatabase, now: datetime, limit: int) -> list[dict[str, Any]]:
    """The rows a claim of `limit` takes: one indexed read per lane (`LANES`), merged by `fair_order`."""

    async def due(lane: dict[str, Any]) -> list[dict[str, Any]]:
        return await db[DELIVERIES].find({**lane, "due_at": {"$lte": now}}).sort("due_at", 1).to_list(limit)

    found = await asyncio.gather(*(due(lane) for lane in LANES.values()))
    return fair_order(dict(zip(LANES, found, strict=True)), limit)


async def take(store: Store, rows: list[dict[str, Any]], now: datetime, lease: timedelta) -> list[dict[str, Any]]:
    """Claims `rows` as read, in one write: each only while it is as it was read. A waiting row must
    still be waiting and due by now; a row whose lease ran out must still hold that lease. Another
    replica that took it since made it `sending` with `due_at` past now and a lease of its own, so
    it is not taken twice. One guarded update per row, on `still_pending` or `leases` by its status
    (an `_id` with other fields no one index holds is planned as a scan of every delivery, as was
    one `$in` update over both statuses). In one transaction, so one commit: outside one, the
    embedded store commits, and with `--sync-on-commit` syncs its journal, after each row's update
    (3.4 against 2.5 ms a letter claimed, `bench/letter_writes.py`)."""
    if not rows:
        return []
    ids, token = [row["_id"] for row in rows], uuid4().hex
    claim = {"status": "sending", "lease": token, "due_at": now + lease}
    writes = [UpdateOne(as_read(row, now), {"$set": claim, "$inc": {"attempts": 1}}) for row in rows]

    async def claim_all(tx: Tx) -> BulkWriteResult:
        return await tx.db[DELIVERIES].bulk_write(writes, ordered=True, session=tx.session)

    claimed = await store.run(claim_all)
    if claimed.modified_count == len(rows):  # all of them: as read, with the claim
        return [row | claim | {"attempts": row.get("attempts", 0) + 1} for row in rows]
    as_stored = await store.db[DELIVERIES].find({"_id": {"$in": ids}}).to_list(len(ids))
    return [row for row in as_stored if row.get("lease") == token]


def as_read(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The guard of a claim of `row`: it is still as it was read."""
    if row["status"] == "sending":
        return {"_id": row["_id"], "status": "sending", "lease": row["lease"]}
    return {"_id": row["_id"], "status": row["status"], "due_at": {"$lte": now}}


async def record_attempts(
    tx: Tx, outcomes: list[tuple[dict[str, Any], dict[str, Any]]], collection: str = DELIVERIES
) -> list[bool]:
    """The outcomes of attempts, in one write, each only while this sender still holds its lease;
    for each, whether it was recorded. `settled_by` keeps the lease that recorded it, so a lost
    lease (rare) is told apart with one read."""
    writes = [
        UpdateOne(
            {"_id": row["_id"], "status": "sending", "lease": row["lease"]},
            {"$set": {**changes, "lease": None, "settled_by": row["lease"]}},
        )
        for row, changes in outcomes
    ]
    if not writes:
        return []
    done = await tx.db[collection].bulk_write(writes, ordered=True, session=tx.session)
    if done.matched_count == len(writes):
        return [True] * len(writes)
    query = {"_id": {"$in": [row["_id"] for row, _ in outcomes]}}
    settled = {d["_id"]: d.get("settled_by") for d in await tx.db[collection].find(query, session=tx.session).to_list()}
    return [settled.get(row["_id"]) == row["lease"] for row, _ in outcomes]
