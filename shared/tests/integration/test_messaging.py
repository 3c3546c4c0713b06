"""The reliable-messaging runtime against real NATS JetStream and the MongoDB server."""

from datetime import timedelta
from typing import Any

import nats
from fastapi import APIRouter
from nats.js.api import ConsumerConfig
from pymongo import InsertOne

from ptfc.events import Envelope, NotYetKnown, ReferralReordered, ReferralWithdrawn
from ptfc.handlers import Handlers, Meta
from ptfc.service import build_app
from ptfc.settings import ServiceSettings
from ptfc.store import Store, StoreUnavailable, Tx
from ptfc.streams import ensure_streams
from ptfc.testing.events import publish_bytes
from ptfc.testing.plugin import bearer, eventually, running


class Probe:
    """A test service owning the REFERRALS stream, which counts what its handler did."""

    def __init__(self) -> None:
        self.failing = False
        self.failing_for: set[str] = set()  # correlation ids whose events always fail
        self.early: dict[str, int] = {}  # correlation id -> deliveries that find what it follows missing
        self.unstorable: set[str] = set()  # correlation ids whose effect the store cannot take (at the end of the work)
        self.outage: dict[str, int] = {}  # correlation id -> deliveries, once no longer early, that find the store away
        self.runs = 0
        self.handlers = Handlers()

        @self.handlers.on
        async def count_withdrawal(event: ReferralWithdrawn, meta: Meta, tx: Tx) -> None:
            self.runs += 1
            if self.early.get(meta.correlation_id, 0) > 0:
                self.early[meta.correlation_id] -= 1
                raise NotYetKnown(f"{meta.correlation_id} not known yet")
            if self.outage.get(meta.correlation_id, 0) > 0:
                self.outage[meta.correlation_id] -= 1
                raise StoreUnavailable("no transaction could complete within 20s")
            if self.failing or meta.correlation_id in self.failing_for:
                raise RuntimeError("downstream is broken")
            if meta.correlation_id in self.unstorable:  # fails only when the batch's writes go, after every handler
                tx.later("effects", InsertOne({"_id": f"{meta.correlation_id}-bad", "value": object()}))
            await tx.db.effects.update_one(
                {"_id": meta.correlation_id}, {"$inc": {"n": 1}}, upsert=True, session=tx.session
            )

    def app(self, settings: ServiceSettings):
        return build_app(settings, title="probe", router=APIRouter(), handlers=self.handlers, indexes={})


def settings(make_settings) -> ServiceSettings:
    return make_settings(ServiceSettings, service="referrals")


def withdrawn(referral: str) -> ReferralWithdrawn:
    return ReferralWithdrawn(referral_id=referral, participant_ids=["p1"])


async def effects(store: Store, referral: str) -> int:
    doc = await store.db.effects.find_one({"_id": referral})
    return doc["n"] if doc else 0


async def publish_raw(nats_url: str, envelope: Envelope, msg_id: str) -> bool:
    return await publish_bytes(nats_url, envelope.type, envelope.model_dump_json().encode(), msg_id)


async def queue(nats_url: str, referrals: list[str]) -> None:
    """A withdrawal for each referral, published as referrals would (message id = event id)."""
    for referral in referrals:
        envelope = Envelope.of(withdrawn(referral), correlation_id=referral, producer="referrals")
        await publish_raw(nats_url, envelope, str(envelope.event_id))


async def parked(client) -> list[dict]:
    return (await client.get("/ops/dead-letters", headers=bearer("ops", "ops-1"))).json()["items"]


async def test_event_written_while_relay_is_down_is_published_once_after_restart(make_settings, tap):
    s = settings(make_settings)
    probe = Probe()
    store = Store(s.mongodb_uri, s.db_name, s.service, probe_clock())
    async with store.transaction() as tx:  # the service is down: only the store is there
        await tx.emit(withdrawn("r-down"), correlation_id="r-down")
    await store.close()
    assert await tap.of("referral.withdrawn") == []

    async with running(probe.app(s)):
        await tap.wait_for("referral.withdrawn")
    async with running(probe.app(s)) as _:  # a second start republishes nothing
        await eventually(lambda: effects_of(s, "r-down"))
    events = await tap.of("referral.withdrawn")
    assert len(events) == 1 and events[0].correlation_id == "r-down"
    assert await effects_of(s, "r-down") == 1


