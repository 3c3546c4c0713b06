"""The two store faults that lost or held letters in issue 30, played on real processes.

- A parent's `account.activation_issued` reaches notifications before its `referral.created`, is
  redelivered as early several times, and then meets a store outage: the welcome letter still goes
  out, and nothing is parked (early deliveries no longer spend the failures' budget).
- Notifications is SIGKILLed while it records letters it has sent (its transaction open in the store):
  the next claim conflicts with the dead transaction, and the embedded store would hold every unit
  of work of every service. The store watchdog (as `ptfc up` runs it) restarts it: `POST /referrals`
  answers within seconds again, and every letter goes out (again, for those being recorded).

Each bounds its waits and stops by itself."""

import asyncio
import time
from collections.abc import Awaitable, Callable

import httpx
import nats
import pytest
from pymongo import AsyncMongoClient
from test_crashes_and_replays import FCA, Platform, SlowMailbox, drained, referral

from ptfc import buspermissions
from ptfc.dev.servers import start_mongodb
from ptfc.dev.watchdog import StoreWatchdog
from ptfc.events import Envelope, EventData, owner_of
from ptfc.sealing import seal
from ptfc.settings import DEV_LINK_SEAL_KEY
from ptfc.streams import declare_all
from ptfc.testing.events import event, participant, referral_created
from ptfc.testing.mailbox import Mailbox

pytestmark = pytest.mark.timeout(360)

OUTAGE = 15  # seconds the store is away (the lost letter met one of 20 s)


async def until(what: Callable[[], Awaitable[object]], seconds: float, saying: str) -> object:
    deadline = time.monotonic() + seconds
    while True:
        try:
            async with asyncio.timeout(10):  # a look at a wedged store may hang itself
                if found := await what():
                    return found
        except TimeoutError:
            pass
        assert time.monotonic() < deadline, f"not within {seconds}s: {saying}"
        await asyncio.sleep(0.5)


async def publish_as_owner(platform: Platform, data: EventData, correlation_id: str) -> None:
    owner = owner_of(data.TYPE)
    envelope = Envelope.of(data, correlation_id=correlation_id, producer=owner)
    nc = await nats.connect(platform.nats_as(owner), inbox_prefix=buspermissions.inbox_prefix(owner))
    try:
        headers = {"Nats-Msg-Id": str(envelope.event_id)}
        await nc.jetstream().publish(envelope.type, envelope.model_dump_json().encode(), headers=headers)
    finally:
        await nc.close()


async def test_an_early_welcome_that_meets_a_store_outage_still_goes_out(tmp_path):
    mailbox = Mailbox()
    mailbox.start()
    platform = Platform(tmp_path, mailbox.port)
    platform.env["PTFC_MAX_DELIVER"] = "5"  # as deployed: the budget the lost letter's early deliveries spent
    db = AsyncMongoClient(platform.mongo.url)
    try:
        await declare_all(platform.nats.url, platform.passwords[buspermissions.ADMIN])
        platform.spawn("notifications")
        await platform.ready(["notifications"])
        parent = participant("p-early", email="early.parent@faults.example")
        link = seal(DEV_LINK_SEAL_KEY, "http://127.0.0.1:8000/activate?token=early")  # as learning seals it
        issued = event("account.activation_issued", "r-early", "p-early", sealed_activation_url=link)
        await publish_as_owner(platform, issued, "r-early")

        async def early_times() -> int:
            doc = await db["notifications"]["early_arrivals"].find_one({}, sort=[("times", -1)])
            return doc["times"] if doc and doc["times"] >= 6 else 0

        early = await until(early_times, 60, "the welcome's event redelivered as early six times")
        platform.mongo.kill()  # the store goes away, as a killed process's transaction made it in the issue
        await publish_as_owner(platform, referral_created("r-early", parent), "r-early")
        await asyncio.sleep(OUTAGE)
        platform.mongo.process = platform.mongo.start_again()

        def welcomed() -> bool:
            return any(parent.email in to for to, _ in mailbox.received)

        await until(lambda: asyncio.sleep(0, welcomed()), 90, "the welcome letter sent after the outage")
        parked = await db["notifications"]["dead_letters"].count_documents({})
        print(f"\nearly {early} times, then a {OUTAGE}s store outage; letters {len(mailbox.received)}; parked {parked}")
        assert parked == 0, "nothing parked: early deliveries did not spend the failures' budget"
    finally:
        await db.close()
        platform.stop()
        mailbox.stop()


def spawn_notifications(platform: Platform) -> None:
    """Notifications names itself to the store, so a failpoint can catch its commit alone."""
    uri = platform.env["MONGODB_URI"]
    platform.env["MONGODB_URI"] = f"{uri}&appName=notifications"
    try:
        platform.spawn("notifications")
    finally:
        platform.env["MONGODB_URI"] = uri


