"""Nothing lost, nothing doubled, under crashes and replays.

The five services run as `ptfc up` runs them (one process each, on free loopback ports) against a
NATS server and a MongoDB server of this test's own. While a batch of referrals is posted by a few
clients (each retries under the same Idempotency-Key on an error or a timeout), the test kills
(SIGKILL) and restarts NATS twice, every service once and the MongoDB server once, and delivers
every event a second time (republished by its owning service's identity under another
`Nats-Msg-Id`, as a partner replay would). Every parent's e-learning window is shrunk so that it
runs out during the faults: each cycle ends `course.incomplete`, and the court and the FCA are told.

Afterwards: one referral per case, one enrolment per parent, one outcome per parent, one delivery
row per (event, template, recipient) and one email per delivery row (an SMTP repeat after a crash
between the mail server's acceptance and the record is counted and printed, and allowed only for a
delivery that was in flight when notifications was killed), no outbox row unsent, no delivery
pending or `sending`, no dead letter, every consumer drained."""

import asyncio
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import nats
import pytest
from pymongo import AsyncMongoClient

from ptfc import buspermissions
from ptfc.dev.servers import Server, free_port, start_mongodb, start_nats
from ptfc.events import STREAMS, Envelope, owner_of
from ptfc.programme import SERVICES
from ptfc.streams import declare_all
from ptfc.testing.mailbox import Mailbox
from ptfc.testing.plugin import bearer

pytestmark = pytest.mark.timeout(420)

REFERRALS = 30  # 60 parents
CLIENTS = 3
FCA = bearer("cafcass", "fca-faults")
WINDOW = 40  # seconds of e-learning window: every parent misses it, mostly while faults happen


def referral(n: int) -> dict:
    def parent(tag: str, gender: str) -> dict:
        return {
            "given_name": f"Given{tag}{n}",
            "family_name": f"Family{tag}{n}",
            "email": f"parent{n}{tag.lower()}@faults.example",
            "phone": f"07700{n:03d}{'1' if tag == 'A' else '2'}00",
            "gender": gender,
        }

    return {
        "case_number": f"MA24P{n:05d}",
        "court": "Central Family Court",
        "court_email": f"court{n}@justice.example",
        "source": "court_order",
        "stage": "first_hearing",
        "court_declined": False,
        "safeguarding_concerns": False,
        "region": "London" if n % 2 else "Greater Manchester",
        "fca": {"name": "Sam Patel", "email": "fca@cafcass.example"},
        "parents": [parent("A", "female"), parent("B", "male")],
        "children": [{"age": 7}],
    }


class SlowMailbox(Mailbox):
    """Keeps a message, then takes its time to say so while `slow` is set: a sender killed then
    dies between the mail server's acceptance and its own record (SMTP's at-least-once case)."""

    slow = False

    async def handle_DATA(self, server, session, envelope) -> str:
        reply = await super().handle_DATA(server, session, envelope)
        if self.slow:
            await asyncio.sleep(1.5)
        return reply


