"""Two replicas of each consuming service, as its Deployment runs them: the same settings and
database, so the same durable pull consumers. Every event is handled once, and both do work."""

import importlib
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nats
import pytest

from ptfc.events import (
    STREAMS,
    AccountActivated,
    Envelope,
    EventData,
    ReferralCreated,
    ReferralWithdrawn,
    stream_for,
)
from ptfc.store import INBOX
from ptfc.testing.events import participant
from ptfc.testing.events import referral_created as make_referral
from ptfc.testing.mailbox import Mailbox
from ptfc.testing.plugin import eventually, running

ROOT = Path(__file__).resolve().parents[2]
# the services that subscribe to events (a handler is registered with `@handlers.on`)
SERVICES = sorted(
    p.parents[2].name for p in ROOT.glob("services/*/src/*/handlers.py") if "@handlers.on" in p.read_text()
)
EVENTS = 24  # enough that a consumer's pull batches (16) cannot take them all on one replica


def referral_created(i: int) -> ReferralCreated:
    parent = participant(f"p-{i}", "Alex", f"Morgan{i}", email=f"alex{i}@parents.example")
    return make_referral(f"r-{i}", parent)


def referral_withdrawn(i: int) -> ReferralWithdrawn:
    return ReferralWithdrawn(referral_id=f"r-{i}", participant_ids=[])


def account_activated(i: int) -> AccountActivated:
    return AccountActivated(referral_id=f"r-{i}", participant_id=f"p-{i}", enrolment_id=f"e-{i}")


# How to make many distinct events of a type, in order of preference: each service gets the first
# type it takes (referral.created last: its shape is the one most likely to change).
BUILDERS: dict[str, Callable[[int], EventData]] = {
    "referral.withdrawn": referral_withdrawn,
    "account.activated": account_activated,
    "referral.created": referral_created,
}


def make_app(service: str, make_settings: Any, mailbox: Mailbox) -> Callable[[], Any]:
    config, app = importlib.import_module(f"{service}.config"), importlib.import_module(f"{service}.app")
    overrides: dict[str, Any] = {"smtp_port": mailbox.port} if "smtp_port" in config.Settings.model_fields else {}
    settings = make_settings(config.Settings, **overrides)  # one database, as the replicas of a Deployment share
    return lambda: app.create_app(settings)


def count_handled(app: Any, replica: str, tally: Counter) -> None:
    """Counts, per replica, the events this app's consumer applied (not those it found already handled)."""
    consumer = app.state.rt.consumer
    handle_each = consumer.handle_each

    async def counted(registration: Any, durable: str, envelopes: list[Envelope]) -> list[Any]:
        outcomes = await handle_each(registration, durable, envelopes)
        for envelope, outcome in zip(envelopes, outcomes, strict=True):
            if outcome is True:
                tally[(replica, durable, str(envelope.event_id))] += 1
        return outcomes

    consumer.handle_each = counted


async def publish(nats_url: str, data: EventData) -> Envelope:
    correlation = getattr(data, "referral_id", None) or "c-1"
    owner = next(service for service, (name, _) in STREAMS.items() if name == stream_for(data.TYPE))
    envelope = Envelope.of(data, correlation_id=correlation, producer=owner)  # only the owner is trusted
    nc = await nats.connect(nats_url)
    try:
        headers = {"Nats-Msg-Id": str(envelope.event_id)}
        await nc.jetstream().publish(envelope.type, envelope.model_dump_json().encode(), headers=headers)
    finally:
        await nc.close()
    return envelope


def test_every_consuming_service_is_covered():
    assert {"referrals", "learning", "notifications"} <= set(SERVICES)


@pytest.mark.parametrize("service", SERVICES)
async def test_two_replicas_share_the_durable_consumers_and_handle_each_event_once(
    service, make_settings, infra, mailbox
):
    new_app = make_app(service, make_settings, mailbox)
    first, second = new_app(), new_app()
    registrations = list(first.state.rt.consumer.by_durable.items())
    assert registrations
    taken = {r.subject for _, r in registrations}
    types = [t for t in BUILDERS if t in taken][:1]
    assert types, f"add a builder to BUILDERS for one of {sorted(taken)}"
    tally: Counter = Counter()
    count_handled(first, "first", tally)
    count_handled(second, "second", tally)

    async with running(first), running(second):
        published = [await publish(infra.nats_url, BUILDERS[t](i)) for i in range(EVENTS) for t in types]
        expected = {
            (durable, str(e.event_id)) for e in published for durable, r in registrations if r.subject == e.type
        }

        async def all_handled() -> bool:
            return {(d, e) for (_, d, e) in tally} >= expected

        await eventually(all_handled, timeout=60)
        inbox = await first.state.rt.store.db[INBOX].count_documents({})

    handled = Counter((durable, event) for (_, durable, event), n in tally.items() for _ in range(n))
    assert set(handled) == expected and set(handled.values()) == {1}, "an event was applied twice or not at all"
    assert inbox == len(expected)
    by_replica = Counter(replica for (replica, _, _), n in tally.items() for _ in range(n))
    assert by_replica["first"] > 0 and by_replica["second"] > 0, by_replica
