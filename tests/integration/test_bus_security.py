"""The bus as `ptfc up` starts it: who is refused what (ptfc.buspermissions).

Each refusal is paired with the same action by an identity that may do it, so a test passes
only because of the permission, not because the action fails anyway."""

import asyncio

import nats
import pytest
from nats.errors import NoRespondersError
from nats.js.api import ConsumerConfig
from nats.js.errors import APIError

from ptfc.buspermissions import ADMIN, inbox_prefix
from ptfc.dev.up import start_bus
from ptfc.events import Envelope, ReferralWithdrawn, WorkshopAttended
from ptfc.streams import declare_all


@pytest.fixture
async def bus(tmp_path):
    server, passwords = await asyncio.to_thread(start_bus, tmp_path)
    try:
        await declare_all(server.url, passwords[ADMIN])
        yield server.url, passwords
    finally:
        server.stop()


async def connect(url: str, passwords: dict[str, str], identity: str) -> nats.NATS:
    errors: list[Exception] = []

    async def remember(error: Exception) -> None:
        errors.append(error)  # a permissions violation arrives here, asynchronously

    nc = await nats.connect(
        url,
        user=identity,
        password=passwords[identity],
        inbox_prefix=inbox_prefix(identity),
        error_cb=remember,
        allow_reconnect=False,
    )
    nc.errors = errors  # type: ignore[attr-defined]
    return nc


def body(data, producer: str) -> bytes:
    return Envelope.of(data, correlation_id="r-1", producer=producer).model_dump_json().encode()


ATTENDED = WorkshopAttended(
    referral_id="r-1", participant_id="p-1", booking_id="b-1", session_id="s-1", attended_at="2026-01-01T10:00:00Z"
)
WITHDRAWN = ReferralWithdrawn(referral_id="r-1", participant_ids=["p-1"])


async def refused(action) -> bool:
    """True if the server refused: JetStream answers a denied request with no responder (the
    request never reached it) or times out; the connection's error callback names the violation."""
    try:
        await action
    except (NoRespondersError, TimeoutError, nats.errors.TimeoutError, APIError):
        return True
    return False


async def test_a_client_without_credentials_is_refused(bus):
    url, passwords = bus
    with pytest.raises(Exception, match=r"(?i)authorization"):
        await nats.connect(url, allow_reconnect=False, max_reconnect_attempts=0, connect_timeout=2)
    with pytest.raises(Exception, match=r"(?i)authorization"):
        await nats.connect(url, user="referrals", password="guessed", allow_reconnect=False, connect_timeout=2)
    nc = await connect(url, passwords, "referrals")  # the right password is let in
    await nc.close()


async def test_a_service_publishes_its_own_subjects_only(bus):
    url, passwords = bus
    referrals = await connect(url, passwords, "referrals")
    workshops = await connect(url, passwords, "workshops")
    try:
        # the owner's publish is stored and acknowledged
        ack = await workshops.jetstream().publish("workshop.attended", body(ATTENDED, "workshops"), timeout=2)
        assert ack.stream == "WORKSHOPS"
        # referrals forging "course completed" evidence is refused
        assert await refused(referrals.jetstream().publish("workshop.attended", body(ATTENDED, "workshops"), timeout=2))
        await referrals.flush()
        assert any("permissions violation" in str(e).lower() for e in referrals.errors)
        admin = await nats.connect(url, user=ADMIN, password=passwords[ADMIN])
        assert (await admin.jetstream().stream_info("WORKSHOPS")).state.messages == 1
        await admin.close()
    finally:
        await referrals.close()
        await workshops.close()


