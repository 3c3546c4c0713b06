"""Reproduces the embedded store's TTL freeze (issue 30) and measures the fix; not a test (it runs
minutes): `uv run python shared/tests/integration/store_sweep_latency.py [--docs 40000] [--seconds 75]`.

Two runs on a fresh SecantusDB each: a TTL collection shaped as an inbox (`handled_at`, expiring
after 90 days) holding `--docs` rows, a few hundred of them past their time; then one writer inserts
small documents back to back for `--seconds` while (a) the store's own sweeper runs every 60 s, as
`secantusd-py` does by default, (b) the store's sweeper is off (`start_mongodb`'s default) and
`ptfc.dev.expiry` runs every 15 s. Prints each run's write latency (p50, p99, max, writes over
1 s) and what the sweeps deleted."""

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pymongo import MongoClient

from ptfc.dev.expiry import ExpirySweeper
from ptfc.dev.servers import start_mongodb

EXPIRED = 300


def fill(client: MongoClient, docs: int) -> None:
    inbox = client["bench"]["inbox"]
    inbox.create_index("handled_at", expireAfterSeconds=90 * 24 * 3600)
    now = datetime.now(UTC)
    for start in range(0, docs, 2000):
        batch = [
            {"_id": f"consumer:{i:08d}", "handled_at": now - timedelta(days=100 if i < EXPIRED else 1), "n": i}
            for i in range(start, min(start + 2000, docs))
        ]
        inbox.insert_many(batch)


def run(label: str, docs: int, seconds: float, store_sweep: float, own_sweep: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = start_mongodb(Path(tmp) / "mongodb", ttl_sweep_seconds=store_sweep)
        started = time.monotonic()
        client: MongoClient = MongoClient(server.url, tz_aware=True)
        sweeper = ExpirySweeper(server.url, print, interval=15).start() if own_sweep else None
        try:
            fill(client, docs)
            filled = time.monotonic() - started
            writes = client["bench"]["writes"]
            latencies: list[tuple[float, float]] = []
            end = time.monotonic() + seconds
            while (t := time.monotonic()) < end:
                writes.insert_one({"at": datetime.now(UTC)})
                latencies.append((t - started, time.monotonic() - t))
            left = client["bench"]["inbox"].count_documents({})
        finally:
            if sweeper:
                sweeper.stop()
            client.close()
            server.stop()
    took = sorted(d for _, d in latencies)
    worst_at, worst = max(latencies, key=lambda x: x[1])
    print(
        f"{label}: {docs} rows (filled in {filled:.0f}s), {len(took)} writes over {seconds:g}s: "
        f"p50 {statistics.median(took) * 1000:.1f} ms, p99 {took[int(len(took) * 0.99)] * 1000:.1f} ms, "
        f"max {worst:.2f} s at {worst_at:.0f}s after start, {sum(d > 1 for d in took)} writes over 1 s; "
        f"inbox rows left {left} ({docs - left} expired of {EXPIRED})"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=40_000)
    parser.add_argument("--seconds", type=float, default=75)
    args = parser.parse_args()
    runs = [("store sweeper every 60 s (secantusd default)", 60.0, False)]
    runs += [("store sweeper off, ptfc.dev.expiry every 15 s", 0.0, True)]
    for label, store_sweep, own in runs:  # one after the other: the machine's cores are shared
        run(label, args.docs, args.seconds, store_sweep, own)


if __name__ == "__main__":
    main()
