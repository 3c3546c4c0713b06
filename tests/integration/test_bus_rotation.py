"""NATS passwords rotate with overlap, on a real nats-server with the rendered configuration
(ptfc.buspermissions: each identity's two users, `<name>` and `<name>-next`): both users of every
identity are let in, each with its own password only, and may do exactly the same things; a
service moving from one to the other keeps its consumers and its replies (docs/operations.md,
"Rotating keys")."""

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import nats
import pytest
from nats.js.api import ConsumerConfig

from ptfc import buspermissions
from ptfc.bus import connect as connect_as
from ptfc.buspermissions import ADMIN, SERVICES, slots
from ptfc.dev.servers import start_nats
from ptfc.events import STREAMS, stream_for
from ptfc.settings import ServiceSettings
from ptfc.streams import declare_all

sys.path.insert(0, str(Path(__file__).parent))
from test_bus_security import ATTENDED, WITHDRAWN, body, connect, refused  # the same helpers

PARTNERS = {"alpha": ["REFERRALS"], "beta": ["REFERRALS"]}
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "partner_consumer.py"


@pytest.fixture(scope="module")
def consumers() -> dict[str, tuple[str, str]]:
    """One durable consumer of each service, with the subject it reads, from its own handlers."""
    return {s: sorted(buspermissions.durables(s).items())[0] for s in SERVICES}


@pytest.fixture
async def bus(tmp_path):
    config, passwords = buspermissions.write_local_config(tmp_path / "auth", PARTNERS)
    server = await asyncio.to_thread(start_nats, tmp_path / "nats", None, None, config)
    try:
        await declare_all(server.url, passwords[ADMIN])
        yield server.url, passwords
    finally:
        server.stop()


async def test_both_users_of_every_identity_are_let_in_each_with_its_own_password_only(bus):
    url, passwords = bus
    for identity in [*SERVICES, *PARTNERS, ADMIN]:
        first, second = slots(identity)
        assert passwords[first] != passwords[second]
        for user in (first, second):
            nc = await connect(url, passwords, user)
            assert nc.is_connected, user
            await nc.close()
        for user, password in ((second, passwords[first]), (first, passwords[second]), (second, "guessed")):
            with pytest.raises(Exception, match=r"(?i)authorization"):
                await nats.connect(url, user=user, password=password, allow_reconnect=False, connect_timeout=2)


def event_subject(owner: str) -> str:
    """A subject of the owner's stream (the server reads no body: any will do)."""
    return STREAMS[owner][1][0].replace(">", "rotation_check")


async def allowed(nc: nats.NATS, action) -> bool:
    return not await refused(action)


async def what_a_service_may_do(nc: nats.NATS, consumers) -> dict[str, bool]:
    """Each service's first subject published, and one consumer of each service created and read."""
    js, checks = nc.jetstream(), {}
    for owner in STREAMS:
        checks[f"publish {event_subject(owner)}"] = js.publish(event_subject(owner), body(WITHDRAWN, owner), timeout=1)
    for durable, subject in consumers.values():
        config = ConsumerConfig(name=durable, durable_name=durable, filter_subject=subject)
        checks[f"create {durable}"] = js.add_consumer(stream_for(subject), config, timeout=1)
    outcomes = dict(zip(checks, await asyncio.gather(*(allowed(nc, a) for a in checks.values())), strict=True))
    for durable, subject in consumers.values():
        outcomes[f"info {durable}"] = await allowed(nc, js.consumer_info(stream_for(subject), durable, timeout=1))
    await nc.flush()
    return outcomes


async def what_a_partner_may_do(nc: nats.NATS) -> dict[str, bool]:
    js, checks = nc.jetstream(), {}
    checks["publish referral.withdrawn"] = js.publish("referral.withdrawn", body(WITHDRAWN, "referrals"), timeout=1)
    for owner in PARTNERS:
        for durable in (f"partner-{owner}", f"partner-{owner}-1"):
            config = ConsumerConfig(name=durable, durable_name=durable, filter_subject="referral.>")
            checks[f"create {durable}"] = js.add_consumer("REFERRALS", config, timeout=1)
    checks["create partner-alpha-replay"] = js.add_consumer(
        "REFERRALS",
        ConsumerConfig(name="partner-alpha-replay", durable_name="partner-alpha-replay", filter_subject="referral.>"),
        timeout=1,
    )
    checks["delete stream"] = nc.request("$JS.API.STREAM.DELETE.REFERRALS", b"", timeout=1)
    return dict(zip(checks, await asyncio.gather(*(allowed(nc, a) for a in checks.values())), strict=True))