async def test_a_service_uses_only_its_own_consumers(bus):
    url, passwords = bus
    # referrals follows workshop.attended with its own durable consumer
    durable = "referrals-follow-workshop_attended"
    referrals = await connect(url, passwords, "referrals")
    learning = await connect(url, passwords, "learning")
    try:
        own = await referrals.jetstream().pull_subscribe(
            "workshop.attended", durable=durable, stream="WORKSHOPS", inbox_prefix=b"_INBOX_referrals."
        )
        with pytest.raises(nats.errors.TimeoutError):
            await own.fetch(1, timeout=0.5)  # allowed, and empty
        # nor re-point its own consumer at a subject it does not consume (a concern's details)
        other = ConsumerConfig(name=durable, durable_name=durable, filter_subject="safeguarding.concern_raised")
        assert await refused(referrals.jetstream().add_consumer("WORKSHOPS", other, timeout=1))
        assert await refused(learning.jetstream().consumer_info("WORKSHOPS", durable, timeout=1))
        assert await refused(
            learning.jetstream().add_consumer("WORKSHOPS", ConsumerConfig(durable_name=durable), timeout=1)
        )
    finally:
        await referrals.close()
        await learning.close()


async def test_a_partner_reads_through_its_own_consumer_and_can_do_nothing_else(bus):
    url, passwords = bus
    admin = await nats.connect(url, user=ADMIN, password=passwords[ADMIN])
    referrals = await connect(url, passwords, "referrals")
    partner = await connect(url, passwords, "partner")
    try:
        await referrals.jetstream().publish("referral.withdrawn", body(WITHDRAWN, "referrals"), timeout=2)
        # what a partner may do: read the stream through its own durable consumer
        sub = await partner.jetstream().pull_subscribe(
            "referral.>", durable="partner-partner", stream="REFERRALS", inbox_prefix=b"_INBOX_partner."
        )
        [msg] = await sub.fetch(1, timeout=2)
        await msg.ack()
        assert Envelope.model_validate_json(msg.data).type == "referral.withdrawn"

        # publish an event: refused, and nothing is stored
        assert await refused(partner.jetstream().publish("referral.withdrawn", body(WITHDRAWN, "referrals"), timeout=1))
        await partner.publish("referral.withdrawn", body(WITHDRAWN, "referrals"))  # core NATS, no ack asked
        await partner.flush()
        assert (await admin.jetstream().stream_info("REFERRALS")).state.messages == 1

        # touch a service's consumer: refused
        await admin.jetstream().add_consumer(
            "REFERRALS", ConsumerConfig(durable_name="notifications-remember_referral", filter_subject="referral.>")
        )
        assert await refused(partner.jetstream().consumer_info("REFERRALS", "notifications-remember_referral", 1))
        fetch = partner.request("$JS.API.CONSUMER.MSG.NEXT.REFERRALS.notifications-remember_referral", b"1", 1)
        assert await refused(fetch)
        assert (await admin.jetstream().consumer_info("REFERRALS", "notifications-remember_referral")).num_pending == 1

        # delete or change a stream: refused, and it is still there
        assert await refused(partner.jetstream().delete_stream("REFERRALS"))
        assert await refused(referrals.jetstream().delete_stream("REFERRALS"))
        assert (await admin.jetstream().stream_info("REFERRALS")).config.max_age == 30 * 24 * 3600
        assert any("permissions violation" in str(e).lower() for e in partner.errors)
    finally:
        for nc in (admin, referrals, partner):
            await nc.close()


