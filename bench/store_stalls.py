"""Reproduces the embedded store's stalls between statements (issue 30, bench/README.md "Third run":
every hot statement served from an index, yet each waited 1.3-2.0 s at the same moments).

    uv run python bench/store_stalls.py [--preload 200000] [--seconds 120] [--repeat 1]
                                        [--variant NAME=ARGS ...] [--verbose]

For each variant, a fresh store as `ptfc up` starts it (`ptfc.dev.secantusd`, `--sync-on-commit`)
plus the variant's own flags (`--cache-size 2G`, `--oplog-max-entries 1000000`) or environment
(`SECANTUS_CHECKPOINT_SECONDS=0`) or size (`PRELOAD=0`): `--preload` documents of about 1 KB written with `insert_many`
(random keys and two secondary indexes, as the services' records), then `--seconds` of small
writes from 4 clients as the services send them at a steady rate (a transaction of a state change
and its outbox row, an update by `_id` of a preloaded record, a find by `_id`). A statement slower
than 200 ms is a stall; `--verbose` prints each with its time. The variants run in turn, `--repeat`
times round, and each cell is min / median / max with the load average before it.
"""

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from measure import cpu_seconds, load_average, pct, rss_mb, spread, table
from pymongo import AsyncMongoClient, IndexModel

from ptfc.dev.servers import ensure_free, free_port, wait_for_port

STALL = 0.2
CLIENTS, PAUSE = 4, 0.05  # each client: one operation, then this pause (about 60 statements/s in all)


def start_store(data: Path, args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    """The store as `ptfc.dev.servers.start_mongodb` starts it, with this variant's flags."""
    port = free_port()
    ensure_free(port)
    config = data.parent / "secantusd.toml"
    config.write_text("[storage]\nttl_sweep_seconds = 0.0\n")
    command = [sys.executable, "-m", "ptfc.dev.secantusd", "--config", str(config), "--host", "127.0.0.1"]
    command += ["--port", str(port), "--storage-path", str(data), "--log-level", "WARNING", "--sync-on-commit"]
    log = open(data.parent / "store.log", "ab")  # noqa: SIM115 - lives as long as the store
    process = subprocess.Popen(command + args, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **env})
    wait_for_port(port, 60, process)
    return process, f"mongodb://127.0.0.1:{port}/?directConnection=true"


def record(i: int) -> dict:
    return {
        "_id": str(uuid.uuid4()),
        "referral_id": uuid.uuid4().hex,
        "status": "invited",
        "due_at": datetime.now(UTC),
        "n": i,
        "body": os.urandom(400).hex(),
    }


async def preload(client: AsyncMongoClient, n: int) -> list[str]:
    db = client.bench
    await db.records.create_indexes([IndexModel("referral_id"), IndexModel([("status", 1), ("due_at", 1)])])
    ids: list[str] = []
    for k in range(0, n, 2000):
        rows = [record(i) for i in range(k, min(n, k + 2000))]
        await db.records.insert_many(rows)
        ids += [r["_id"] for r in rows]
    return ids


async def client_loop(client: AsyncMongoClient, ids: list[str], until: float, times: list[tuple[float, float, str]]):
    db = client.bench
    while time.monotonic() < until:
        kind = random.choice(("transaction", "update", "find"))
        started = time.monotonic()
        if kind == "transaction":

            async def change(session) -> None:  # retried on a write conflict, as the platform's `Tx`
                await db.state.insert_one({"at": datetime.now(UTC)}, session=session)
                await db.outbox.insert_one({"sent": False, "body": "x" * 300}, session=session)

            async with client.start_session() as session:
                await session.with_transaction(change)
        elif kind == "update":
            await db.records.update_one({"_id": random.choice(ids)}, {"$set": {"seen_at": datetime.now(UTC)}})
        else:
            await db.records.find_one({"_id": random.choice(ids)})
        times.append((started, time.monotonic() - started, kind))
        await asyncio.sleep(PAUSE)


async def one_run(name: str, flags: str, n: int, seconds: float, verbose: bool) -> dict[str, float | str]:
    args = [a for a in flags.split() if "=" not in a or a.startswith("--")]
    env = dict(a.split("=", 1) for a in flags.split() if "=" in a and not a.startswith("--"))
    n = int(env.pop("PRELOAD", n))  # this variant's own size (`PRELOAD=0`: the empty store)
    load = load_average()
    with tempfile.TemporaryDirectory() as tmp:
        process, url = start_store(Path(tmp) / "mongodb", args, env)
        client: AsyncMongoClient = AsyncMongoClient(url, tz_aware=True)
        try:
            loaded = time.monotonic()
            ids = await preload(client, n) if n else [str(uuid.uuid4())]
            loaded = time.monotonic() - loaded
            print(f"  {name}: {n} documents preloaded in {loaded:.0f} s", flush=True)
            rss_loaded = rss_mb(process.pid)
            times: list[tuple[float, float, str]] = []
            cpu, start = cpu_seconds(process.pid), time.monotonic()
            await asyncio.gather(*(client_loop(client, ids, start + seconds, times) for _ in range(CLIENTS)))
            stalls = [(t - start, d, k) for t, d, k in times if d > STALL]
            if verbose:
                for at, took, kind in stalls:
                    print(f"  {name}: {at:7.1f} s  {kind:<11} {took * 1000:6.0f} ms", flush=True)
            latencies = [d for _, d, _ in times]
            cpu = cpu_seconds(process.pid) - cpu
            return {
                "load": load,
                "documents": n,
                "preload s": loaded,
                "statements/s": len(times) / seconds,
                "p50 ms": pct(latencies, 50) * 1000,
                "p99 ms": pct(latencies, 99) * 1000,
                "max ms": max(latencies) * 1000,
                "stalls > 200 ms": len(stalls),
                "s stalled": sum(d for _, d, _ in stalls),
                "store CPU ms per statement": cpu / len(times) * 1000,
                "store MB after preload": rss_loaded,
                "store MB at end": rss_mb(process.pid),
            }
        finally:
            await client.close()
            process.terminate()
            process.wait(30)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preload", type=int, default=200_000)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--variant", action="append", help="NAME=flags and VAR=value, e.g. 'big=--cache-size 2G'")
    parser.add_argument("--verbose", action="store_true")
    opts = parser.parse_args()
    variants = dict(v.split("=", 1) for v in opts.variant or ["default="])
    results: dict[str, list[dict]] = {name: [] for name in variants}
    for round_ in range(opts.repeat):
        for name, flags in variants.items():
            result = await one_run(name, flags, opts.preload, opts.seconds, opts.verbose)
            results[name].append(result)
            print(f"round {round_ + 1} {name}: {result}", flush=True)
    figures = [k for k in next(iter(results.values()))[0] if k != "load"]
    print(f"\n{opts.preload} documents preloaded, {opts.seconds:.0f} s of writes, {CLIENTS} clients: min/median/max")
    loads = {n: ", ".join(str(r["load"]) for r in results[n]) for n in variants}
    head = ["figure", *(f"{n} `{f or 'as ptfc up'}` (load {loads[n]})" for n, f in variants.items())]
    table(head, [[f, *(spread([r[f] for r in results[n]], 1) for n in variants)] for f in figures])


if __name__ == "__main__":
    asyncio.run(main())
