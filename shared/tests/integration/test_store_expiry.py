"""The embedded store's TTL sweep interval is ours to set: `start_mongodb` passes it through, which
`secantusd-py --config` alone does not (secantusdb 0.7.0b3 parses `[storage] ttl_sweep_seconds` and
drops it), and it defaults to off, `ptfc up` expiring documents with `ptfc.dev.expiry` instead.
The freeze it avoids is measured by `store_sweep_latency.py` beside this file."""

import time
from datetime import UTC, datetime, timedelta

from pymongo import MongoClient

from ptfc.dev.expiry import ExpirySweeper
from ptfc.dev.servers import start_mongodb


def expired_row_left(url: str, within: float) -> bool:
    """An inbox row 91 days old under a 90-day TTL index: whether it is still there after `within` s."""
    client: MongoClient = MongoClient(url, tz_aware=True)
    try:
        inbox = client["expiry"]["inbox"]
        inbox.create_index("handled_at", expireAfterSeconds=90 * 24 * 3600)
        inbox.insert_many([{"_id": "old", "handled_at": datetime.now(UTC) - timedelta(days=91)}, {"_id": "new"}])
        deadline = time.monotonic() + within
        while time.monotonic() < deadline and inbox.find_one({"_id": "old"}):
            time.sleep(0.2)
        assert inbox.find_one({"_id": "new"}), "a row without the indexed date never expires"
        return inbox.find_one({"_id": "old"}) is not None
    finally:
        client.close()


def test_the_stores_own_sweeper_runs_at_the_interval_given(tmp_path):
    server = start_mongodb(tmp_path / "mongodb", ttl_sweep_seconds=1)
    try:
        assert not expired_row_left(server.url, within=10)
    finally:
        server.stop()


def test_by_default_the_stores_sweeper_is_off_and_ptfc_ups_expiry_deletes_what_is_due(tmp_path):
    server = start_mongodb(tmp_path / "mongodb")
    sweeper = ExpirySweeper(server.url, print, interval=0.5).start()
    try:
        assert not expired_row_left(server.url, within=10)
        assert sweeper.deleted == 1
    finally:
        sweeper.stop()
        server.stop()
