"""One service running in-process for its integration tests, on the session's NATS and MongoDB servers
and a clock the tests move: a service's own `Kit` subclasses `ServiceKit` with what its tests do, and
its conftest takes its fixtures from `fixtures`."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, Self

import httpx
import pytest
from fastapi import FastAPI

from ptfc.clock import FakeClock
from ptfc.testing.plugin import running


class ServiceKit:
    """The app, an HTTP client for it, the NATS URL (to publish other services' events), the clock and
    the app's database (what the API does not show)."""

    def __init__(self, app: Any, client: httpx.AsyncClient, nats_url: str, clock: FakeClock) -> None:
        self.app, self.client, self.nats_url, self.clock = app, client, nats_url, clock
        self.db = app.state.rt.store.db

    @classmethod
    @asynccontextmanager
    async def started(
        cls, create_app: Callable[[Any, FakeClock], FastAPI], settings: Any, nats_url: str
    ) -> AsyncIterator[Self]:
        """The app made by `create_app(settings, clock)` running, its clock at this whole second (a time
        read back from the store, kept to the millisecond, equals the one written)."""
        clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
        app = create_app(settings, clock)
        async with running(app) as client:
            yield cls(app, client, nats_url, clock)


def fixtures(kit: type[ServiceKit], create_app: Callable[[Any, FakeClock], FastAPI], settings_class: type) -> tuple:
    """A service's `settings` (its own class, with this test's database and streams) and `kit` (the
    service running) fixtures: `settings, kit = fixtures(Kit, create_app, Settings)` in its conftest. A
    test module that defines its own `settings` fixture runs the kit with those."""

    @pytest.fixture(name="settings")
    def settings_fixture(make_settings: Callable[..., Any]) -> Any:
        return make_settings(settings_class)

    @pytest.fixture(name="kit")
    async def kit_fixture(settings: Any, infra: Any) -> AsyncIterator[ServiceKit]:
        async with kit.started(create_app, settings, infra.nats_url) as started:
            yield started

    return settings_fixture, kit_fixture
