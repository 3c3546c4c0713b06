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
from ptfc.programme import SERVICES
from ptfc.testing.plugin import bearer

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "partner_consumer.py"


def partner_credentials(var: Path) -> list[str]:
    """The demo partner's bus identity, where `ptfc up` runs NATS with authentication."""
    for name in ("nats-auth", "nats"):
        path = var / name / "credentials.json"
        if path.exists():
            return ["--user", "partner", "--password", json.loads(path.read_text())["partner"]]
    return []


def test_the_example_consumer_receives_referral_created_from_a_running_platform(tmp_path):
    nats_port = free_port()
    command = [sys.executable, "-m", "ptfc.cli", "up", "--var", str(tmp_path), "--nats-port", str(nats_port)]
    command += ["--mongodb-port", str(free_port()), "--mail-port", str(free_port())]
    env = {k: v for k, v in os.environ.items() if k not in ("NATS_URL", "MONGODB_URI")}
    up = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        lines = []
        for line in up.stdout:
            lines.append(line)
            if "all five services ready" in line or "could not start" in line:
                break
        assert "all five services ready" in lines[-1], "".join(lines)

        body = json.loads((ROOT / "services" / "referrals" / "example-referral.json").read_text())
        headers = bearer("cafcass", "fca-partner-test") | {"Idempotency-Key": str(uuid.uuid4())}
        url = f"http://127.0.0.1:{SERVICES['referrals']}/referrals"
        created = httpx.post(url, json=body, headers=headers, timeout=30)
        assert created.status_code == 201, created.text
        referral_id = created.json()["id"]

        consumer = [sys.executable, str(EXAMPLE), "--url", f"nats://127.0.0.1:{nats_port}", "--name", "e2e"]
        consumer += [*partner_credentials(tmp_path), "--count", "1", "--timeout", "60"]
        run = subprocess.run(consumer, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stdout + run.stderr
        [event] = [json.loads(line) for line in run.stdout.splitlines()]
        assert event["type"] == "referral.created" and event["correlation_id"] == referral_id
        assert event["producer"] == "referrals"
        for parent in body["parents"]:  # the example prints ids, never contact details
            assert parent["email"] not in run.stdout and parent["phone"] not in run.stdout
    finally:
        up.send_signal(signal.SIGINT)
        up.communicate(timeout=60)
    assert up.returncode == 0
