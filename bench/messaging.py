"""Events per second through outbox → JetStream → idempotent consumer, beside the floors
measured in the same run: bare JetStream publish+consume and bare store writes.

    uv run python bench/messaging.py [--events 2000]

SecantusDB is much slower than mongod, so read the ratios, not the absolute numbers."""

import argparse
import asyncio
import logging
import tempfile
import time
from pathlib import Path

import nats
from fastapi import APIRouter
from measure import bare_transactions
from nats.js.api import ConsumerConfig

from ptfc.clock import SystemClock
from ptfc.dev.servers import start_mongodb, start_nats
from ptfc.events import ReferralWithdrawn
from ptfc.handlers import Handlers, Meta
from ptfc.service import build_app
from ptfc.settings import ServiceSettings
from ptfc.store import Store, Tx
from ptfc.testing.plugin import reset_streams, running


async def bare_jetstream(nats_url: str, n: int) -> float:
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    body = ReferralWithdrawn(referral_id="r", participant_ids=["p"]).model_dump_json().encode()
    started = time.perf_counter()
    for i in range(n):
        await js.publish("referral.withdrawn", body, headers={"Nats-Msg-Id": f"bare-{i}"})
    sub = await js.pull_subscribe("referral.withdrawn", durable="bench-bare", config=ConsumerConfig())
    got = 0
    while got < n:
        for msg in await sub.fetch(min(256, n - got), timeout=5):
            await msg.ack()
            got += 1
    elapsed = time.perf_counter() - started
    await nc.close()
    return elapsed


async def bare_store(uri: str, n: int) -> float:
    store = Store(uri, "bench_bare", "bench", SystemClock())
    started = time.perf_counter()
    for i in range(n):
        await store.db.effects.insert_one({"i": i})
    elapsed = time.perf_counter() - started
    await store.close()
    return elapsed


async def platform(settings: ServiceSettings, n: int) -> tuple[float, float]:
    """Returns (seconds to commit n state changes with their events, seconds until all n consumed)."""
    handlers = Handlers()
    handled = asyncio.Event()
    count = 0

    @handlers.on
    async def count_withdrawal(event: ReferralWithdrawn, meta: Meta, tx: Tx) -> None:
        nonlocal count
        await tx.db.effects.insert_one({"_id": str(meta.event_id)}, session=tx.session)
        count += 1
        if count == n:
            handled.set()

    app = build_app(settings, title="bench", router=APIRouter(), handlers=handlers, indexes={})
    async with running(app):
        store = app.state.rt.store
        started = time.perf_counter()
        for i in range(n):
            async with store.transaction() as tx:
                await tx.db.state.insert_one({"i": i}, session=tx.session)
                await tx.emit(ReferralWithdrawn(referral_id=f"r{i}", participant_ids=["p"]), f"r{i}")
        committed = time.perf_counter() - started
        await asyncio.wait_for(handled.wait(), timeout=600)
        return committed, time.perf_counter() - started


async def main(n: int) -> None:
    logging.disable(logging.INFO)  # a log line per message would drown the table
    with tempfile.TemporaryDirectory() as tmp:
        nats_server = start_nats(Path(tmp) / "nats")
        mongo = start_mongodb(Path(tmp) / "mongodb")
        try:
            await reset_streams(nats_server.url)
            js_s = await bare_jetstream(nats_server.url, n)
            store_s = await bare_store(mongo.url, n)
            tx_s = await bare_transactions(mongo.url, n)
            await reset_streams(nats_server.url)
            # The platform's own settings (the relay's gather and interval included), as a service runs.
            settings = ServiceSettings(
                env="dev",  # the public development keys, on a NATS server without authentication
                service="referrals",
                nats_url=nats_server.url,
                mongodb_uri=mongo.url,
                database="bench_platform",
            )
            commit_s, total_s = await platform(settings, n)
        finally:
            nats_server.stop()
            mongo.stop()
    rows = [
        ("bare JetStream publish (await ack) + pull consume", js_s),
        ("bare store writes (insert_one, one connection)", store_s),
        ("bare store transactions (2 inserts each)", tx_s),
        ("platform: transactions with outbox row (commit only)", commit_s),
        ("platform: outbox → JetStream → idempotent consumer", total_s),
    ]
    floor = max(js_s, store_s)
    print(f"\n{n} events, one process, embedded NATS {nats_server.url.rsplit(':', 1)[0]} and SecantusDB\n")
    print(f"| {'path':<54} | {'seconds':>8} | {'events/s':>9} | {'vs slower floor':>15} |")
    print(f"|{'-' * 56}|{'-' * 10}|{'-' * 11}|{'-' * 17}|")
    for name, seconds in rows:
        print(f"| {name:<54} | {seconds:>8.2f} | {n / seconds:>9.0f} | {floor / seconds:>14.2f}x |")
    print(
        "\nEach state change is its own transaction (two inserts and a commit, as in the bare row), so the"
        "\nplatform cannot beat 'bare store transactions'. The relay (a read, a publish round and a mark per"
        "\nwake-up, gathering 20 ms of commits) and the consumer (the events of a fetch in one transaction)"
        "\nshare the one database server with it, so the platform rows pay for all three."
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=2000)
    asyncio.run(main(parser.parse_args().events))
