"""`ptfc up` from nothing: infrastructure, streams, five services and the Parent Hub, over real HTTP;
then a stop as a terminal's Ctrl-C gives it: clean, quick, and not reported as a crash."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import time

import httpx
import nats
import pytest

from ptfc.dev.servers import free_port
from ptfc.dev.up import HUB, ports
from ptfc.programme import SERVICES
from ptfc.testing.servers import free_base_port


async def refused_without_credentials(port: int, var) -> None:
    url = f"nats://127.0.0.1:{port}"
    with pytest.raises(Exception, match=r"(?i)authorization"):
        await nats.connect(url, allow_reconnect=False, connect_timeout=2)
    passwords = json.loads((var / "nats-auth" / "credentials.json").read_text())
    assert (var / "nats-auth" / "credentials.json").stat().st_mode & 0o077 == 0  # the owner's alone
    partner = await nats.connect(url, user="partner", password=passwords["partner"], allow_reconnect=False)
    await partner.close()


def test_ptfc_up_brings_every_service_to_ready_and_stops_cleanly(tmp_path):
    nats_port, where = free_port(), ports(free_base_port())
    command = [sys.executable, "-m", "ptfc.cli", "up", "--var", str(tmp_path), "--nats-port", str(nats_port)]
    command += ["--mongodb-port", str(free_port()), "--mail-port", str(free_port()), "--base-port", str(where[HUB])]
    started = time.monotonic()
    up = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={k: v for k, v in os.environ.items() if k not in ("NATS_URL", "MONGODB_URI")},
        start_new_session=True,  # its own process group, as a terminal gives it
    )
    lines: list[str] = []
    try:
        for line in up.stdout:
            lines.append(line.rstrip())
            if "all five services ready" in line or "could not start" in line:
                break
        assert any("all five services ready" in line for line in lines), "\n".join(lines)
        print(f"ptfc up: ready in {time.monotonic() - started:.1f}s")
        # progress was shown while starting, one line per service
        assert [line.split("]")[0] for line in lines if line.startswith("[") and "ready" in line] == [
            f"[{i}/5" for i in range(1, 6)
        ]
        for name in SERVICES:
            port = where[name]
            # each service's API docs and event docs are shown to the person who started it
            assert any(
                name in line and f"http://127.0.0.1:{port}/docs" in line and f"127.0.0.1:{port}/asyncapi" in line
                for line in lines
            ), "\n".join(lines)
            ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
            assert ready.status_code == 200, name
            assert ready.json()["checks"] == {"store": True, "broker": True}
            assert httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=5).status_code == 200
            assert "asyncapi" in httpx.get(f"http://127.0.0.1:{port}/asyncapi.json", timeout=5).json()
        # The services above reached NATS with their own credentials; nobody gets in without any.
        asyncio.run(refused_without_credentials(nats_port, tmp_path))
        # the Parent Hub is shown and serves its pages, with the services behind it ready
        hub = f"http://127.0.0.1:{where[HUB]}"
        assert any(f"{hub}/" in line for line in lines), "\n".join(lines)
        assert "Parent Hub" in httpx.get(f"{hub}/", timeout=5).text
        assert httpx.get(f"{hub}/readyz", timeout=5).status_code == 200
    finally:
        # Ctrl-C in a terminal signals the whole foreground process group at once.
        stopping = time.monotonic()
        os.killpg(up.pid, signal.SIGINT)
        rest, _ = up.communicate(timeout=60)
        stopped_in = time.monotonic() - stopping
    assert up.returncode == 0, rest
    assert "stopped unexpectedly" not in rest, rest
    assert stopped_in < 10, f"stopping took {stopped_in:.1f}s"
    assert "nats stopped" in rest and "mongodb stopped" in rest
    for port in where.values():
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            raise AssertionError(f"port {port} still answers after stop")
        except httpx.ConnectError:
            pass
