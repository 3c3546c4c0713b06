"""The partner guide's example consumer (examples/partner_consumer.py) against a running platform
(`ptfc up`): a referral is posted, the example receives its `referral.created`, with ids only."""

import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import httpx

from ptfc.dev.servers import free_port
from ptfc.dev.up import HUB, ports
from ptfc.testing.plugin import bearer
from ptfc.testing.servers import free_base_port

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "partner_consumer.py"


def partner_credentials(var: Path) -> dict[str, str]:
    """The demo partner's own bus identity, as `ptfc up` generates it (NATS requires one), in the
    environment variables the example reads (a password may start with `-`: not an argument)."""
    passwords = json.loads((var / "nats-auth" / "credentials.json").read_text())
    return {"PARTNER_NATS_USER": "partner", "PARTNER_NATS_PASSWORD": passwords["partner"]}


def other_free_ports(count: int, taken: set[int]) -> list[int]:
    """Free ports outside the services' range (the OS may hand out one of those next)."""
    found: list[int] = []
    while len(found) < count:
        port = free_port()
        if port not in taken and port not in found:
            found.append(port)
    return found


def start_platform(var: Path) -> tuple[subprocess.Popen, dict[str, int], int]:
    """`ptfc up` on free ports. Another process on this machine may take a port between our check
    and the start: then it says so at once, and we try other ports (never a failure of ours)."""
    said = []
    for _ in range(3):
        where = ports(free_base_port())
        nats_port, mongodb_port, mail_port = other_free_ports(3, taken=set(where.values()))
        command = [sys.executable, "-m", "ptfc.cli", "up", "--var", str(var), "--nats-port", str(nats_port)]
        command += ["--mongodb-port", str(mongodb_port), "--mail-port", str(mail_port), "--base-port", str(where[HUB])]
        env = {k: v for k, v in os.environ.items() if k not in ("NATS_URL", "MONGODB_URI")}
        up = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, start_new_session=True
        )
        lines = []
        for line in up.stdout:
            lines.append(line)
            if "all five services ready" in line or "could not start" in line:
                break
        if "all five services ready" in lines[-1]:
            return up, where, nats_port
        os.killpg(up.pid, signal.SIGINT)
        up.communicate(timeout=60)
        assert "already in use" in lines[-1], "".join(lines)
        said.append(lines[-1])
    raise AssertionError(f"no free ports for ptfc up after three tries: {said}")


def test_the_example_consumer_receives_referral_created_from_a_running_platform(tmp_path):
    up, where, nats_port = start_platform(tmp_path)
    try:
        body = json.loads((ROOT / "services" / "referrals" / "example-referral.json").read_text())
        headers = bearer("cafcass", "fca-partner-test") | {"Idempotency-Key": str(uuid.uuid4())}
        url = f"http://127.0.0.1:{where['referrals']}/referrals"
        created = httpx.post(url, json=body, headers=headers, timeout=30)
        assert created.status_code == 201, created.text
        referral_id = created.json()["id"]

        consumer = [sys.executable, str(EXAMPLE), "--url", f"nats://127.0.0.1:{nats_port}"]
        consumer += ["--count", "1", "--timeout", "60"]
        env = os.environ | partner_credentials(tmp_path)
        run = subprocess.run(consumer, capture_output=True, text=True, timeout=120, env=env)
        assert run.returncode == 0, run.stdout + run.stderr
        [event] = [json.loads(line) for line in run.stdout.splitlines()]
        assert event["type"] == "referral.created" and event["correlation_id"] == referral_id
        assert event["producer"] == "referrals"
        for parent in body["parents"]:  # the example prints ids, never contact details
            assert parent["email"] not in run.stdout and parent["phone"] not in run.stdout

        # the guide's replay: a second consumer of the partner's own reads it again from a point in
        # time, and the live consumer keeps its place (nothing new for it)
        replay = [*consumer, "--durable", "partner-partner-1", "--since", event["occurred_at"].replace("Z", "+00:00")]
        again = subprocess.run(replay, capture_output=True, text=True, timeout=120, env=env)
        assert again.returncode == 0, again.stdout + again.stderr
        assert [json.loads(line)["event_id"] for line in again.stdout.splitlines()] == [event["event_id"]]
        live = [*consumer[:-4], "--count", "1", "--timeout", "5"]
        assert subprocess.run(live, capture_output=True, text=True, timeout=120, env=env).stdout == ""
    finally:
        os.killpg(up.pid, signal.SIGINT)
        up.communicate(timeout=60)
    assert up.returncode == 0
