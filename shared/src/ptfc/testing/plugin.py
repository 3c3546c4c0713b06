"""pytest plugin (loaded with `-p ptfc.testing.plugin`): servers once per session, clean streams
and a database of its own for every test, services run in-process, and an event tap."""

import asyncio
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, suppress
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar
from uuid import uuid4

import httpx
import jwt
import nats
import pytest
import uvicorn
from fastapi import FastAPI
from nats.js.errors import NotFoundError

from ptfc import problems, serving
from ptfc.auth import issue_token
from ptfc.buspermissions import ADMIN
from ptfc.dev.servers import free_port
from ptfc.events import STREAMS, Envelope
from ptfc.settings import DEV_JWT_PRIVATE_KEY, ServiceSettings
from ptfc.streams import ensure_streams
from ptfc.testing.servers import Infra, test_servers

S = TypeVar("S", bound=ServiceSettings)

# Tests run with the public development keys; anywhere else they stop a service from starting.
os.environ.setdefault("PTFC_ENV", "dev")

# Fast but realistic timings for tests; each is an ordinary setting.
FAST = {
    "relay_interval": timedelta(milliseconds=50),
    "relay_gather": timedelta(0),
    "sweep_interval": timedelta(milliseconds=200),
    "redelivery_backoff": timedelta(milliseconds=100),
    "max_deliver": 3,
    "graceful_timeout": 2.0,
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        parts = Path(str(item.fspath)).parts
        for kind in ("unit", "integration", "e2e", "faults"):
            if kind in parts:
                item.add_marker(getattr(pytest.mark, kind))


@pytest.fixture(autouse=True)
def problems_documented() -> Iterator[None]:
    """Every problem a service answers in a test is one its OpenAPI lists for that operation."""
    problems.UNDOCUMENTED.clear()
    yield
    found = sorted(set(problems.UNDOCUMENTED))
    assert not found, (
        "problem types the OpenAPI document does not list for the operation: add each to the service's "
        f"refusals.ROUTES (or ptfc.openapi for every route): {found}"
    )


@pytest.fixture(scope="session")
def infra(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with test_servers(tmp_path_factory.mktemp("infra")) as servers:
        yield servers


async def reset_streams(nats_url: str) -> None:
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        for name, _ in STREAMS.values():
            with suppress(NotFoundError):
                await js.delete_stream(name)
    finally:
        await nc.close()
    await ensure_streams(ServiceSettings(nats_url=nats_url), list(STREAMS))


@pytest.fixture
async def clean_streams(infra: Infra) -> None:
    """Every test starts with empty streams and no consumers, as deploy tooling declares them."""
    await reset_streams(infra.nats_url)


@pytest.fixture
def make_settings(infra: Infra, clean_streams: None) -> Callable[..., Any]:
    def make(cls: type[S], **overrides: Any) -> S:
        base = cls(nats_url=infra.nats_url, mongodb_uri=infra.mongodb_uri)
        service = overrides.get("service", base.service)
        # A real service connects as itself. A probe built on the bare ServiceSettings (shared
        # tests) has handlers no service has, so no identity of its own: it runs as the admin.
        own = cls is not ServiceSettings and service in infra.passwords
        nats = {"nats_url": infra.nats_url_as(service if own else ADMIN)}
        values = {**FAST, "database": f"t{uuid4().hex[:12]}_{service}", **nats, **overrides}
        return cls(mongodb_uri=infra.mongodb_uri, **values)

    return make


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Start a service in-process (lifespan included) and give an HTTP client for it."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://service.test") as client:
            yield client


@asynccontextmanager
async def serve(app: Any, port: int | None = None) -> AsyncIterator[str]:
    """One app under uvicorn on a (free) port of this machine, lifespan included: for tests where
    services call each other over real HTTP (the Parent Hub, the leak check). Yields its base URL."""
    port = port or free_port()
    # As `ptfc serve` runs it (ptfc.serving): logging left alone, forwarded headers not believed.
    server = uvicorn.Server(serving.config(app, "127.0.0.1", port))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def bearer(role: str, sub: str, provider: str | None = None, court: str | None = None) -> Mapping[str, str]:
    if role == "parent":
        return ParentBearer(sub)
    return {"Authorization": f"Bearer {issue_token(DEV_JWT_PRIVATE_KEY, role, sub, provider, court)}"}


class ParentBearer(Mapping[str, str]):
    """`Authorization` for a parent. A parent's token lives a minute at most (every service refuses a
    longer one), so headers a test holds longer are signed afresh each time they are sent, as the hub
    refreshes them from the parent's session. Given `first` (learning's own token, from activation or
    sign-in), that one is sent while it is current."""

    def __init__(self, sub: str, first: str | None = None) -> None:
        self.sub, self.first = sub, first

    @classmethod
    def of(cls, session: dict[str, Any]) -> "ParentBearer":
        """From learning's answer to an activation or a sign-in."""
        token = session["access_token"]
        return cls(jwt.decode(token, options={"verify_signature": False})["sub"], token)

    def token(self) -> str:
        if self.first:
            expires = jwt.decode(self.first, options={"verify_signature": False})["exp"]
            if expires - time.time() > 10:
                return self.first
        return issue_token(DEV_JWT_PRIVATE_KEY, "parent", self.sub)

    def __getitem__(self, key: str) -> str:
        if key != "Authorization":
            raise KeyError(key)
        return f"Bearer {self.token()}"

    def __iter__(self) -> Iterator[str]:
        return iter(["Authorization"])

    def __len__(self) -> int:
        return 1

    def __or__(self, other: Mapping[str, str]) -> dict[str, str]:
        return {**self, **other}


T = TypeVar("T")


async def eventually(check: Callable[[], Awaitable[T]], timeout: float = 10.0, interval: float = 0.05) -> T:  # noqa: ASYNC109
    """Poll `check` until it returns something truthy; fail with its last answer otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last: {result!r})")
        await asyncio.sleep(interval)


class EventTap:
    """Reads every event the streams hold, as a partner subscribed to the catalogue would."""

    def __init__(self, nats_url: str) -> None:
        self.nats_url = nats_url

    async def all(self) -> list[Envelope]:
        nc = await nats.connect(self.nats_url)
        try:
            js = nc.jetstream()
            found: list[Envelope] = []
            for name, _ in STREAMS.values():
                info = await js.stream_info(name)
                for seq in range(info.state.first_seq, info.state.last_seq + 1):
                    if info.state.messages == 0:
                        break
                    msg = await js.get_msg(name, seq)
                    found.append(Envelope.model_validate_json(msg.data))
            return sorted(found, key=lambda e: e.occurred_at)
        finally:
            await nc.close()

    async def of(self, event_type: str) -> list[Envelope]:
        return [e for e in await self.all() if e.type == event_type]

    async def wait_for(self, event_type: str, count: int = 1, timeout: float = 10.0) -> list[Envelope]:  # noqa: ASYNC109
        async def enough() -> list[Envelope]:
            found = await self.of(event_type)
            return found if len(found) >= count else []

        return await eventually(enough, timeout)


@pytest.fixture
def mailbox() -> Any:
    """A real SMTP server on a free port that keeps what it receives."""
    from ptfc.testing.mailbox import Mailbox

    box = Mailbox()
    box.start()
    yield box
    box.stop()


@pytest.fixture
def tap(infra: Infra, clean_streams: None) -> EventTap:
    return EventTap(infra.nats_url)