def certificates(directory):
    """A CA and a server certificate for 127.0.0.1, as a cluster's own CA would issue."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def name(text):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

    now = dt.datetime.now(dt.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder(subject_name=name("test ca"), issuer_name=name("test ca"))
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    server = (
        x509.CertificateBuilder(subject_name=name("nats"), issuer_name=ca.subject)
        .public_key(key.public_key())
        .serial_number(2)
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (directory / "ca.pem").write_bytes(ca.public_bytes(pem))
    (directory / "server.pem").write_bytes(server.public_bytes(pem))
    (directory / "server-key.pem").write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )


async def test_with_tls_on_the_client_port_a_service_connects_only_over_tls(tmp_path):
    """What the manifests run in production: the same authorization, behind TLS."""
    from ptfc.bus import connect as connect_as
    from ptfc.buspermissions import write_local_config
    from ptfc.dev.servers import start_nats
    from ptfc.settings import ServiceSettings

    _, passwords = write_local_config(tmp_path / "auth")
    certificates(tmp_path)
    config = tmp_path / "nats.conf"
    tls = f'tls {{ cert_file: "{tmp_path}/server.pem", key_file: "{tmp_path}/server-key.pem" }}'
    config.write_text(f'{tls}\ninclude "auth/auth.conf"\n')  # an include is relative to this file
    server = await asyncio.to_thread(start_nats, tmp_path / "nats", None, None, config)
    try:
        with pytest.raises(Exception):  # plain text is refused, with the right password too
            await nats.connect(server.url, user="plans", password=passwords["plans"], allow_reconnect=False)
        settings = ServiceSettings(
            service="plans",
            nats_url=server.url,
            nats_password=passwords["plans"],
            nats_ca_file=str(tmp_path / "ca.pem"),
        )
        nc = await connect_as(settings)
        await nc.publish("plan.created", b"{}")  # its own subject, over TLS
        await nc.flush()
        assert nc.is_connected and not nc.last_error
        await nc.close()
    finally:
        server.stop()


async def test_a_partner_replays_into_a_second_consumer_and_cannot_touch_another_partners(tmp_path):
    """Two partners as deploy lists them (ptfc.buspermissions.load_partners): one replays from the
    start into `partner-<name>-1` while its live consumer keeps its place; another's are out of reach."""
    from ptfc import buspermissions
    from ptfc.dev.servers import start_nats

    partners = {"alpha": ["REFERRALS"], "beta": ["REFERRALS"]}
    config, passwords = buspermissions.write_local_config(tmp_path / "auth", partners)
    server = await asyncio.to_thread(start_nats, tmp_path / "nats", None, None, config)
    await declare_all(server.url, passwords[ADMIN])
    referrals = await connect(server.url, passwords, "referrals")
    alpha = await connect(server.url, passwords, "alpha")
    beta = await connect(server.url, passwords, "beta")
    try:
        for _ in range(3):
            await referrals.jetstream().publish("referral.withdrawn", body(WITHDRAWN, "referrals"), timeout=2)
        live = await alpha.jetstream().pull_subscribe(
            "referral.>", durable="partner-alpha", stream="REFERRALS", inbox_prefix=b"_INBOX_alpha."
        )
        for msg in await live.fetch(3, timeout=2):
            await msg.ack()
        # the replay: a second consumer of its own reads everything again from the start
        replay = await alpha.jetstream().pull_subscribe(
            "referral.>", durable="partner-alpha-1", stream="REFERRALS", inbox_prefix=b"_INBOX_alpha."
        )
        assert len(await replay.fetch(3, timeout=2)) == 3
        await alpha.jetstream().delete_consumer("REFERRALS", "partner-alpha-1")  # done with it
        # and the live consumer kept its place: nothing is pending there
        assert (await alpha.jetstream().consumer_info("REFERRALS", "partner-alpha", timeout=2)).num_pending == 0

        # beta's consumers are beyond alpha's reach, and so is a name outside alpha's list
        await beta.jetstream().pull_subscribe(
            "referral.>", durable="partner-beta-1", stream="REFERRALS", inbox_prefix=b"_INBOX_beta."
        )
        assert await refused(alpha.jetstream().consumer_info("REFERRALS", "partner-beta-1", timeout=1))
        assert await refused(alpha.jetstream().delete_consumer("REFERRALS", "partner-beta-1"))
        taken = ConsumerConfig(durable_name="partner-beta-2", filter_subject="referral.>")
        assert await refused(alpha.jetstream().add_consumer("REFERRALS", taken, timeout=1))
        beyond = ConsumerConfig(durable_name="partner-alpha-replay", filter_subject="referral.>")
        assert await refused(alpha.jetstream().add_consumer("REFERRALS", beyond, timeout=1))
        assert (await beta.jetstream().consumer_info("REFERRALS", "partner-beta-1", timeout=2)).num_pending == 3
    finally:
        for nc in (referrals, alpha, beta):
            await nc.close()
        server.stop()
