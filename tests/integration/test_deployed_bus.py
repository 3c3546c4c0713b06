"""The NATS configuration in deploy/nats (its users and permissions, `sync_interval: always`) on a
real nats-server: a service runs as its own user, and that user cannot act as another service."""

import re
import secrets
import subprocess
import sys
from pathlib import Path
from uuid import uuid4

import nats
import pytest

from learning.app import create_app
from learning.config import Settings
from ptfc.buspermissions import inbox_prefix, load_partners, password_variable, slots
from ptfc.dev.servers import free_port, wait_for_port
from ptfc.events import (
    STREAMS,
    Envelope,
)
from ptfc.settings import ServiceSettings
from ptfc.store import INBOX
from ptfc.streams import ensure_streams
from ptfc.testing.events import participant, referral_created
from ptfc.testing.plugin import FAST, eventually, running

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "nats"
# each identity's two users (`<name>`, `<name>-next`: rotation with overlap)
USERS = [
    u for identity in [*STREAMS, "streams-admin", *load_partners(DEPLOY / "partners.json")] for u in slots(identity)
]


@pytest.fixture
def deployed_nats(tmp_path):
    """One server with the deployed configuration; the cluster block is left out (one server)."""
    conf = (DEPLOY / "nats.conf").read_text()
    conf = re.sub(r"^cluster \{.*?^\}\n", "", conf, flags=re.M | re.S).replace("/data", str(tmp_path / "data"))
    (tmp_path / "nats.conf").write_text(conf)
    for name in ("auth.conf", "tls.conf"):  # what nats.conf includes (tls.conf: development's, no TLS)
        (tmp_path / name).write_text((DEPLOY / name).read_text())
    passwords = {user: secrets.token_hex(8) for user in USERS}
    env = {"POD_NAME": "nats-0", **{password_variable(u): p for u, p in passwords.items()}}
    port = free_port()
    command = [str(Path(sys.executable).parent / "nats-server"), "-c", str(tmp_path / "nats.conf")]
    server = subprocess.Popen(
        [*command, "-a", "127.0.0.1", "-p", str(port), "-m", str(free_port())],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, 20, server)
        yield {user: f"nats://{user}:{password}@127.0.0.1:{port}" for user, password in passwords.items()}
    finally:
        server.terminate()
        server.wait(10)


def referral(referral_id: str) -> Envelope:
    data = referral_created(referral_id, participant("p-1", "Alex", "Morgan", email="a@p.ex"))
    return Envelope.of(data, correlation_id=referral_id, producer="referrals")


async def connect(url: str) -> nats.NATS:
    user = url.split("//")[1].split(":")[0]
    return await nats.connect(url, inbox_prefix=inbox_prefix(user))  # replies on the identity's own prefix


async def publish(url: str, envelope: Envelope) -> None:
    nc = await connect(url)
    try:
        headers = {"Nats-Msg-Id": str(envelope.event_id)}
        await nc.jetstream().publish(envelope.type, envelope.model_dump_json().encode(), headers=headers, timeout=2)
    finally:
        await nc.close()


async def stream_messages(url: str, stream: str) -> int:
    nc = await connect(url)
    try:
        return (await nc.jetstream().stream_info(stream)).state.messages
    finally:
        await nc.close()


@pytest.mark.parametrize("user", slots("learning"))  # either of its two users, as deploy gives it (NATS_URL)
async def test_a_service_runs_as_its_own_user_and_cannot_act_as_another(deployed_nats, infra, user):
    admin = ServiceSettings(nats_url=deployed_nats["streams-admin"], nats_user="streams-admin")
    await ensure_streams(admin, list(STREAMS))
    settings = Settings(
        env="dev",  # the test keeps the development keys
        nats_url=deployed_nats[user],
        mongodb_uri=infra.mongodb_uri,
        database=f"t{uuid4().hex[:12]}_learning",
        **FAST,
    )
    app = create_app(settings)
    async with running(app) as client:
        assert (await client.get("/readyz")).status_code == 200
        await publish(deployed_nats["referrals"], referral("r-1"))  # referrals publishes its own events

        async def handled_and_published() -> bool:  # learning consumed it and published its own
            inbox = await app.state.rt.store.db[INBOX].count_documents({})
            return inbox == 1 and await stream_messages(deployed_nats["streams-admin"], "LEARNING") >= 1

        await eventually(handled_and_published, timeout=20)

    with pytest.raises(nats.errors.Error):  # refused: never acknowledged
        await publish(deployed_nats[user], referral("r-forged"))
    nc = await connect(deployed_nats[user])
    try:
        with pytest.raises(nats.errors.Error):
            await nc.jetstream().delete_stream("REFERRALS")
    finally:
        await nc.close()
    assert await stream_messages(deployed_nats["streams-admin"], "REFERRALS") == 1