class Platform:
    """NATS, MongoDB and the five services as processes this test may kill and restart."""

    def __init__(self, tmp: Path, smtp_port: int) -> None:
        self.tmp = tmp
        self.config, self.passwords = buspermissions.write_local_config(tmp / "nats-auth")
        self.nats = start_nats(tmp / "nats", config=self.config)
        self.mongo = start_mongodb(tmp / "mongodb")
        self.ports = {name: free_port() for name in SERVICES}
        self.env = {
            **os.environ,
            "PTFC_ENV": "dev",
            "NATS_URL": self.nats.url,
            "MONGODB_URI": self.mongo.url,
            "PTFC_SMTP_HOST": "127.0.0.1",
            "PTFC_SMTP_PORT": str(smtp_port),
            "PTFC_SMTP_TIMEOUT": "3",
            "PTFC_SEND_LEASE": "PT5S",
            "PTFC_SEND_BACKOFF": "PT0.5S",
            "PTFC_SEND_ATTEMPTS": "20",
            "PTFC_RELAY_INTERVAL": "PT0.1S",
            "PTFC_SWEEP_INTERVAL": "PT0.3S",
            "PTFC_REDELIVERY_BACKOFF": "PT0.5S",
            "PTFC_MAX_DELIVER": "8",
            "PTFC_ACK_WAIT": "PT10S",
            "PTFC_TRANSACTION_TIMEOUT": "PT8S",
            "PTFC_GRACEFUL_TIMEOUT": "2",
            "PTFC_LEARNING_WINDOW": f"PT{WINDOW}S",
            "PTFC_REMINDERS": '["PT15S"]',
            "PTFC_RATE_LIMITS": "{}",
            **{f"PTFC_{name.upper()}_URL": f"http://127.0.0.1:{port}" for name, port in self.ports.items()},
        }
        self.procs: dict[str, subprocess.Popen] = {}
        self.log: list[str] = []

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def nats_as(self, identity: str) -> str:
        return self.nats.url.replace("nats://", f"nats://{identity}:{self.passwords[identity]}@", 1)

    def spawn(self, name: str) -> None:
        env = {
            **self.env,
            "PTFC_PUBLIC_URL": self.url(name),
            "PTFC_NATS_USER": name,
            "PTFC_NATS_PASSWORD": self.passwords[name],
        }
        out = open(self.tmp / f"{name}.log", "ab")  # noqa: SIM115 - the child keeps it
        command = [sys.executable, "-m", "ptfc.cli", "serve", name, "--port", str(self.ports[name])]
        self.procs[name] = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)

    async def ready(self, names: list[str], timeout: float = 90) -> None:  # noqa: ASYNC109
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=1) as client:
            for name in names:
                while True:
                    assert self.procs[name].poll() is None, f"{name} exited; see {self.tmp / name}.log"
                    try:
                        if (await client.get(f"{self.url(name)}/readyz")).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    assert time.monotonic() < deadline, f"{name} not ready after {timeout}s"
                    await asyncio.sleep(0.2)

    async def start(self) -> None:
        await declare_all(self.nats.url, self.passwords[buspermissions.ADMIN])
        for name in SERVICES:
            self.spawn(name)
        await self.ready(list(SERVICES))

    async def kill_service(self, name: str) -> None:
        self.procs[name].kill()  # SIGKILL: no lifespan shutdown, no flush
        self.procs[name].wait()
        self.log.append(f"killed {name}")
        self.spawn(name)

    def kill_nats(self) -> None:
        port = int(self.nats.url.rsplit(":", 1)[1])
        self.nats.kill()
        self.log.append("killed NATS")
        time.sleep(1)
        self.nats = start_nats(self.tmp / "nats", port=port, config=self.config)

    def kill_mongodb(self) -> None:
        port = int(self.mongo.url.split(":")[2].split("/")[0])
        self.mongo.kill()
        self.log.append("killed MongoDB")
        time.sleep(1)
        self.mongo = start_mongodb(self.tmp / "mongodb", port=port)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        for server in (self.nats, self.mongo):
            Server.stop(server)


async def post_all(platform: Platform, numbers: list[int], retries: Counter) -> dict[int, dict]:
    """One client: posts its referrals one by one, each retried under its own key until answered."""
    created: dict[int, dict] = {}
    async with httpx.AsyncClient(timeout=8) as client:
        for n in numbers:
            headers = {**FCA, "Idempotency-Key": f"faults-{n}"}
            while True:
                try:
                    answer = await client.post(
                        f"{platform.url('referrals')}/referrals", json=referral(n), headers=headers
                    )
                except httpx.HTTPError:
                    retries["transport error"] += 1
                    await asyncio.sleep(0.5)
                    continue
                if answer.status_code == 201:
                    created[n] = answer.json()
                    if answer.headers.get("Idempotent-Replayed"):
                        retries["replayed answer"] += 1
                    break
                # A server that is down or cannot reach its store answers 5xx (or 429): retry.
                assert answer.status_code >= 500 or answer.status_code == 429, (n, answer.status_code, answer.text)
                retries[f"HTTP {answer.status_code}"] += 1
                await asyncio.sleep(0.5)
            await asyncio.sleep(1.0)  # spread the batch over the faults
    return created


async def faults(platform: Platform, mailbox: SlowMailbox) -> None:
    """Each fault once (NATS twice), a few seconds apart, the platform working between them."""
    await asyncio.sleep(4)
    mailbox.slow = True  # welcome letters in flight when notifications dies: accepted, not recorded
    await asyncio.sleep(2)
    await platform.kill_service("notifications")
    mailbox.slow = False
    await asyncio.sleep(1)
    await asyncio.to_thread(platform.kill_nats)
    await asyncio.sleep(3)
    await platform.kill_service("referrals")  # mid-batch: clients see errors and retry
    await platform.ready(["referrals"])
    await asyncio.sleep(2)
    await asyncio.to_thread(platform.kill_mongodb)
    await asyncio.sleep(3)
    await platform.kill_service("learning")
    await platform.ready(["learning"])
    await asyncio.sleep(2)
    await asyncio.sleep(2)
    await asyncio.to_thread(platform.kill_nats)
    await asyncio.sleep(2)
    for name in ("workshops", "plans"):
        await platform.kill_service(name)
    await platform.ready(list(SERVICES))