async def test_same_event_delivered_twice_has_one_effect(make_settings, infra, tap):
    s = settings(make_settings)
    probe = Probe()
    envelope = Envelope.of(withdrawn("r-twice"), correlation_id="r-twice", producer="referrals")
    async with running(probe.app(s)):
        # Two publishes that JetStream cannot dedupe (different msg ids), one event id.
        await publish_raw(infra.nats_url, envelope, "first")
        await publish_raw(infra.nats_url, envelope, "second")
        assert len(await tap.wait_for("referral.withdrawn", count=2)) == 2
        await eventually(lambda: effects_of(s, "r-twice"))
        store = Store(s.mongodb_uri, s.db_name, "t", probe_clock())
        await eventually(lambda: store.db.inbox.count_documents({}))
        # give the second delivery time to be handled (and ignored)
        await eventually(lambda: handled_twice(s))
        assert await effects(store, "r-twice") == 1
        await store.close()


async def test_double_publish_with_same_event_id_is_stored_once(infra, tap):
    envelope = Envelope.of(withdrawn("r-dup"), correlation_id="r-dup", producer="referrals")
    assert await publish_raw(infra.nats_url, envelope, str(envelope.event_id)) is False
    assert await publish_raw(infra.nats_url, envelope, str(envelope.event_id)) is True
    assert len(await tap.of("referral.withdrawn")) == 1


async def one_bad_in_one_fetch(make_settings, infra, probe: Probe, referrals: list[str]) -> tuple[Any, dict, Store]:
    """`referrals` queued before the service starts, so they arrive in one fetch: the one `probe`
    spoils is parked. Returns the settings, the parked letter and a store to look at (to close)."""
    s = settings(make_settings)
    await queue(infra.nats_url, referrals)
    async with running(probe.app(s)) as client:
        [letter] = await eventually(lambda: parked(client), timeout=15)
    return s, letter, Store(s.mongodb_uri, s.db_name, "t", probe_clock())


async def test_events_fetched_together_are_each_applied_once_and_a_failing_one_is_parked_alone(make_settings, infra):
    probe = Probe()
    probe.failing_for = {"r-batch-3"}
    referrals = [f"r-batch-{i}" for i in range(12)]
    s, letter, store = await one_bad_in_one_fetch(make_settings, infra, probe, referrals)
    assert "downstream is broken" in letter["error"] and letter["attempts"] == s.max_deliver
    # The others were applied once each: the attempt the failing event spoiled was rolled back.
    assert {r: await effects(store, r) for r in referrals} == {r: int(r != "r-batch-3") for r in referrals}
    assert await store.db.inbox.count_documents({}) == len(referrals) - 1
    await store.close()


async def test_a_write_that_fails_at_the_end_of_a_batch_parks_only_its_own_event(make_settings, infra):
    probe = Probe()
    probe.unstorable = {"r-end-2"}
    referrals = [f"r-end-{i}" for i in range(6)]
    _, letter, store = await one_bad_in_one_fetch(make_settings, infra, probe, referrals)
    assert letter["correlation_id"] == "r-end-2" and "InvalidDocument" in letter["error"]
    assert {r: await effects(store, r) for r in referrals} == {r: int(r != "r-end-2") for r in referrals}
    await store.close()


async def test_an_event_handled_before_that_comes_again_among_new_ones_changes_nothing(make_settings, infra):
    s = settings(make_settings)
    probe = Probe()
    old = Envelope.of(withdrawn("r-again"), correlation_id="r-again", producer="referrals")
    await publish_raw(infra.nats_url, old, "first copy")
    async with running(probe.app(s)):
        await eventually(lambda: effects_of(s, "r-again"))
    # Down, then the old event again (JetStream cannot tell: another message id) among new ones,
    # all in one fetch: the batch's inbox marks collide, and it goes one event at a time.
    referrals = [f"r-new-{i}" for i in range(5)]
    await publish_raw(infra.nats_url, old, "second copy")
    await queue(infra.nats_url, referrals)
    duplicates = duplicate_count()
    async with running(probe.app(s)):
        for referral in referrals:
            await eventually(lambda referral=referral: effects_of(s, referral))
        store = Store(s.mongodb_uri, s.db_name, "t", probe_clock())
        await eventually(lambda: handled_since(duplicates))  # the old one was seen, and ignored
        every = ["r-again", *referrals]
        assert {r: await effects(store, r) for r in every} == dict.fromkeys(every, 1)
        await store.close()