async def post_answered_within(platform: Platform, n: int, seconds: float) -> float:
    """How long until a `POST /referrals` answers 201 within `seconds` of being sent."""
    started = time.monotonic()
    async with httpx.AsyncClient(timeout=seconds) as client:
        while True:
            assert time.monotonic() - started < 90, "writes never worked again"
            try:
                sent = time.monotonic()
                headers = {**FCA, "Idempotency-Key": f"after-{n}-{sent}"}
                answer = await client.post(f"{platform.url('referrals')}/referrals", json=referral(n), headers=headers)
                if answer.status_code == 201 and time.monotonic() - sent < seconds:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            await asyncio.sleep(1)


async def test_notifications_killed_while_recording_letters_leaves_a_store_that_takes_writes(tmp_path):
    mailbox = SlowMailbox()  # each letter takes 1.5 s to be accepted: rounds are under way when armed
    mailbox.start()
    platform = Platform(tmp_path, mailbox.port)
    platform.mongo.stop()  # this test's store takes failpoints
    platform.mongo = start_mongodb(tmp_path / "mongodb-fp", failpoints=True)
    platform.env["MONGODB_URI"] = platform.mongo.url
    platform.env["PTFC_SEND_CONCURRENCY"] = "2"  # many short rounds, each recorded in one transaction
    said: list[str] = []
    watchdog = StoreWatchdog(platform.mongo, said.append, interval=1.0, deadline=2.0, failures=3)
    db = AsyncMongoClient(platform.mongo.url)
    try:
        await declare_all(platform.nats.url, platform.passwords[buspermissions.ADMIN])
        for name in ("referrals", "learning"):
            platform.spawn(name)
        spawn_notifications(platform)
        await platform.ready(["referrals", "learning", "notifications"])
        watchdog.start()
        mailbox.slow = True
        async with httpx.AsyncClient(timeout=10) as client:
            for n in range(6):
                headers = {**FCA, "Idempotency-Key": f"before-{n}"}
                answer = await client.post(f"{platform.url('referrals')}/referrals", json=referral(n), headers=headers)
                assert answer.status_code == 201, answer.text
        await until(lambda: drained(platform), 60, "every event handled, letters planned")
        # Notifications' next commit (the record of a round it has sent) waits in the store; then
        # notifications dies, its transaction open, holding the rows it was recording.
        fail_point = {"failCommands": ["commitTransaction"], "appName": "notifications"}
        fail_point |= {"blockConnection": True, "blockTimeMS": 20000, "errorCode": 8}
        await db.admin.command({"configureFailPoint": "failCommand", "mode": {"times": 1}, "data": fail_point})
        # The round under way records within its letters' acceptance (1.5 s) and the settle window (0.5 s);
        # its commit then waits 20 s, and notifications' own deadline for it is 8 s.
        await asyncio.sleep(4)
        platform.procs["notifications"].kill()
        platform.procs["notifications"].wait()
        emailed = {str(m["Message-ID"]).split("@")[0].rsplit(".", 1)[1] for _, m in mailbox.received}
        sending = await db["notifications"]["deliveries"].find({"status": "sending"}).to_list(None)
        in_record = [r for r in sending if r["notification_id"] in emailed]
        assert in_record, "killed while recording letters it had sent"
        mailbox.slow = False

        spawn_notifications(platform)  # its claim, once their lease is out, meets the dead transaction
        await asyncio.sleep(8)
        recovered = await post_answered_within(platform, 100, 10)

        async def all_out() -> bool:
            open_ = await db["notifications"]["deliveries"].count_documents({"status": {"$in": ["pending", "sending"]}})
            return open_ == 0 and await drained(platform)

        await until(all_out, 120, "every letter sent")
        rows = await db["notifications"]["deliveries"].find({}).to_list(None)
        emailed = {str(m["Message-ID"]).split("@")[0].rsplit(".", 1)[1] for _, m in mailbox.received}
        sent = {r["notification_id"] for r in rows if r["status"] == "sent"}
        print(f"\nkilled recording {len(in_record)} sent letters; POST /referrals answered after {recovered:.0f}s")
        print(f"deliveries {len(rows)}, sent {len(sent)}, emails {len(mailbox.received)}; watchdog: {said}")
        assert {r["status"] for r in rows} <= {"sent", "skipped"}
        assert sent <= emailed, "every letter went out (a repeat allowed, none lost)"
    finally:
        watchdog.stop()
        await db.close()
        platform.stop()
        mailbox.stop()
