"""The hot queries, as the code sends them, each served from an index: no statement on a timed
path reads in proportion to the data a year of referrals leaves behind.

Each timed path (the sender's claim, the webhook sweep, the outbox relay, every service's sweeps)
runs against a store holding a few thousand finished records; the commands it sends are recorded
(PyMongo command monitoring) and each filter is run again through the store's `explain`. A query
fails on a collection scan, or on a blocking sort over anything but an exact index scan (a sort of
the rows the query matches, the live ones, never of the finished ones). A filter of `_id` alone
reads only those documents; one that names `_id` and other fields (a write guarded by a lease or a
status) must be served from an index too: the embedded store plans it as a collection scan."""

import importlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from bson import ObjectId
from pymongo import AsyncMongoClient, monitoring

from ptfc.clock import SystemClock
from ptfc.pagination import PageParams
from ptfc.settings import ServiceSettings
from ptfc.store import OUTBOX, PLATFORM_INDEXES, Store, Tx

FINISHED = 3000  # records that no timed query may read
READS = {"find": "filter", "findAndModify": "query", "count": "query"}


class Recorder(monitoring.CommandListener):
    def __init__(self) -> None:
        self.commands: list[dict[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.commands.append(dict(event.command))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def reads(command: dict[str, Any]) -> list[tuple[str, dict[str, Any], dict[str, Any] | None]]:
    """(collection, filter, sort and hint) of each read a command makes, an update's and a delete's too."""
    name = next(iter(command))
    if name in READS:
        order = {k: command[k] for k in ("sort", "hint") if command.get(k)}
        return [(command[name], command.get(READS[name]) or {}, order or None)]
    if name == "update":
        return [(command[name], u["q"], None) for u in command["updates"]]
    if name == "delete":
        return [(command[name], d["q"], None) for d in command["deletes"]]
    if name == "aggregate" and command["pipeline"] and "$match" in command["pipeline"][0]:
        return [(command[name], command["pipeline"][0]["$match"], None)]
    return []


def stages(plan: dict[str, Any]) -> list[dict[str, Any]]:
    found = [plan]
    while "inputStage" in plan:
        plan = plan["inputStage"]
        found.append(plan)
    return found


async def shape_faults(db: Any, collection: str, query: dict[str, Any], order: dict[str, Any] | None) -> list[str]:
    """What is wrong with this read's plan; empty when it reads only what it matches."""
    if order and "hint" in order:
        # SecantusDB walks a hinted index whole, decoding every document it holds, whatever the
        # query's range (2.5 s against 14 ms for 20,000 parents not yet due): an explain cannot show it.
        return [f"a hint ({order['hint']}): the embedded store reads every entry of the index named"]
    if set(query) == {"_id"} and (not isinstance(query["_id"], dict) or set(query["_id"]) <= {"$in", "$eq"}):
        return []  # the documents named, looked up by `_id`
    explained = await db.command(
        "explain", {"find": collection, "filter": query, **(order or {})}, verbosity="executionStats"
    )
    plan = stages(explained["queryPlanner"]["winningPlan"])
    names = [s["stage"] for s in plan]
    if "COLLSCAN" in names:
        return [f"collection scan ({explained['executionStats']['totalDocsExamined']} documents examined)"]
    scan = next(s for s in plan if s["stage"] == "IXSCAN")
    fetch = next((s for s in plan if s["stage"] == "FETCH"), {})
    indexes = await (await db[collection].list_indexes()).to_list()
    partial = next((i.get("partialFilterExpression", {}) for i in indexes if i["name"] == scan["indexName"]), {})
    loose = [f for f in residual_fields(fetch.get("filter")) if f not in partial]
    if "SORT" in names and loose:
        return [f"in-memory sort of an index scan that reads beyond the query (fields {loose} checked after)"]
    return []


def residual_fields(match: dict[str, Any] | None) -> list[str]:
    if not match:
        return []
    clauses = match.get("$and", [match])
    return sorted({field for clause in clauses for field in clause if not field.startswith("$")})


@pytest.fixture
async def store_for(make_settings):
    opened: list[tuple[Store, AsyncMongoClient]] = []

    async def open_store(service: str) -> tuple[Store, Recorder]:
        s = make_settings(ServiceSettings, service=service)
        store = Store(s.mongodb_uri, s.db_name, service, SystemClock())
        await store.ensure_indexes(importlib.import_module(f"{service}.store").INDEXES)
        recorder = Recorder()
        client: AsyncMongoClient = AsyncMongoClient(s.mongodb_uri, tz_aware=True, event_listeners=[recorder])
        own = store.client
        store.client, store.db = client, client[s.db_name]  # the store's own calls, its transactions too, recorded
        opened.append((store, own))
        return store, recorder

    yield open_store
    for store, own in opened:
        await own.close()
        await store.close()


async def fill(db: Any, collection: str, finished: Callable[[int], dict[str, Any]], live: list[dict[str, Any]]) -> None:
    await db[collection].insert_many([{"_id": ObjectId(), **finished(i)} for i in range(FINISHED)] + live)


async def check(store: Store, recorder: Recorder, path: Callable[[], Awaitable[Any]]) -> None:
    recorder.commands.clear()
    await path()
    sent = [r for command in recorder.commands for r in reads(command)]
    assert sent, "the path sent no query"
    faults = {f"{c} {q} sort={s}: {f}" for c, q, s in sent for f in await shape_faults(store.db, c, q, s)}
    assert not faults, "\n".join(sorted(faults))


NOW = datetime.now(UTC)
PAST = NOW - timedelta(days=200)


def page(after: ObjectId | None = None) -> PageParams:
    """A list's page of two, after this `_id` (as `?cursor=` makes it)."""
    return PageParams(limit=2, after=after)


async def test_the_senders_claim_reads_only_what_is_due(store_for):
    from notifications import claims
    from notifications import store as notifications

    store, recorder = await store_for("notifications")
    db = store.db
    sent = {"status": "sent", "rank": 1, "due_at": PAST, "attempts": 1}
    live = [
        {"key": f"k{i}", "status": "pending", "rank": i % 3, "due_at": NOW - timedelta(seconds=i)} for i in range(6)
    ]
    await fill(db, notifications.DELIVERIES, lambda i: {**sent, "key": i}, live)
    await check(store, recorder, lambda: claims.claim_due_many(store, NOW, timedelta(seconds=30), 8))
    hooks = {"status": "sent", "due_at": PAST, "attempts": 1}
    await fill(db, notifications.WEBHOOK_DELIVERIES, lambda i: {**hooks, "key": i}, [])
    claim = claims.claim_due(db, NOW, timedelta(seconds=30), notifications.WEBHOOK_DELIVERIES)
    await check(store, recorder, lambda: claim)


async def test_the_outbox_relay_reads_only_the_unsent_rows(store_for):
    store, recorder = await store_for("referrals")
    await fill(store.db, OUTBOX, lambda i: {"sent": True, "sent_at": PAST}, [])
    unsent = store.db[OUTBOX].find({"sent": False}).sort("_id", 1).to_list(50)  # as `Outbox.publish_pending`
    await check(store, recorder, lambda: unsent)
    assert "unsent" in {m.document["name"] for m in PLATFORM_INDEXES[OUTBOX]}


async def test_referrals_chaser_sweep(store_for):
    from referrals import store as referrals

    store, recorder = await store_for("referrals")
    # Finished parents (nothing due) and parents invited this week (due in a fortnight): read neither.
    later = NOW + timedelta(days=14)
    waiting = lambda i: {"referral_id": str(i), "provider": "p", "chaser_due_at": None if i % 2 else later}  # noqa: E731
    await fill(store.db, referrals.PARTICIPANTS, waiting, [{"referral_id": "r", "chaser_due_at": NOW}])
    await check(store, recorder, lambda: referrals.chasers_due(store.db, NOW, 500))


async def test_referrals_staff_lists_of_calls_due_and_reports(store_for):
    from referrals import store as referrals

    store, recorder = await store_for("referrals")
    tomorrow, start = NOW + timedelta(days=1), PAST - timedelta(days=400)
    parent = lambda i: {"provider": "p", "contact_due_at": tomorrow, "cycle_started_at": start}  # noqa: E731
    due = [{"_id": ObjectId(), "provider": "p", "contact_due_at": NOW - timedelta(hours=i)} for i in range(3)]
    await fill(store.db, referrals.PARTICIPANTS, parent, due)
    first = await referrals.contacts_due(store.db, "p", NOW, page())
    assert [p["_id"] for p in first] == sorted(d["_id"] for d in due)[:2]
    await check(store, recorder, lambda: referrals.contacts_due(store.db, "p", NOW, page(first[-1]["_id"])))
    await check(store, recorder, lambda: referrals.report_parents(store.db, "p", PAST, NOW))


async def test_learning_sweeps(store_for):
    from learning import store as learning

    store, recorder = await store_for("learning")
    db = store.db
    finished = {"status": "completed", "deadline": PAST, "reminder_due": None}
    await fill(db, learning.ENROLMENTS, lambda i: {**finished, "participant_id": str(i), "cycle": 1}, [])
    await fill(db, learning.ACTIVATIONS, lambda i: {"state": "used", "expires_at": PAST, "enrolment_id": str(i)}, [])
    for sweep in (learning.expired_links, learning.reminders_due, learning.deadlines_passed):
        await check(store, recorder, lambda sweep=sweep: sweep(db, NOW, 100))


async def test_workshops_sweeps(store_for):
    from workshops import store as workshops

    store, recorder = await store_for("workshops")
    db = store.db
    await fill(
        db, workshops.BOOKINGS, lambda i: {"status": "attended", "participant_id": str(i), "reminder_due": None}, []
    )
    await fill(db, workshops.SESSIONS, lambda i: {"status": "closed", "closes_at": PAST, "provider": "afc"}, [])
    await check(store, recorder, lambda: workshops.reminders_due(db, NOW, 100))
    await check(store, recorder, lambda: workshops.sessions_closing(db, NOW, 100))


async def test_a_withdrawal_skips_the_parents_queued_letters_without_reading_the_delivery_log(store_for):
    """`referral.withdrawn`, per event: the parents' pending letters, not every delivery ever planned."""
    from notifications import store as notifications

    store, recorder = await store_for("notifications")
    sent = {"status": "sent", "rank": 1, "due_at": PAST, "attempts": 1, "recipient_role": "parent"}
    live = [{"key": "w1", "participant_id": "p-w", "recipient_role": "parent", "status": "pending", "attempts": 0}]
    await fill(store.db, notifications.DELIVERIES, lambda i: {**sent, "key": i, "participant_id": f"p{i}"}, live)
    async with store.db.client.start_session() as session:
        tx = Tx(store.db, session, "notifications", SystemClock())
        await check(store, recorder, lambda: notifications.UnitOfWork(tx).withdraw_contacts("r-w", ["p-w"]))
    skipped = await store.db[notifications.DELIVERIES].find_one({"key": "w1"})
    assert skipped["status"] == "skipped"


async def test_the_allocators_reads_leave_past_sessions_and_bookings_alone(store_for):
    """Workshops' allocation sweep: the waiting list, the sessions still open to them, and who of
    their co-parents is in those sessions; never the sessions and bookings of past cohorts."""
    from workshops import store as workshops
    from workshops.config import Settings

    store, recorder = await store_for("workshops")
    db = store.db
    past = {"status": "closed", "provider": "afc", "starts_at": PAST, "closes_at": PAST, "booked": 5, "capacity": 6}
    await fill(db, workshops.SESSIONS, lambda i: past, [])
    await fill(
        db, workshops.BOOKINGS, lambda i: {"status": "attended", "participant_id": str(i), "session_id": "x"}, []
    )
    parent = {"_id": "p-wait", "provider": "afc", "co_parents": ["p-co"], "referral_id": "r-1", "language": "en"}
    parent["learning_completed_at"] = NOW
    await db[workshops.PARENTS].insert_one(parent)
    await db[workshops.WAITLIST].insert_one({"_id": "p-wait", "since": NOW, "patterns": ["daytime"]})
    soon = {"status": "scheduled", "provider": "afc", "starts_at": NOW + timedelta(days=9), "booked": 1, "capacity": 6}
    soon |= {"format": "online", "pattern": "daytime", "language": "en"}
    await db[workshops.SESSIONS].insert_one(soon)
    settings = Settings()
    await check(store, recorder, lambda: workshops.waiting(db, settings, NOW))
    sent = {c.get("find") for c in recorder.commands}
    assert {workshops.WAITLIST, workshops.PARENTS, workshops.SESSIONS, workshops.BOOKINGS} <= sent, sent


async def test_learnings_withdrawal_and_sign_in_limit_read_one_referral_and_one_parent(store_for):
    """`referral.withdrawn` (each event): the referral's open enrolments; a sign-in request (each
    one): how many links this parent got in a day. Neither reads the other parents' records."""
    from learning import store as learning
    from learning.domain import ACTIVATIONS, NOTICES, SIGN_INS

    store, recorder = await store_for("learning")
    db = store.db
    finished = {"status": "completed", "deadline": PAST, "reminder_due": None, "cycle": 1}
    live = [
        {"_id": ObjectId(), "referral_id": "r-w", "participant_id": p, "status": s, "cycle": 1}
        for p, s in (("p-w", "active"), ("p-co", "active"), ("p-old", "withdrawn"))
    ]
    await fill(db, learning.ENROLMENTS, lambda i: {**finished, "referral_id": f"r{i}", "participant_id": str(i)}, live)
    link = {"state": "used", "issued_at": PAST, "expires_at": PAST}
    await fill(db, ACTIVATIONS, lambda i: {**link, "enrolment_id": str(i)}, [])
    today = [{"_id": f"s{i}", **link, "participant_id": "p-w", "issued_at": NOW} for i in range(2)]
    await fill(db, SIGN_INS, lambda i: {**link, "participant_id": str(i)}, today)
    notice = {"issued_at": PAST, "expires_at": PAST}  # a withdrawn parent's letters instead of a link
    await fill(db, NOTICES, lambda i: {**notice, "participant_id": str(i)}, [{**notice, "participant_id": "p-old"}])
    async with db.client.start_session() as session:
        uow = learning.UnitOfWork(Tx(db, session, "learning", SystemClock()))
        await check(store, recorder, lambda: uow.open_enrolments_of("r-w", ["p-w"]))
        assert [e["participant_id"] for e in await uow.open_enrolments_of("r-w", ["p-w"])] == ["p-w"]
        assert sorted(e["participant_id"] for e in await uow.open_enrolments_of("r-w", [])) == ["p-co", "p-w"]
        day_ago = NOW - timedelta(days=1)
        await check(store, recorder, lambda: uow.links_issued_since(ACTIVATIONS, {"enrolment_id": "e-w"}, day_ago))
        await check(store, recorder, lambda: uow.links_issued_since(SIGN_INS, {"participant_id": "p-w"}, day_ago))
        assert await uow.links_issued_since(SIGN_INS, {"participant_id": "p-w"}, day_ago) == 2
        await check(store, recorder, lambda: uow.links_issued_since(NOTICES, {"participant_id": "p-old"}, day_ago))


async def test_a_sign_in_claims_one_account_without_reading_the_others(store_for):
    """Every "email me a link" request claims the parent's window for a link (`claim_sign_in`):
    it reads that one account, never the other parents' (a top-level `$or` beside `_id` was a
    collection scan of every account, ~225 ms each among 20,000). One link a window still holds."""
    from learning import store as learning

    store, recorder = await store_for("learning")
    db = store.db
    at = NOW.replace(microsecond=0)  # as the store keeps it (milliseconds)
    lately, long_ago = at - timedelta(minutes=1), at - timedelta(hours=1)
    live = [{"_id": "p-new", "sign_in_sent_at": None}, {"_id": "p-old", "sign_in_sent_at": long_ago}]
    live += [{"_id": "p-late", "sign_in_sent_at": lately}, {"_id": "p-none"}]
    await fill(db, learning.ACCOUNTS, lambda i: {"_id": f"a{i}", "sign_in_sent_at": PAST}, live)
    window = at - timedelta(minutes=15)
    async with db.client.start_session() as session:
        uow = learning.UnitOfWork(Tx(db, session, "learning", SystemClock()))
        for participant_id in ("p-new", "p-old"):
            await check(store, recorder, lambda p=participant_id: uow.claim_sign_in(p, at, window))
        claims = {p: await uow.claim_sign_in(p, at, window) for p in ("p-new", "p-old", "p-late", "p-none", "p-x")}
    assert claims == {"p-new": False, "p-old": False, "p-late": False, "p-none": True, "p-x": False}
    accounts = await db[learning.ACCOUNTS].find({"_id": {"$in": [*claims]}}).to_list()
    sent = {a["_id"]: a.get("sign_in_sent_at") for a in accounts}
    assert sent == {"p-new": at, "p-old": at, "p-late": lately, "p-none": at}


async def test_the_embedded_stores_expiry_reads_only_what_is_due(store_for, make_settings):
    """`ptfc up`'s expiry (the store's own sweeper, off, decoded every row of every TTL collection
    under its lock): each round reads the rows past their time through their TTL index, no others."""
    import asyncio

    from pymongo import MongoClient

    from ptfc.dev.expiry import expire_due

    store, recorder = await store_for("referrals")
    due = [{"_id": f"old{i}", "handled_at": NOW - timedelta(days=91)} for i in range(5)]
    await fill(store.db, "inbox", lambda i: {"handled_at": NOW - timedelta(days=1)}, due)
    uri = make_settings(ServiceSettings, service="referrals").mongodb_uri
    client: MongoClient = MongoClient(uri, tz_aware=True, event_listeners=[recorder])
    try:
        deleted: list[int] = []

        async def sweep() -> None:
            deleted.append(await asyncio.to_thread(expire_due, client, NOW, [store.db.name]))

        await check(store, recorder, sweep)
    finally:
        client.close()
    assert deleted == [5]
    assert await store.db["inbox"].count_documents({}) == FINISHED


async def test_workshops_per_booking_and_per_event_reads_leave_other_parents_alone(store_for):
    """A booking (is a co-parent in this session?), a withdrawal (the parents' live bookings) and an
    attendance (the parent's scheduled calls): each reads one session's or one parent's records."""
    from workshops import store as workshops

    store, recorder = await store_for("workshops")
    db = store.db
    done = {"status": "attended", "session_id": "s-old"}
    mine = [
        {"_id": ObjectId(), "session_id": "s-1", "participant_id": p, "status": st}
        for p, st in (("p-co", "booked"), ("p-other", "booked"), ("p-co", "cancelled"))
    ]
    await fill(db, workshops.BOOKINGS, lambda i: {**done, "participant_id": str(i)}, mine)
    calls = [{"_id": ObjectId(), "participant_id": "p-1", "status": "scheduled", "provider": "afc"}]
    await fill(db, workshops.FOLLOWUPS, lambda i: {"status": "completed", "participant_id": str(i)}, calls)
    async with db.client.start_session() as session:
        uow = workshops.UnitOfWork(Tx(db, session, "workshops", SystemClock()))
        await check(store, recorder, lambda: uow.bookings_in("s-1", ["booked", "attended"], ["p-co"]))
        assert [b["participant_id"] for b in await uow.bookings_in("s-1", ["booked"], ["p-co"])] == ["p-co"]
        await check(store, recorder, lambda: uow.bookings_of(["p-co", "p-other"], ["booked"]))
        assert len(await uow.bookings_of(["p-co", "p-other"], ["booked"])) == 2
        await check(store, recorder, lambda: uow.followups_of("p-1", "scheduled"))
        assert len(await uow.followups_of("p-1", "scheduled")) == 1


async def test_plans_co_parents_waiting_invitation_is_read_from_an_index(store_for):
    """Each co-parent's start in plans looks for the invitation waiting for them, newest first."""
    from plans import store as plans

    store, recorder = await store_for("plans")
    db = store.db
    old = {"state": "accepted", "created_at": PAST, "recipient": "x"}
    waiting = [{"_id": "inv-w", "invitee_participant_id": "p-w", "state": "pending", "created_at": NOW}]
    await fill(db, plans.INVITATIONS, lambda i: {**old, "invitee_participant_id": str(i), "invitation_id": i}, waiting)
    async with db.client.start_session() as session:
        uow = plans.UnitOfWork(Tx(db, session, "plans", SystemClock()))
        await check(store, recorder, lambda: uow.pending_invitation_for("p-w"))
        assert (await uow.pending_invitation_for("p-w"))["_id"] == "inv-w"


async def test_recording_a_letter_and_claiming_leased_ones_read_only_those_rows(store_for):
    """Every sent letter's record (its lease and status checked in the write) and every claim (each
    row still due in the write), against a delivery log of thousands: each reads the rows named."""
    from notifications import claims
    from notifications import store as notifications

    store, recorder = await store_for("notifications")
    db = store.db
    sent = {"status": "sent", "rank": 1, "due_at": PAST, "attempts": 1, "lease": None}
    live = [
        {"key": f"k{i}", "status": "pending", "rank": i % 3, "due_at": NOW - timedelta(seconds=i)} for i in range(4)
    ]
    lapsed = [{"key": "lapsed", "status": "sending", "rank": 1, "due_at": NOW - timedelta(seconds=9), "lease": "old"}]
    await fill(db, notifications.DELIVERIES, lambda i: {**sent, "key": i}, live + lapsed)
    claimed: list[dict[str, Any]] = []

    async def claim() -> None:
        claimed.extend(await claims.claim_due_many(store, NOW, timedelta(seconds=30), 8))

    await check(store, recorder, claim)
    assert len(claimed) == 5 and {r["status"] for r in claimed} == {"sending"}
    assert await db[notifications.DELIVERIES].count_documents({"status": "sending", "due_at": {"$gt": NOW}}) == 5
    assert await claims.claim_due_many(store, NOW, timedelta(seconds=30), 8) == []  # claimed once only
    async with db.client.start_session() as session:
        tx = Tx(db, session, "notifications", SystemClock())
        outcomes = [(row, {"status": "sent"}) for row in claimed]
        recorded: list[bool] = []

        async def record() -> None:
            recorded.extend(await claims.record_attempts(tx, outcomes))

        await check(store, recorder, record)
        assert recorded == [True] * 5
        stale = {**claimed[0], "lease": "someone-elses"}  # a lease lost: not recorded
        assert await claims.record_attempts(tx, [(stale, {"status": "failed"})]) == [False]
    assert await db[notifications.DELIVERIES].count_documents({"status": "sent"}) == FINISHED + 5
    hooks = {"status": "sent", "due_at": PAST, "attempts": 1, "lease": None}
    due = [{"key": "h", "status": "pending", "due_at": NOW - timedelta(seconds=1)}]
    await fill(db, notifications.WEBHOOK_DELIVERIES, lambda i: {**hooks, "key": i}, due)
    row = await claims.claim_due(db, NOW, timedelta(seconds=30), notifications.WEBHOOK_DELIVERIES)
    async with db.client.start_session() as session:
        tx = Tx(db, session, "notifications", SystemClock())
        settle = claims.record_attempts(tx, [(row, {"status": "sent"})], notifications.WEBHOOK_DELIVERIES)
        await check(store, recorder, lambda: settle)


async def test_a_parents_plan_list_reads_their_plans_in_order(store_for):
    """The hub's /plan list (plans' `plans_of`), a page at a time: one parent's plans by id, none
    they left, none of the thousands of other parents' plans read or sorted."""
    from types import SimpleNamespace

    from plans import store as plans

    store, recorder = await store_for("plans")
    db = store.db

    def party(pid: str, left_at: datetime | None = None) -> dict[str, Any]:
        return {"participant_id": pid, "party_id": f"{pid}-party", "left_at": left_at}

    others = lambda i: {"parties": [party(f"p{i}"), party(f"q{i}")], "viewers": []}  # noqa: E731
    mine = [{"_id": f"plan-{n}", "parties": [party("p-me"), party(f"co-{n}")], "viewers": []} for n in range(5)]
    mine[2]["parties"][0]["left_at"] = NOW  # they left this one
    await fill(db, plans.PLANS, others, mine)
    me = SimpleNamespace(participant_id="p-me", fca_id=None, token_hash=None)
    await check(store, recorder, lambda: plans.plans_of(db, me, None, 2))
    assert [p["_id"] for p in await plans.plans_of(db, me, None, 2)] == ["plan-0", "plan-1"]
    await check(store, recorder, lambda: plans.plans_of(db, me, "plan-1", 2))
    assert [p["_id"] for p in await plans.plans_of(db, me, "plan-1", 2)] == ["plan-3", "plan-4"]
    assert [p["_id"] for p in await plans.plans_of(db, me, "plan-3", 2)] == ["plan-4"]


async def test_workshops_lists_read_the_scopes_rows_from_an_index(store_for):
    """The hub's /workshop (a parent's sessions, by format and page), the console's sessions and
    follow-up calls (by provider or facilitator, page 2 on) and a withdrawal's parents: each read
    from an index of its scope, the filters checked as it reads on, never a scan of every record."""
    from workshops import store as workshops
    from workshops.config import Settings

    store, recorder = await store_for("workshops")
    db = store.db
    past = {"status": "closed", "provider": "afc", "starts_at": PAST, "closes_at": PAST, "booked": 5, "capacity": 6}
    past |= {"format": "online", "pattern": "daytime", "language": "en", "facilitators": ["f-old"]}
    soon = [
        {"_id": ObjectId(), **past, "status": "scheduled", "starts_at": NOW + timedelta(days=9 + i), "booked": 1}
        | {"format": ("online", "in_person")[i % 2], "facilitators": ["f-1"]}
        for i in range(6)
    ]
    await fill(db, workshops.SESSIONS, lambda i: past, soon)
    pair = [{"_id": p, "referral_id": "r-1", "given_name": p, "provider": "afc"} for p in ("p-a", "p-b")]
    await fill(db, workshops.PARENTS, lambda i: {"referral_id": f"r{i}", "given_name": "Sam", "provider": "afc"}, pair)
    call = {"participant_id": "p-a", "provider": "afc", "facilitator": "f-1"}
    calls = [{"_id": ObjectId(), **call, "status": s} for s in ("scheduled", "completed")]
    old = {"status": "completed", "provider": "afc", "facilitator": "f-old", "participant_id": "p-b"}
    await fill(db, workshops.FOLLOWUPS, lambda i: old, calls)
    parent = {"_id": "p-a", "provider": "afc", "language": "en", "co_parents": [], "learning_completed_at": NOW}
    settings = Settings()
    offered = lambda paging, fmt=None: workshops.offered_sessions(db, settings, parent, NOW, paging, fmt, None)  # noqa: E731
    await check(store, recorder, lambda: offered(page(), "online"))
    online, cursor = await offered(page(), "online")
    assert [s["_id"] for s in online] == [soon[0]["_id"], soon[2]["_id"]] and cursor == str(soon[2]["_id"])
    await check(store, recorder, lambda: offered(page(soon[2]["_id"]), "online"))
    assert [s["_id"] for s in (await offered(page(soon[2]["_id"]), "online"))[0]] == [soon[4]["_id"]]
    await check(store, recorder, lambda: offered(page(soon[1]["_id"])))
    provider, facilitator = {"provider": "afc"}, {"facilitators": "f-1", "provider": "afc"}
    asked = workshops.session_filters(NOW, None, format="in_person", pattern=None, language="en")
    for scope in (provider, facilitator):
        await check(
            store, recorder, lambda scope=scope: workshops.sessions_page(db, scope, asked, page(soon[0]["_id"]))
        )
        rows = await workshops.sessions_page(db, scope, asked, page(soon[0]["_id"]))
        assert [s["_id"] for s in rows] == [soon[1]["_id"], soon[3]["_id"]]
    for scope in (provider, {"facilitator": "f-1", "provider": "afc"}):
        await check(store, recorder, lambda scope=scope: workshops.followups_page(db, scope, page(calls[0]["_id"])))
    mine = await workshops.followups_page(db, {"facilitator": "f-1", "provider": "afc"}, page(calls[0]["_id"]))
    assert [(r["_id"], name) for r, name in mine] == [(calls[1]["_id"], "p-a")]
    async with db.client.start_session() as session:
        uow = workshops.UnitOfWork(Tx(db, session, "workshops", SystemClock()))
        await check(store, recorder, lambda: uow.parents_of("r-1", ["p-b"]))
        assert [p["_id"] for p in await uow.parents_of("r-1", ["p-b"])] == ["p-b"]


async def test_a_partner_replay_reads_the_events_it_sends(store_for):
    """`POST /webhooks/{id}/replay`: the events of the endpoint's types since then, oldest first."""
    from notifications import store as notifications

    store, recorder = await store_for("notifications")
    db = store.db
    recent = [
        {
            "_id": f"e{i}",
            "type": ("course.completed", "workshop.booked")[i % 2],
            "occurred_at": NOW - timedelta(hours=i),
        }
        for i in range(4)
    ]
    await fill(db, notifications.PARTNER_EVENTS, lambda i: {"type": "course.completed", "occurred_at": PAST}, recent)
    since = NOW - timedelta(days=1)
    async with db.client.start_session() as session:
        tx = Tx(db, session, "notifications", SystemClock())
        types = ["course.completed", "workshop.booked"]
        uow = notifications.UnitOfWork(tx)
        await check(store, recorder, lambda: uow.partner_events_since(types, since, 3))
        assert [e["_id"] for e in await uow.partner_events_since(types, since, 3)] == ["e3", "e2", "e1"]


async def test_checking_withdrawals_reads_the_marks_named(store_for):
    """Every `referral.created` batch in workshops and learning asks whether its parents were
    withdrawn: the marks of those parents, of the thousands every referral ever left behind."""
    from ptfc import withdrawals

    store, recorder = await store_for("workshops")
    db = store.db
    await fill(db, withdrawals.WITHDRAWALS, lambda i: {"_id": f"r{i}:*", "checked": True}, [])
    async with db.client.start_session() as session:
        tx = Tx(db, session, "workshops", SystemClock())
        await withdrawals.record(tx, "r-w", ["p-w"], NOW)
        await check(store, recorder, lambda: withdrawals.check(tx, [("r-w", "p-w"), ("r-w", "p-co"), ("r-1", "p-1")]))
        assert [await withdrawals.withdrawn(tx, r, p) for r, p in (("r-w", "p-w"), ("r-w", "p-co"))] == [True, False]


async def test_staff_lists_of_referrals_and_webhook_posts_read_from_an_index(store_for):
    """An FCA's, a provider's or a court's referrals (by case or status, page 2 on), and a partner's
    webhook POSTs (page 2 on): each from the index of its scope, not a scan of every referral."""
    from notifications import store as notifications
    from referrals import store as referrals

    store, recorder = await store_for("referrals")
    db = store.db
    referral = {"provider": "afc", "court_key": "x"}
    mine = [
        {"_id": ObjectId(), **referral, "fca_id": "fca-me", "case_number": c, "status": s}
        for c, s in (("MA24P00001", "active"), ("MA24P00002", "active"), ("MA24P00002", "withdrawn"))
    ]
    others = lambda i: {**referral, "fca_id": f"fca{i}", "case_number": f"ZZ{i}", "status": "done"}  # noqa: E731
    await fill(db, referrals.REFERRALS, others, mine)

    fca = {"fca_id": "fca-me"}
    for asked in ({"status": "active", "case_number": None, "provider": None}, {"case_number": "MA24P00002"}):
        await check(store, recorder, lambda asked=asked: referrals.referrals_page(db, fca, asked, page(mine[0]["_id"])))
    active = await referrals.referrals_page(db, fca, {"status": "active"}, page())
    assert [r["_id"] for r in active] == [mine[0]["_id"], mine[1]["_id"]]
    case = await referrals.referrals_page(db, fca, {"case_number": "MA24P00002"}, page(mine[1]["_id"]))
    assert [r["_id"] for r in case] == [mine[2]["_id"]]
    assert await referrals.referrals_page(db, {"provider": "afc"}, {"provider": "fa"}, page()) == []

    store, recorder = await store_for("notifications")
    db = store.db
    endpoint = ObjectId()
    posts = [{"_id": ObjectId(), "endpoint_id": endpoint, "status": "sent", "key": f"w{n}"} for n in range(3)]
    hooks = lambda i: {"endpoint_id": ObjectId(), "status": "sent", "key": i}  # noqa: E731
    await fill(db, notifications.WEBHOOK_DELIVERIES, hooks, posts)
    await check(
        store, recorder, lambda: notifications.webhook_deliveries_page(db, endpoint, None, page(posts[0]["_id"]))
    )
    second = await notifications.webhook_deliveries_page(db, endpoint, None, page(posts[0]["_id"]))
    assert [r["_id"] for r in second] == [posts[1]["_id"], posts[2]["_id"]]


async def test_an_fcas_delivery_log_of_a_referral_reads_that_referrals_letters(store_for):
    """`GET /notifications?correlation_id=`, page 2: the referral's letters the FCA may see."""
    from notifications import store as notifications

    store, recorder = await store_for("notifications")
    db = store.db
    letters = [
        {"_id": ObjectId(), "key": f"l{n}", "correlation_id": "r-1", "fca_id": fca, "status": "sent"}
        for n, fca in enumerate(["fca-me", "fca-other", "fca-me", "fca-me"])
    ]
    sent = lambda i: {"key": i, "correlation_id": f"r{i}", "fca_id": "fca-me", "status": "sent"}  # noqa: E731
    await fill(db, notifications.DELIVERIES, sent, letters)
    mine = {"correlation_id": "r-1", "fca_id": "fca-me"}
    await check(store, recorder, lambda: notifications.deliveries_page(db, mine, page(letters[0]["_id"])))
    second = await notifications.deliveries_page(db, mine, page(letters[0]["_id"]))
    assert [r["_id"] for r in second] == [letters[2]["_id"], letters[3]["_id"]]