async def stream_events(platform: Platform) -> list[Envelope]:
    nc = await nats.connect(platform.nats_as(buspermissions.ADMIN))
    try:
        js = nc.jetstream()
        found = []
        for name, _ in STREAMS.values():
            info = await js.stream_info(name)
            if info.state.messages:
                for seq in range(info.state.first_seq, info.state.last_seq + 1):
                    found.append(Envelope.model_validate_json((await js.get_msg(name, seq)).data))
        return found
    finally:
        await nc.close()


async def replay(platform: Platform, done: set[str]) -> int:
    """Every event on the streams not replayed yet, again, by its owner under a new Nats-Msg-Id."""
    events = [e for e in await stream_events(platform) if str(e.event_id) not in done]
    for owner in {owner_of(e.type) for e in events}:
        nc = await nats.connect(platform.nats_as(owner), inbox_prefix=buspermissions.inbox_prefix(owner))
        try:
            js = nc.jetstream()
            for e in (e for e in events if owner_of(e.type) == owner):
                headers = {"Nats-Msg-Id": f"replay-{e.event_id}"}
                ack = await js.publish(e.type, e.model_dump_json().encode(), headers=headers)
                assert not ack.duplicate
                done.add(str(e.event_id))
        finally:
            await nc.close()
    return len(events)


async def drained(platform: Platform) -> bool:
    nc = await nats.connect(platform.nats_as(buspermissions.ADMIN))
    try:
        js = nc.jetstream()
        consumers = [c for name, _ in STREAMS.values() for c in await js.consumers_info(name)]
        return bool(consumers) and all(c.num_pending == 0 and c.num_ack_pending == 0 for c in consumers)
    finally:
        await nc.close()


async def unsettled(platform: Platform, db: AsyncMongoClient, parents: int) -> str:
    """What is still under way ('' once nothing is): outcomes missing, consumers behind, rows unsent."""
    outcomes = {e.data["participant_id"] for e in await stream_events(platform) if e.type.startswith("course.")}
    unsent = {s: n for s in SERVICES if (n := await db[s]["outbox"].count_documents({"sent": False}))}
    busy = await db["notifications"]["deliveries"].count_documents({"status": {"$in": ["pending", "sending"]}})
    state = []
    if len(outcomes) < parents:
        state.append(f"outcomes {len(outcomes)}/{parents}")
    if not await drained(platform):
        state.append("consumers behind")
    if unsent:
        state.append(f"outbox unsent {unsent}")
    if busy:
        state.append(f"deliveries pending or sending {busy}")
    return ", ".join(state)


async def wait_settled(platform: Platform, db: AsyncMongoClient, parents: int, timeout: float) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while state := await unsettled(platform, db, parents):
        assert time.monotonic() < deadline, f"the platform did not settle: {state}"
        await asyncio.sleep(1)
    await asyncio.sleep(2)  # a last sweep or relay round would show up now
    assert not (state := await unsettled(platform, db, parents)), state


