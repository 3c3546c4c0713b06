"""Where a letter's time goes: referrals at a steady rate through the whole platform (started as
`journey.py` starts it, the store empty), then each hop's delay from the stores' own timestamps:

- **relay**: an event's outbox row, from when its transaction emitted it (`created_at`) to when
  the relay had published it (`sent_at`): the rest of that transaction, its commit, the relay.
- **consume**: from that publication to when a handler's transaction began (its inbox mark's
  `handled_at`): the bus, the fetch, the batch before it, an early event's wait.
- **sender**: a delivery, from when it was planned (`created_at`) to when the sender had claimed
  it (its lease's start) and to when the mail server took it (`sent_at`).

One welcome letter passes intake, `referral.created`'s relay, learning's consume and relay,
notifications' consume and its sender. Each cell is min / median / max over `--repeat` runs, with
the 1-minute load average as each run started. Read the hops against each other, within one run.

    uv run python bench/hops.py [--steady 300] [--rate 5] [--repeat 3]"""

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import journey
from aiosmtpd.controller import Controller
from measure import load_average, pct, spread, table

from notifications.config import Settings as NotificationSettings
from ptfc.programme import SERVICES

PERCENTILES = (50, 90, 99)


async def delays(mongodb, since: datetime) -> dict[str, list[float]]:
    """Each hop's delays in seconds, for what happened after `since`."""
    found: dict[str, list[float]] = {}
    published: dict[str, datetime] = {}  # event id -> when its relay had published it
    for db in SERVICES:
        async for row in mongodb[db]["outbox"].find({"created_at": {"$gte": since}, "sent": True}):
            published[row["event_id"]] = row["sent_at"]
            found.setdefault(f"relay: {db} {row['subject']}", []).append(seconds(row["sent_at"], row["created_at"]))
    for db in SERVICES:
        async for mark in mongodb[db]["inbox"].find({"handled_at": {"$gte": since}}):
            durable, event_id = mark["_id"].rsplit(":", 1)
            if event_id in published:
                found.setdefault(f"consume: {durable}", []).append(seconds(mark["handled_at"], published[event_id]))
    lease = NotificationSettings().send_lease
    query = {"created_at": {"$gte": since}, "status": "sent"}
    async for row in mongodb["notifications"]["deliveries"].find(query):
        claimed = row["due_at"] - lease  # a claim moves due_at to its lease's end; a record leaves it
        letter = f"sender: {row['template']}"
        found.setdefault(f"{letter}, planned → claimed", []).append(seconds(claimed, row["created_at"]))
        found.setdefault(f"{letter}, claimed → sent", []).append(seconds(row["sent_at"], claimed))
    return found


def seconds(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds()


async def measure(args: argparse.Namespace) -> tuple[list[dict[str, float]], list[dict[str, list[float]]], list[str]]:
    figures, hops, loads = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        servers, children, helpers, platforms = [], {}, [], []
        box = journey.Arrivals()
        smtp = Controller(box, hostname="127.0.0.1", port=box.port)
        smtp.start()
        try:
            platforms.append(platform := await journey.start(Path(tmp), box, servers, children, helpers))
            await journey.warm(platform, 0)
            for k in range(args.repeat):
                loads.append(load_average())
                run = journey.Run(f"hops{k}", [next(journey.SERIALS) for _ in range(args.steady)])
                since = datetime.now(UTC)
                within = args.steady / args.rate + 600
                figures.append(
                    await journey.phase(platform, run, lambda r=run: journey.steady(platform.url, r, args.rate), within)
                )
                await journey.settle(platform)
                hops.append(await delays(platform.mongodb, since))
                print(f"  run {k + 1} of {args.repeat} done (load {load_average()})", file=sys.stderr)
        finally:
            journey.stop_all(platforms, [children], helpers, servers)
            smtp.stop()
    return figures, hops, loads


def report(args: argparse.Namespace, figures, hops, loads) -> None:
    print(
        f"\n{args.steady} referrals at a steady {args.rate:g}/s, the store empty; each cell min / median / max of "
        f"{args.repeat} runs; load average as each run started: {'; '.join(loads)}\n"
    )
    keys = ["intake p50 s", "intake p99 s", "welcome p50 s", "welcome p95 s", "welcome p99 s", "heads-up p99 s"]
    table(["figure", "s"], [[key, spread([f[key] for f in figures], 3)] for key in keys])
    print("\neach hop's delay, ms:\n")
    names = sorted({name for run in hops for name in run})
    rows = []
    for name in names:
        runs = [run.get(name, []) for run in hops]
        cells = [spread([pct(values, p) * 1000 for values in runs if values], 0) for p in PERCENTILES]
        rows.append([name, f"{sum(map(len, runs)) / len(runs):.0f}", *cells])
    table(["hop", "per run", *(f"p{p}" for p in PERCENTILES)], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steady", type=int, default=300, help="referrals in each run")
    parser.add_argument("--rate", type=float, default=5.0, help="referrals per second")
    parser.add_argument("--repeat", type=int, default=3, help="runs")
    args = parser.parse_args()
    started = time.monotonic()
    report(args, *asyncio.run(measure(args)))
    print(f"\n({time.monotonic() - started:.0f} s in all)")


if __name__ == "__main__":
    main()
