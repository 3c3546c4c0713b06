"""`ptfc up` from nothing: infrastructure, streams and five services, over real HTTP."""

import os
import signal
import subprocess
import sys
import time

import httpx

from ptfc.cli import HUB_PORT, SERVICES
from ptfc.infra import free_port


def test_ptfc_up_brings_every_service_to_ready_and_stops_cleanly(tmp_path):
    command = [
        sys.executable,
        "-m",
        "ptfc.cli",
        "up",
        "--var",
        str(tmp_path),
        "--nats-port",
        str(free_port()),
        "--mongodb-port",
        str(free_port()),
        "--mail-port",
        str(free_port()),
    ]
    started = time.monotonic()
    up = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={k: v for k, v in os.environ.items() if k not in ("NATS_URL", "MONGODB_URI")},
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
        for name, port in SERVICES.items():
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
        # the Parent Hub is shown and serves its pages, with the services behind it ready
        assert any(f"http://127.0.0.1:{HUB_PORT}/" in line for line in lines), "\n".join(lines)
        assert "Parent Hub" in httpx.get(f"http://127.0.0.1:{HUB_PORT}/", timeout=5).text
        assert httpx.get(f"http://127.0.0.1:{HUB_PORT}/readyz", timeout=5).status_code == 200
    finally:
        up.send_signal(signal.SIGINT)
        rest, _ = up.communicate(timeout=60)
    assert up.returncode == 0, rest
    assert "nats stopped" in rest and "mongodb stopped" in rest
    for port in [*SERVICES.values(), HUB_PORT]:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            raise AssertionError(f"port {port} still answers after stop")
        except httpx.ConnectError:
            pass