async def test_nothing_lost_nothing_doubled_under_crashes_and_replays(tmp_path):
    started = time.monotonic()
    mailbox = SlowMailbox()
    mailbox.start()
    platform = Platform(tmp_path, mailbox.port)
    try:
        await platform.start()
        retries: Counter = Counter()
        batches = [list(range(i, REFERRALS, CLIENTS)) for i in range(CLIENTS)]
        posting = asyncio.gather(*(post_all(platform, b, retries) for b in batches))
        await faults(platform, mailbox)
        created = {n: r for part in await posting for n, r in part.items()}
        assert sorted(created) == list(range(REFERRALS))
        replayed: set[str] = set()
        early = await replay(platform, replayed)  # while deadlines are still running out

        db = AsyncMongoClient(platform.mongo.url)
        parents = 2 * REFERRALS
        await wait_settled(platform, db, parents, timeout=150)
        late = await replay(platform, replayed)  # the rest: outcomes, notifications, …
        await asyncio.sleep(3)
        await wait_settled(platform, db, parents, timeout=60)

        events = await stream_events(platform)
        copies = Counter(str(e.event_id) for e in events)
        assert set(copies.values()) == {2}, "every event is on the stream twice: once, and once replayed"
        unique = {str(e.event_id): e for e in events}.values()
        kinds = Counter(e.type for e in unique)

        # One referral per case, one enrolment and one outcome per parent.
        referral_ids = {r["id"] for r in created.values()}
        participant_ids = {p["participant_id"] for r in created.values() for p in r["participants"]}
        assert len(referral_ids) == REFERRALS and len(participant_ids) == parents
        assert await db["referrals"]["referrals"].count_documents({}) == REFERRALS
        assert await db["referrals"]["participants"].count_documents({}) == parents
        enrolments = await db["learning"]["enrolments"].find({}, {"participant_id": 1}).to_list(None)
        assert Counter(e["participant_id"] for e in enrolments) == Counter(dict.fromkeys(participant_ids, 1))
        assert kinds["referral.created"] == REFERRALS
        for kind in ("account.activation_issued", "learning.deadline_missed", "course.incomplete"):
            per_parent = Counter(e.data["participant_id"] for e in unique if e.type == kind)
            assert per_parent == Counter(dict.fromkeys(participant_ids, 1)), kind
        assert kinds["course.completed"] == 0

        # One delivery row per event, template and recipient (a unique index), none left to send.
        rows = await db["notifications"]["deliveries"].find({}).to_list(None)
        statuses = Counter(r["status"] for r in rows)
        assert set(statuses) <= {"sent", "skipped"}, statuses
        per_outcome = Counter(
            (r["participant_id"], r["recipient_role"]) for r in rows if r["source_type"] == "course.incomplete"
        )
        assert per_outcome == Counter({(p, role): 1 for p in participant_ids for role in ("court", "fca")}), (
            "the court and the FCA are each told every outcome once"
        )
        welcomes = Counter(r["participant_id"] for r in rows if r["source_type"] == "account.activation_issued")
        assert welcomes == Counter(dict.fromkeys(participant_ids, 1))

        # One email per delivery row; a repeat of the same row is SMTP's at-least-once.
        by_row: Counter = Counter()
        for _, message in mailbox.received:
            by_row[str(message["Message-ID"]).split("@")[0].rsplit(".", 1)[1]] += 1
        sent = {r["notification_id"] for r in rows if r["status"] == "sent"}
        assert set(by_row) == sent, "every email is a sent delivery row, and every sent row was emailed"
        repeats = {nid: n - 1 for nid, n in by_row.items() if n > 1}
        attempts = {r["notification_id"]: r["attempts"] for r in rows}

        dead = {s: await db[s]["dead_letters"].count_documents({}) for s in SERVICES}
        unsent = {s: await db[s]["outbox"].count_documents({"sent": False}) for s in SERVICES}
        print(f"\nfaults: {', '.join(platform.log)}")
        print(f"client retries: {dict(retries)}")
        print(f"referrals {REFERRALS}, parents {parents}, enrolments {len(enrolments)}")
        print(f"events {sum(kinds.values())} unique, {len(events)} on the streams; replayed {early} + {late}")
        print(f"events by type: {dict(sorted(kinds.items()))}")
        print(f"deliveries {len(rows)}: {dict(statuses)}; emails {len(mailbox.received)}; SMTP repeats {repeats}")
        for nid in repeats:
            print(f"  repeat {nid}: {attempts[nid]} attempts, claimed again after notifications was killed mid-send")
        print(f"outbox unsent {unsent}; dead letters {dead}; runtime {time.monotonic() - started:.0f}s")
        assert sum(dead.values()) == 0 and sum(unsent.values()) == 0
        # SMTP is at least once only across a crash of the sender between the mail server's
        # acceptance and the record: such a row was claimed again once its lease ran out (more than
        # one attempt), and there are at most as many as one sweep's batch in flight.
        unexplained = {nid: n for nid, n in repeats.items() if attempts[nid] < 2 or n > 1}
        assert not unexplained, f"emails repeated without a crash of the sender to explain them: {unexplained}"
        assert sum(repeats.values()) <= 50, repeats
        await db.close()
    finally:
        platform.stop()
        mailbox.stop()