async def test_an_event_that_comes_before_what_it_follows_is_retried_soon_and_patiently(make_settings, tap):
    # Twice the failures' attempts: a failing event would be parked after max_deliver (3).
    s = settings(make_settings)
    probe = Probe()
    probe.early = {"r-early": 2 * s.max_deliver - 2, "r-never": 100}
    async with running(probe.app(s)) as client:
        store = Store(s.mongodb_uri, s.db_name, s.service, probe_clock())
        for referral in probe.early:
            async with store.transaction() as tx:
                await tx.emit(withdrawn(referral), correlation_id=referral)
        assert await eventually(lambda: effects(store, "r-early"), timeout=15) == 1

        [letter] = await eventually(lambda: parked(client), timeout=15)
        assert letter["attempts"] == 2 * s.max_deliver and "r-never not known yet" in letter["error"]
        assert await effects(store, "r-never") == 0
        await store.close()


async def test_an_early_event_waits_in_the_process_for_the_handler_it_follows(make_settings, tap):
    """At a steady 5 referrals/s, 3 % of notifications' activation events came a few ms before
    their referral, and each given back as early waited 0.2 s and a redelivery: the slowest welcome
    letters. Now an early event is tried again when another handler of its process commits: here
    within seconds, where given back it would come again only after its 30 s back-off, and never
    counted as early."""
    s = make_settings(ServiceSettings, service="referrals", out_of_order_backoff=timedelta(seconds=30))
    handlers, tries = Handlers(), []

    @handlers.on
    async def remember(event: ReferralWithdrawn, meta: Meta, tx: Tx) -> None:
        await tx.db.known.insert_one({"_id": event.referral_id}, session=tx.session)

    @handlers.on
    async def follow(event: ReferralReordered, meta: Meta, tx: Tx) -> None:
        tries.append(event.referral_id)
        if await tx.db.known.find_one({"_id": event.referral_id}, session=tx.session) is None:
            raise NotYetKnown(f"{event.referral_id} not known yet")
        await tx.db.effects.insert_one({"_id": event.referral_id}, session=tx.session)

    app = build_app(s, title="probe", router=APIRouter(), handlers=handlers, indexes={})
    async with running(app):
        store = Store(s.mongodb_uri, s.db_name, s.service, probe_clock())
        async with store.transaction() as tx:
            await tx.emit(ReferralReordered(referral_id="r1", participant_id="p1", cycle=1, provider="x"), "r1")

        async def tried() -> int:
            return len(tries)

        await eventually(tried)  # it came before what it follows
        async with store.transaction() as tx:
            await tx.emit(withdrawn("r1"), correlation_id="r1")
        assert await eventually(lambda: store.db.effects.count_documents({}), timeout=10) == 1
        assert await store.db.early_arrivals.count_documents({}) == 0  # never given back as early
        await store.close()


async def test_an_event_early_many_times_that_then_meets_a_store_outage_is_not_parked(make_settings, tap):
    """The lost letter of issue 30: account.activation_issued came before referral.created and was
    redelivered as early six times; its next delivery met a 20 s store outage and, early deliveries
    and failures sharing JetStream's one count, it was parked on its first real failure. Early
    deliveries have their own budget now: the failures' budget is whole when the outage comes."""
    s = settings(make_settings)
    probe = Probe()
    probe.early = {"r-late-letter": 2 * s.max_deliver - 2}
    probe.outage = {"r-late-letter": s.max_deliver - 1}  # one fewer than the failures' budget
    async with running(probe.app(s)) as client:
        store = Store(s.mongodb_uri, s.db_name, s.service, probe_clock())
        async with store.transaction() as tx:
            await tx.emit(withdrawn("r-late-letter"), correlation_id="r-late-letter")
        assert await eventually(lambda: effects(store, "r-late-letter"), timeout=30) == 1
        assert probe.runs == 2 * s.max_deliver - 2 + s.max_deliver
        assert await parked(client) == []
        await store.close()


