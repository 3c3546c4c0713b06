"""Connections to NATS under the caller's own identity (ptfc.buspermissions)."""

from typing import Any

import nats
from faststream.nats import NatsBroker
from faststream.nats.security import NatsUserPassword
from nats.aio.client import Client

from ptfc.buspermissions import inbox_prefix
from ptfc.settings import ServiceSettings


def _credentials(settings: ServiceSettings) -> dict[str, Any]:
    # Without a password the URL may still carry `user:password@` (nats-py reads it from there).
    if settings.nats_password is None:
        return {}
    return {"user": settings.nats_identity, "password": settings.nats_password.get_secret_value()}


async def connect(settings: ServiceSettings) -> Client:
    return await nats.connect(
        settings.nats_url,
        connect_timeout=5,
        max_reconnect_attempts=3,
        inbox_prefix=inbox_prefix(settings.nats_identity),
        **_credentials(settings),
    )


def broker(settings: ServiceSettings, **options: Any) -> NatsBroker:
    """The service's broker; `options` go to NatsBroker as they are (a logger, say)."""
    creds = _credentials(settings)
    security = NatsUserPassword(creds["user"], creds["password"]) if creds else None
    return NatsBroker(
        settings.nats_url,
        graceful_timeout=settings.graceful_timeout,
        inbox_prefix=inbox_prefix(settings.nats_identity),
        security=security,
        **options,
    )