async def test_both_users_of_an_identity_may_do_exactly_the_same(bus, consumers):
    """The same table of actions, once as `<name>` and once as `<name>-next`: the same outcomes, and
    the ones the identity is meant to have (so the table is not the same because all fail)."""
    url, passwords = bus
    for service in ("referrals", "workshops"):
        outcomes = []
        for user in slots(service):
            nc = await connect(url, passwords, user)
            try:
                outcomes.append(await what_a_service_may_do(nc, consumers))
            finally:
                await nc.close()
        assert outcomes[0] == outcomes[1], service
        mine = {k for k, ok in outcomes[0].items() if ok}
        own_subject, (own_durable, _) = event_subject(service), consumers[service]
        assert mine == {f"publish {own_subject}", f"create {own_durable}", f"info {own_durable}"}, service
    outcomes = []
    for user in slots("alpha"):
        nc = await connect(url, passwords, user)
        try:
            outcomes.append(await what_a_partner_may_do(nc))
        finally:
            await nc.close()
    assert outcomes[0] == outcomes[1]
    assert {k for k, ok in outcomes[0].items() if ok} == {"create partner-alpha", "create partner-alpha-1"}


async def test_a_service_moving_to_its_next_user_keeps_its_consumer_and_its_replies(bus, consumers):
    """A rollout mid-rotation: an old pod on `referrals` and a new one on `referrals-next` (given the
    way deploy does, in the URL, or as PTFC_NATS_USER does locally) share one durable consumer; each
    gets its publish acknowledged and its fetches answered on the service's own inbox prefix."""
    url, passwords = bus
    host = url.split("//", 1)[1]
    old = ServiceSettings(service="workshops", nats_url=f"nats://workshops:{passwords['workshops']}@{host}")
    in_url = ServiceSettings(
        service="workshops", nats_url=f"nats://workshops-next:{passwords['workshops-next']}@{host}"
    )
    by_setting = ServiceSettings(
        service="workshops", nats_url=url, nats_user="workshops-next", nats_password=passwords["workshops-next"]
    )
    pods = [await connect_as(s) for s in (old, in_url, by_setting)]
    admin = await nats.connect(url, user=ADMIN, password=passwords[ADMIN])
    try:
        durable, subject = consumers["workshops"]  # one of workshops' own, on a referrals event
        stream = stream_for(subject)
        assert stream == "REFERRALS"
        await admin.jetstream().add_consumer(
            stream, ConsumerConfig(name=durable, durable_name=durable, filter_subject=subject)
        )
        owner = await connect(url, passwords, "referrals-next")
        for _ in pods:
            await owner.jetstream().publish(subject, body(WITHDRAWN, "referrals"), timeout=2)  # (the body is not read)
        await owner.close()
        for pod in pods:
            ack = await pod.jetstream().publish("workshop.attended", body(ATTENDED, "workshops"), timeout=2)
            assert ack.stream == "WORKSHOPS"
            sub = await pod.jetstream().pull_subscribe_bind(
                durable, stream=stream, inbox_prefix=f"{buspermissions.inbox_prefix('workshops')}.".encode()
            )
            [msg] = await sub.fetch(1, timeout=2)
            await msg.ack_sync(timeout=2)
        info = await admin.jetstream().consumer_info(stream, durable)
        assert info.num_pending == 0 and info.num_ack_pending == 0 and info.delivered.stream_seq == 3
        assert (await admin.jetstream().stream_info("WORKSHOPS")).state.messages == 3
    finally:
        for nc in (*pods, admin):
            await nc.close()


async def test_a_partner_reads_with_the_example_consumer_as_either_user(bus):
    """docs/partners.md's example consumer (examples/partner_consumer.py), given the partner's second
    user: the same consumer `partner-<name>` and the same inbox prefix, so the feed carries on."""
    url, passwords = bus
    referrals = await connect(url, passwords, "referrals")
    for user in slots("alpha"):  # one event each (a fetch takes up to ten: the rest would wait for ack_wait)
        await referrals.jetstream().publish("referral.withdrawn", body(WITHDRAWN, "referrals"), timeout=2)
        env = {"PARTNER_NATS_USER": user, "PARTNER_NATS_PASSWORD": passwords[user], "PATH": ""}
        command = [sys.executable, str(EXAMPLE), "--url", url, "--subject", "referral.>", "--count", "1"]
        done = await asyncio.to_thread(
            subprocess.run, [*command, "--timeout", "10"], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, (user, done.stderr[-2000:])
        assert json.loads(done.stdout.splitlines()[0])["type"] == "referral.withdrawn"
    await referrals.close()
    admin = await nats.connect(url, user=ADMIN, password=passwords[ADMIN])
    try:  # one live consumer read both events, one by each user
        info = await admin.jetstream().consumer_info("REFERRALS", "partner-alpha")
        assert info.num_pending == 0 and info.delivered.stream_seq == 2
    finally:
        await admin.close()