async def test_message_that_always_fails_is_parked_and_can_be_replayed(make_settings, tap):
    s = settings(make_settings)
    probe = Probe()
    probe.failing = True
    ops = bearer("ops", "ops-1")
    async with running(probe.app(s)) as client:
        store = Store(s.mongodb_uri, s.db_name, s.service, probe_clock())
        async with store.transaction() as tx:
            await tx.emit(withdrawn("r-poison"), correlation_id="r-poison")

        [letter] = await eventually(lambda: parked(client), timeout=15)
        assert letter["attempts"] == s.max_deliver
        assert letter["consumer"] == "referrals-count_withdrawal"
        assert "downstream is broken" in letter["error"]
        assert "body" not in letter  # operations see no personal data
        assert await effects(store, "r-poison") == 0
        stored = await store.db.dead_letters.find_one({})
        assert "r-poison" not in stored["body"]  # sealed at rest: a copy of the database shows nothing
        assert stored["expires_at"] - stored["parked_at"] == s.dead_letter_ttl  # then the TTL index drops it

        assert (await client.get("/ops/dead-letters", headers=bearer("parent", "p1"))).status_code == 403
        failed = await client.post(f"/ops/dead-letters/{letter['id']}/replay", headers=ops)
        assert failed.status_code == 409 and failed.json()["type"].endswith("/replay-failed")

        probe.failing = False
        replayed = await client.post(f"/ops/dead-letters/{letter['id']}/replay", headers=ops)
        assert replayed.status_code == 200 and replayed.json()["replayed_at"]
        assert await effects(store, "r-poison") == 1
        again = await client.post(f"/ops/dead-letters/{letter['id']}/replay", headers=ops)
        assert again.status_code == 409
        assert (await client.get("/ops/dead-letters", headers=ops)).json()["items"] == []
        await store.close()


async def test_an_event_from_a_producer_that_does_not_own_its_subject_is_parked_unhandled(make_settings, infra):
    s = settings(make_settings)
    probe = Probe()
    forged = Envelope.of(withdrawn("r-forged"), correlation_id="r-forged", producer="workshops")
    genuine = Envelope.of(withdrawn("r-genuine"), correlation_id="r-genuine", producer="referrals")
    async with running(probe.app(s)) as client:
        await publish_raw(infra.nats_url, forged, str(forged.event_id))
        await publish_raw(infra.nats_url, genuine, str(genuine.event_id))
        store = Store(s.mongodb_uri, s.db_name, s.service, probe_clock())
        await eventually(lambda: effects(store, "r-genuine"))

        [letter] = await eventually(lambda: parked(client))
        assert letter["event_id"] == str(forged.event_id) and letter["attempts"] == 1  # at once, not retried
        assert "untrusted" in letter["error"] and probe.runs == 1
        replay = await client.post(f"/ops/dead-letters/{letter['id']}/replay", headers=bearer("ops", "ops-1"))
        assert replay.status_code == 409  # replaying does not launder it
        assert await effects(store, "r-forged") == 0
        await store.close()


async def test_a_message_whose_parking_fails_comes_back_and_is_parked_later(make_settings, tap):
    """The database is away when the last attempt fails: the event must not be dropped."""
    s = settings(make_settings)
    probe = Probe()
    probe.failing = True
    app = probe.app(s)
    consumer = app.state.rt.consumer
    park, calls = consumer.park, []

    async def park_broken_a_while(*args, **kwargs):
        calls.append(args)
        if len(calls) <= 4:  # more deliveries than JetStream's own limit would have allowed
            raise ConnectionError("database unreachable")
        await park(*args, **kwargs)

    consumer.park = park_broken_a_while
    async with running(app) as client:
        store = app.state.rt.store
        async with store.transaction() as tx:
            await tx.emit(withdrawn("r-unparked"), correlation_id="r-unparked")

        [letter] = await eventually(lambda: parked(client), timeout=30)
        # Run up to twice the limit (the outage may be over), then only parked.
        assert len(calls) == 5 and letter["attempts"] == 2 * s.max_deliver + 1
        assert probe.runs == 2 * s.max_deliver


