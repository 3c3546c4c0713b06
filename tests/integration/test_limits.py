"""Limits on every public door (ptfc.limits), in every service: a huge body is refused before it
is parsed or its caller authenticated, and a client hammering a public route gets a 429."""

import importlib

import pytest

from ptfc.testing.plugin import running

SERVICES = ["referrals", "learning", "workshops", "plans", "notifications"]


def app_of(service: str, make_settings, **overrides):
    module = importlib.import_module(f"{service}.app")
    settings_class = importlib.import_module(f"{service}.config").Settings
    return module.create_app(make_settings(settings_class, **overrides))


async def chunks():
    for _ in range(20):  # sent without a Content-Length: counted as it arrives
        yield b"x" * 65_536


@pytest.mark.parametrize("service", SERVICES)
async def test_a_huge_body_is_refused_before_authentication(service, make_settings):
    async with running(app_of(service, make_settings)) as client:
        # No token: a small body is refused as unauthenticated, a huge one for its size first.
        small = await client.post("/ops/dead-letters/0/replay", content=b"{}")
        huge = await client.post("/ops/dead-letters/0/replay", content=b"[" + b"1," * 600_000 + b"1]")
        streamed = await client.post("/ops/dead-letters/0/replay", content=chunks())
    assert small.status_code == 401
    assert huge.status_code == streamed.status_code == 413
    assert huge.json()["type"].endswith("/body-too-large")


async def test_a_client_asking_too_often_for_sign_in_links_gets_a_429(make_settings):
    app = app_of("learning", make_settings, rate_limits={"POST /sign-in": 3}, trusted_proxy_hops=1)
    async with running(app) as client:

        def ask(client_ip: str):
            # The ingress appends the address it saw; what the caller put before it is not trusted.
            forwarded = {"X-Forwarded-For": f"203.0.113.99, {client_ip}"}
            return client.post("/sign-in", json={"email": "a@parents.example"}, headers=forwarded)

        answers = [await ask("198.51.100.1") for _ in range(4)]
        other = await ask("198.51.100.2")
    assert [a.status_code for a in answers] == [202, 202, 202, 429]
    assert answers[-1].json()["type"].endswith("/too-many-requests")
    assert int(answers[-1].headers["Retry-After"]) >= 1
    assert other.status_code == 202  # another client is not held back by the first
