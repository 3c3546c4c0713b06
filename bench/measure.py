"""What the benches share: the store's floor, percentiles, a process's CPU and memory, and the
min / median / max of repeated figures. The machine is shared and noisy, so every figure is taken
more than once and compared only with figures of the same run."""

import os
import statistics
import time
from pathlib import Path

from ptfc.clock import SystemClock
from ptfc.store import Store

TICK = os.sysconf("SC_CLK_TCK")


async def bare_transactions(uri: str, n: int, database: str = "bench_tx") -> float:
    """Seconds for n transactions of two inserts each (a state change and its outbox row, as the
    platform commits them) on the store with nothing else of ours running: the floor."""
    store = Store(uri, database, "bench", SystemClock())
    started = time.perf_counter()
    for i in range(n):
        async with store.client.start_session() as session, await session.start_transaction():
            await store.db.state.insert_one({"i": i}, session=session)
            await store.db.rows.insert_one({"i": i}, session=session)
    elapsed = time.perf_counter() - started
    await store.client.drop_database(database)
    await store.close()
    return elapsed


def pct(values: list[float], p: float) -> float:
    """The p-th percentile by nearest rank (NaN for none)."""
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def rss_mb(pid: int) -> float:
    """Resident memory of a process now, in MB (0 once it has gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return 0.0


def spread(values: list[float], digits: int = 2) -> str:
    """`min / median / max` of repeated measurements (one value alone as itself)."""
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return " / ".join(f"{v:.{digits}f}" for v in (min(values), statistics.median(values), max(values)))


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f} {five:.1f} {fifteen:.1f}"


def table(head: list[str], rows: list[list[object]]) -> None:
    """A Markdown table on stdout."""
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---" for _ in head) + "|")
    for row in rows:
        print("| " + " | ".join(str(c) for c in row) + " |")
