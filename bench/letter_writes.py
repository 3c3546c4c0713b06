"""What a letter's own writes cost the store: the sender's path on `deliveries` alone, with the
indexes notifications declares, against a delivery log of a year's sent letters.

Each round plans `--batch` letters (one `insert_many`, as a consumer's transaction writes them),
claims them (`claims.claim_due_many`: the lane reads and one guarded write) and records them sent
(`claims.record_attempts` in a transaction), as the sender does; nothing is sent. A write costs
more the more indexes its collection has (the embedded store reads its index catalogue and each
partial filter on every write), so this is the figure to read when `deliveries`' indexes change.
Each run's figure is the median over its rounds; the table gives min / median / max over runs,
with the load average as each run started. Run it at two commits, alternating, to compare.

    uv run python bench/letter_writes.py [--log 48000] [--rounds 60] [--batch 16] [--repeat 3]"""

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bson import ObjectId
from measure import load_average, spread, table

from notifications import claims
from notifications import store as notifications
from ptfc.clock import SystemClock
from ptfc.dev.servers import start_mongodb
from ptfc.store import Store

STEPS = ("plan", "claim", "record")


def letter(key: str, due_at: datetime, **state: object) -> dict[str, object]:
    """A delivery row as planning writes one, its body a welcome letter's length."""
    row = {"_id": ObjectId(), "key": key, "status": "pending", "rank": 1, "due_at": due_at, "attempts": 0}
    row |= {"correlation_id": key[:8], "participant_id": key, "recipient_role": "parent", "text": "x" * 1500}
    return row | state


async def run(log: int, rounds: int, batch: int) -> dict[str, float]:
    """One run on a new store: each step's median ms a letter over `rounds`."""
    with tempfile.TemporaryDirectory(prefix="letter-writes-") as data:  # about 200 MB a run: removed after
        return await measure(Path(data) / "store", log, rounds, batch)


async def measure(data: Path, log: int, rounds: int, batch: int) -> dict[str, float]:
    server = start_mongodb(data)
    store = Store(server.url, "notifications", "notifications", SystemClock())
    try:
        db = store.db
        await db[notifications.DELIVERIES].create_indexes(notifications.INDEXES[notifications.DELIVERIES])
        sent_long_ago = datetime.now(UTC) - timedelta(days=100)
        for start in range(0, log, 5000):
            rows = [letter(f"sent{i:08}", sent_long_ago, status="sent", attempts=1) for i in range(start, start + 5000)]
            await db[notifications.DELIVERIES].insert_many(rows[: log - start])
        taken: dict[str, list[float]] = {step: [] for step in STEPS}
        for r in range(rounds):
            now = datetime.now(UTC)
            started = time.perf_counter()
            await db[notifications.DELIVERIES].insert_many([letter(f"r{r:04}l{i:03}", now) for i in range(batch)])
            planned = time.perf_counter()
            claimed = await claims.claim_due_many(store, datetime.now(UTC), timedelta(seconds=30), batch)
            took = time.perf_counter()
            async with store.transaction() as tx:
                recorded = await claims.record_attempts(tx, [(row, {"status": "sent"}) for row in claimed])
            done = time.perf_counter()
            assert len(claimed) == batch and all(recorded), "a letter was not claimed or not recorded"
            for step, seconds in zip(STEPS, (planned - started, took - planned, done - took), strict=True):
                taken[step].append(seconds * 1000 / batch)
        return {step: statistics.median(ms[rounds // 10 :]) for step, ms in taken.items()}  # warm rounds only
    finally:
        await store.close()
        server.stop()


async def main(args: argparse.Namespace) -> None:
    runs, loads = [], []
    for _ in range(args.repeat):
        loads.append(load_average())
        runs.append(await run(args.log, args.rounds, args.batch))
    print(f"\n`deliveries`: {len(notifications.INDEXES[notifications.DELIVERIES]) + 1} indexes, {args.log} sent")
    print(f"letters stored, rounds of {args.batch}; load average as each run started: {'; '.join(loads)}\n")
    rows = [[step, spread([r[step] for r in runs])] for step in STEPS]
    table(["ms a letter", "min / median / max"], [*rows, ["all three", spread([sum(r.values()) for r in runs])]])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--log", type=int, default=48000, help="sent letters already stored (a year: ~48,000)")
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--batch", type=int, default=16, help="letters a round (the sender's send_concurrency)")
    parser.add_argument("--repeat", type=int, default=3)
    asyncio.run(main(parser.parse_args()))
