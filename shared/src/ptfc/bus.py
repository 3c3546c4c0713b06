"""Connections to NATS under the caller's own identity (ptfc.buspermissions)."""

import ssl
from typing import Any

import nats
from faststream.nats import NatsBroker
from faststream.nats.security import NatsUserPassword
from faststream.security import BaseSecurity
from nats.aio.client import Client

from ptfc.buspermissions import inbox_prefix
from ptfc.settings import ServiceSettings


def _credentials(settings: ServiceSettings) -> dict[str, Any]:
    # Without a password the URL may still carry `user:password@` (nats-py reads it from there).
    if settings.nats_password is None:
        return {}
    return {"user": settings.nats_identity, "password": settings.nats_password.get_secret_value()}


def _tls(settings: ServiceSettings) -> ssl.SSLContext | None:
    """TLS to the server, trusting the CA in `nats_ca_file` (production: the cluster's own CA)."""
    return ssl.create_default_context(cafile=settings.nats_ca_file) if settings.nats_ca_file else None


async def connect(settings: ServiceSettings) -> Client:
    tls = {"tls": context} if (context := _tls(settings)) else {}
    return await nats.connect(
        settings.nats_url,
        connect_timeout=5,
        max_reconnect_attempts=3,
        inbox_prefix=inbox_prefix(settings.nats_identity),
        **_credentials(settings),
        **tls,
    )


def broker(settings: ServiceSettings, **options: Any) -> NatsBroker:
    """The service's broker; `options` go to NatsBroker as they are (a logger, say)."""
    creds, context = _credentials(settings), _tls(settings)
    if creds:
        security: BaseSecurity | None = NatsUserPassword(creds["user"], creds["password"], ssl_context=context)
    else:
        security = BaseSecurity(ssl_context=context) if context else None
    return NatsBroker(
        settings.nats_url,
        graceful_timeout=settings.graceful_timeout,
        inbox_prefix=inbox_prefix(settings.nats_identity),
        security=security,
        **options,
    )
