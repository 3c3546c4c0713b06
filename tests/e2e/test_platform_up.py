"""`make up` from nothing: infrastructure, streams, five services, the Parent Hub, the development
OpenID Connect provider and the staff console (an FCA signs in through it), over real HTTP; then
Ctrl-C typed at its terminal (a pseudo-terminal here): clean, quick, not reported as a crash, and
`make` itself exits 0."""

import asyncio
import json
import time

import httpx
import nats
import pytest

from ptfc.dev.servers import free_port
from ptfc.dev.up import CONSOLE, HUB, OIDC, ports
from ptfc.programme import SERVICES
from ptfc.testing.servers import free_base_port
from ptfc.testing.terminal import Terminal, shell_env


async def refused_without_credentials(port: int, var) -> None:
    url = f"nats://127.0.0.1:{port}"
    with pytest.raises(Exception, match=r"(?i)authorization"):
        await nats.connect(url, allow_reconnect=False, connect_timeout=2)
    passwords = json.loads((var / "nats-auth" / "credentials.json").read_text())
    assert (var / "nats-auth" / "credentials.json").stat().st_mode & 0o077 == 0  # the owner's alone
    partner = await nats.connect(url, user="partner", password=passwords["partner"], allow_reconnect=False)
    await partner.close()


def sign_in_as(console: str, issuer: str, sub: str) -> httpx.Client:
    """The console's sign-in as a browser does it, without one: to the provider (its authorisation
    form, a seeded person's button), back to the console's callback, signed in."""
    client = httpx.Client(timeout=10)
    start = client.get(f"{console}/sign-in/start", params={"issuer": issuer})
    assert start.status_code in (302, 303) and start.headers["location"].startswith(issuer), start.text
    chosen = client.post(start.headers["location"], data={"sub": sub})
    assert chosen.status_code in (302, 303), chosen.text
    back = client.get(chosen.headers["location"])
    assert back.status_code in (302, 303), back.text
    return client


def test_make_up_brings_every_service_to_ready_and_stops_cleanly_on_ctrl_c(tmp_path):
    nats_port, where = free_port(), ports(free_base_port())
    options = ["--var", str(tmp_path), "--nats-port", str(nats_port), "--mongodb-port", str(free_port())]
    options += ["--mail-port", str(free_port()), "--base-port", str(where[HUB])]
    started = time.monotonic()
    # As from a person's shell: the Makefile's `python3` is the machine's, not this test's virtualenv.
    up = Terminal(["make", "--no-print-directory", "up", f"UP_ARGS={' '.join(options)}"], shell_env())
    try:
        lines = up.wait_for("all five services ready", "could not start", timeout=180)
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
            assert ready.json()["checks"] == {"store": True}  # the broker is reported apart:
            assert httpx.get(f"http://127.0.0.1:{port}/readyz/broker", timeout=5).status_code == 200, name
            assert httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=5).status_code == 200
            assert "asyncapi" in httpx.get(f"http://127.0.0.1:{port}/asyncapi.json", timeout=5).json()
        # The services above reached NATS with their own credentials; nobody gets in without any.
        asyncio.run(refused_without_credentials(nats_port, tmp_path))
        # the Parent Hub is shown and serves its pages, with the services behind it ready
        hub = f"http://127.0.0.1:{where[HUB]}"
        assert any(f"{hub}/" in line for line in lines), "\n".join(lines)
        assert "Parent Hub" in httpx.get(f"{hub}/", timeout=5).text
        assert httpx.get(f"{hub}/readyz", timeout=5).status_code == 200
        # the staff console is shown; an FCA signs in through the development provider, and referrals
        # (which verifies the ID token the console forwards by the provider's published keys) answers
        console, issuer = f"http://127.0.0.1:{where[CONSOLE]}", f"http://127.0.0.1:{where[OIDC]}"
        assert any(f"Staff console  {console}/" in line for line in lines), "\n".join(lines)
        fca = sign_in_as(console, issuer, "fca-sam-patel")
        try:
            page = fca.get(f"{console}/referrals")
        finally:
            fca.close()
        assert page.status_code == 200 and "My referrals" in page.text, page.text
        assert "fca-sam-patel" in page.text
    finally:
        stopping = time.monotonic()
        up.type_ctrl_c()
        up.process.wait(timeout=60)
        stopped_in = time.monotonic() - stopping
        up.reader.join(timeout=5)
        rest = "\n".join(up.output)
    assert up.process.returncode == 0, rest  # `make` too: no "Interrupt", no error
    assert "Interrupt" not in rest and "stopped unexpectedly" not in rest, rest
    assert stopped_in < 10, f"stopping took {stopped_in:.1f}s"
    assert "nats stopped" in rest and "mongodb stopped" in rest
    for port in where.values():
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            raise AssertionError(f"port {port} still answers after stop")
        except httpx.ConnectError:
            pass
