"""Expiry on the embedded store (`ptfc up`), reading only what is due.

MongoDB deletes a document once its TTL index (`expireAfterSeconds`) says it is past its time. The
embedded store's own sweeper does that by decoding every document of every TTL collection under its
global lock (seconds of frozen writes with a few tens of thousands of rows), so `ptfc up` starts it
with that sweeper off (`start_mongodb`) and runs this one: for each TTL index it reads, by a range on
that index's field, the ids of the documents past their time, a batch at a time, and deletes those.
Each round costs what has expired, not what is stored. The services declare the same TTL indexes
for a real MongoDB, which expires by itself; nothing here runs there."""

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import MongoClient

INTERVAL = 60.0  # seconds between rounds, as mongod's TTL monitor
BATCH = 500  # documents deleted per statement: no statement holds the store for long
SYSTEM = {"admin", "config", "local"}


def ttl_indexes(
    client: MongoClient, databases: list[str] | None = None
) -> list[tuple[str, str, str, float, dict[str, Any]]]:
    """(database, collection, field, seconds, partial filter) of every TTL index (of `databases`,
    else of all), as mongod reads them: one field, not `_id`."""
    found = []
    for db_name in databases or client.list_database_names():
        if db_name in SYSTEM:
            continue
        db = client[db_name]
        for collection in db.list_collection_names():
            for index in db[collection].list_indexes():
                keys = list(index["key"])
                seconds = index.get("expireAfterSeconds")
                if seconds is None or isinstance(seconds, bool) or len(keys) != 1 or keys[0] == "_id":
                    continue
                found.append((db_name, collection, keys[0], float(seconds), index.get("partialFilterExpression") or {}))
    return found


def expire_due(client: MongoClient, now: datetime | None = None, databases: list[str] | None = None) -> int:
    """Delete every document past its TTL; the number deleted.

    Measured on SecantusDB 0.7.0b3 with 40,000 rows: the range alone is served by the TTL index
    (15 ms for a batch), but the same read with the index as a `hint` took 2.4 s, and a delete
    naming the ids and the range 0.8 s (a collection scan), so the ids are read by the range and
    deleted by id alone. The platform's rows past their time are never written again, except a
    readiness row, which its probe writes afresh at the next probe."""
    now = now or datetime.now(UTC)
    deleted = 0
    for db_name, collection, field, seconds, partial in ttl_indexes(client, databases):
        due: dict[str, Any] = {field: {"$lt": now - timedelta(seconds=seconds)}}
        if partial:  # expire only what the index holds, as mongod (the platform declares none)
            due = {"$and": [due, partial]}
        rows = client[db_name][collection]
        while ids := [d["_id"] for d in rows.find(due, {"_id": 1}, limit=BATCH)]:
            deleted += rows.delete_many({"_id": {"$in": ids}}).deleted_count
            if len(ids) < BATCH:
                break
    return deleted


class ExpirySweeper:
    """`expire_due` every `interval` seconds in a thread, until stopped; a round that fails (the store
    restarting, say) is tried again at the next."""

    def __init__(self, url: str, say: Callable[[str], None], interval: float = INTERVAL) -> None:
        self.url, self.say, self.interval = url, say, interval
        self.deleted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="store-expiry", daemon=True)

    def start(self) -> "ExpirySweeper":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        client: MongoClient = MongoClient(self.url, tz_aware=True, serverSelectionTimeoutMS=5000, appname="expiry")
        failed = False
        try:
            while not self._stop.wait(self.interval):
                try:
                    self.deleted += expire_due(client)
                    failed = False
                except Exception as error:  # the store restarting, or stopping under us
                    if not failed:
                        self.say(f"[expiry] a round failed, tried again in {self.interval:g}s: {error}")
                    failed = True
        finally:
            client.close()
