"""Reproduces what stalls the embedded store as data grows: SecantusDB's TTL pass (every 60 s, for
each collection with an `expireAfterSeconds` index) decodes every document of the collection under
the storage lock, expired or not, so every other statement waits for it. The platform's TTL
collections (inbox, sent outbox rows, partner events, idempotency, early arrivals) hold about 29
documents per referral, about 350,000 at a year's volume.

    uv run python bench/ttl_stall.py [10000 100000]

Prints, per size, how long one pass takes and the worst wait of a find_one by _id on another
collection during it. mongod's TTL monitor deletes through the index and does not hold the store."""

import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from pymongo import AsyncMongoClient, IndexModel

from ptfc.dev.servers import start_mongodb


async def probe(client: AsyncMongoClient, seconds: float) -> float:
    """The worst time of a find_one by _id over `seconds`."""
    worst, until = 0.0, time.monotonic() + seconds
    while time.monotonic() < until:
        started = time.monotonic()
        await client.db.other.find_one({"_id": 1})
        worst = max(worst, time.monotonic() - started)
        await asyncio.sleep(0.05)
    return worst


async def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = start_mongodb(Path(tmp) / "mongodb")
        client = AsyncMongoClient(server.url)
        try:
            inbox = client.db.inbox
            await inbox.create_indexes([IndexModel("handled_at", expireAfterSeconds=90 * 86400)])
            now = datetime.now(UTC)
            for k in range(0, n, 5000):
                await inbox.insert_many([{"_id": f"c:{i}", "handled_at": now} for i in range(k, min(n, k + 5000))])
            await client.db.other.insert_one({"_id": 1})
            idle = await probe(client, 3)
            started = time.monotonic()
            sweep = asyncio.create_task(client.admin.command("secantusAdmin.pruneTtl"))  # what the 60 s sweeper runs
            during = await probe(client, 3)
            await sweep
            print(
                f"{n} unexpired documents in one TTL collection: one TTL pass {time.monotonic() - started:.1f} s; "
                f"worst find_one by _id elsewhere {idle * 1000:.0f} ms idle, {during * 1000:.0f} ms during the pass"
            )
        finally:
            await client.close()
            server.stop()


if __name__ == "__main__":
    for size in map(int, sys.argv[1:] or ["10000", "100000"]):
        asyncio.run(main(size))