async def test_a_consumer_left_by_an_earlier_release_takes_this_releases_settings(make_settings, infra):
    s = settings(make_settings)
    await ensure_streams(s, ["referrals"])
    nc = await nats.connect(infra.nats_url)
    js = nc.jetstream()
    old = ConsumerConfig(durable_name="referrals-count_withdrawal", filter_subject="referral.withdrawn", max_deliver=4)
    await js.add_consumer("REFERRALS", config=old)
    try:
        async with running(Probe().app(s)):
            config = (await js.consumer_info("REFERRALS", "referrals-count_withdrawal")).config
            assert config.max_deliver == -1 and config.ack_wait == s.ack_wait.total_seconds()
    finally:
        await nc.close()


async def test_the_relay_publishes_in_emission_order_with_the_event_id_as_message_id(make_settings, infra):
    s = settings(make_settings)
    async with running(Probe().app(s)):
        store = Store(s.mongodb_uri, s.db_name, s.service, probe_clock())
        async with store.transaction() as tx:
            emitted = [await tx.emit(withdrawn(f"r-order-{i}"), correlation_id=f"r-order-{i}") for i in range(3)]
        await store.close()
        nc = await nats.connect(infra.nats_url)
        try:
            js = nc.jetstream()

            async def stored() -> bool:
                return (await js.stream_info("REFERRALS")).state.messages >= 3

            await eventually(stored)
            info = await js.stream_info("REFERRALS")
            assert info.config.storage == "file" and info.config.num_replicas == s.stream_replicas
            assert info.config.duplicate_window == s.duplicate_window.total_seconds()
            messages = [await js.get_msg("REFERRALS", seq) for seq in range(1, 4)]
            assert [m.headers["Nats-Msg-Id"] for m in messages] == [str(e.event_id) for e in emitted]
            assert [Envelope.model_validate_json(m.data).correlation_id for m in messages] == [
                "r-order-0",
                "r-order-1",
                "r-order-2",
            ]
        finally:
            await nc.close()


async def test_health_readiness_metrics_and_asyncapi(make_settings):
    s = settings(make_settings)
    async with running(Probe().app(s)) as client:
        assert (await client.get("/healthz")).json()["status"] == "alive"
        ready = await client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["checks"] == {"store": True} and ready.json()["broker"]
        assert (await client.get("/readyz/broker")).json() == {"broker": True}
        metrics = (await client.get("/metrics")).text
        assert "ptfc_http_requests_total" in metrics
        # the readiness check pinged the store: operations see the service's round trips to it
        assert 'ptfc_store_commands_total{command="ping",service="referrals"}' in metrics
        spec = (await client.get("/asyncapi.json")).json()
        assert any(
            "referral.withdrawn" in name or "referral.withdrawn" in str(ch) for name, ch in spec["channels"].items()
        )


# helpers --------------------------------------------------------------------------------


def probe_clock():
    from ptfc.clock import SystemClock

    return SystemClock()


async def effects_of(s: ServiceSettings, referral: str) -> int:
    store = Store(s.mongodb_uri, s.db_name, "t", probe_clock())
    try:
        return await effects(store, referral)
    finally:
        await store.close()


def duplicate_count() -> float:
    from ptfc.metrics import EVENTS_HANDLED

    return EVENTS_HANDLED.labels("referrals", "count_withdrawal", "duplicate")._value.get()


async def handled_since(duplicates: float) -> bool:
    return duplicate_count() > duplicates


async def handled_twice(s: ServiceSettings) -> bool:
    return duplicate_count() >= 1


async def test_relay_keeps_events_while_nats_is_down_and_publishes_them_once_after(make_settings, infra, tap):
    if infra.restart_nats is None:
        import pytest

        pytest.skip("needs the embedded NATS server to restart it")
    s = settings(make_settings)
    probe = Probe()
    async with running(probe.app(s)) as _:
        store = Store(s.mongodb_uri, s.db_name, s.service, probe_clock())
        async with store.transaction() as tx:
            await tx.emit(withdrawn("r-before"), correlation_id="r-before")
        await tap.wait_for("referral.withdrawn")
        infra.restart_nats()  # killed and started again on the same port and data
        async with store.transaction() as tx:
            await tx.emit(withdrawn("r-after"), correlation_id="r-after")
        await eventually(lambda: effects_of(s, "r-after"), timeout=20)
        await store.close()
    assert sorted(e.correlation_id for e in await tap.of("referral.withdrawn")) == ["r-after", "r-before"]
    assert await effects_of(s, "r-before") == 1
