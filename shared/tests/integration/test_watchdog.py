"""`ptfc up`'s watchdog restarts an embedded store that stops taking writes, and says so."""

import asyncio
import contextlib
import signal
import subprocess
import sys
import threading
import time

from pymongo import MongoClient

from ptfc.clock import SystemClock
from ptfc.dev.servers import start_mongodb
from ptfc.dev.watchdog import StoreWatchdog
from ptfc.store import Store

HOLDER = """
import sys, time
from pymongo import MongoClient
client = MongoClient(sys.argv[1])
session = client.start_session()
session.start_transaction()
client.t.deliveries.update_one({"_id": 1}, {"$set": {"leased": True}}, session=session)
print("holding", flush=True)
time.sleep(600)
"""


def wedge(url: str) -> None:
    """The store as issue 30 found it: a sender SIGKILLed inside its transaction; the next claim (an
    `update_many`) conflicts with it and retries forever holding the collection's lock; a unit of work
    that writes there waits for the lock, and every transaction command of every client behind it."""
    MongoClient(url).t.deliveries.insert_one({"_id": 1})
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, url], stdout=subprocess.PIPE)
    assert holder.stdout is not None and holder.stdout.readline() == b"holding\n"
    holder.send_signal(signal.SIGKILL)
    holder.wait()

    def claim() -> None:
        MongoClient(url).t.deliveries.update_many({}, {"$set": {"claimed": True}})

    def unit_of_work() -> None:
        client = MongoClient(url)
        with client.start_session() as session, session.start_transaction():
            client.t.deliveries.insert_one({"_id": 2}, session=session)

    for work in (claim, unit_of_work):
        threading.Thread(target=lambda work=work: _quietly(work), daemon=True).start()
        time.sleep(0.5)


def _quietly(work) -> None:
    with contextlib.suppress(Exception):  # cut off by the restart
        work()


async def writes_within(store: Store, seconds: float) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if await store.write_answers(1.0):
            return time.monotonic() - started
        await asyncio.sleep(0.5)
    return None


async def test_a_wedged_store_is_restarted_and_takes_writes_again(tmp_path):
    server = start_mongodb(tmp_path / "mongodb")
    said: list[str] = []
    watchdog = StoreWatchdog(server, said.append, interval=0.5, deadline=1.0, failures=3)
    store = Store(server.url, "referrals", "referrals", SystemClock())
    try:
        await asyncio.to_thread(wedge, server.url)
        assert not await store.write_answers(2.0), "the store is wedged: a unit of work's write waits"
        watchdog.start()
        # Not the 60 s after which the store would abort the killed client's transaction: it never
        # gets to, as every transaction command waits. Without the watchdog nothing writes again.
        recovered = await writes_within(store, 45)
        assert recovered is not None, f"no write within 45 s; the watchdog said {said}"
        assert watchdog.restarts == 1
        assert any("restarting it on port" in line for line in said), said
        assert any("store restarted" in line for line in said), said
        found = MongoClient(server.url).t.deliveries.find_one({"_id": 1})
        assert found == {"_id": 1}, "same data: the killed transaction's write is gone, the committed row kept"
    finally:
        watchdog.stop()
        await store.close()
        server.stop()
