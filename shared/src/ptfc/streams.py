"""JetStream streams: one per owning service, declared by its owner (or deploy tooling) only.

Consumers bind with `declare=False`, so a consumer's start never rewrites the owner's
configuration."""

import nats
from nats.js.api import StorageType, StreamConfig
from nats.js.errors import NotFoundError

from ptfc.events import STREAMS
from ptfc.settings import ServiceSettings


def stream_config(owner: str, settings: ServiceSettings) -> StreamConfig:
    name, subjects = STREAMS[owner]
    return StreamConfig(
        name=name,
        subjects=subjects,
        storage=StorageType.FILE,
        num_replicas=settings.stream_replicas,
        duplicate_window=settings.duplicate_window.total_seconds(),
        description=f"Events published by the {owner} service",
    )


async def ensure_streams(settings: ServiceSettings, owners: list[str]) -> None:
    nc = await nats.connect(settings.nats_url, connect_timeout=5, max_reconnect_attempts=3)
    try:
        js = nc.jetstream()
        for owner in owners:
            config = stream_config(owner, settings)
            try:
                await js.stream_info(config.name)
                await js.update_stream(config)
            except NotFoundError:
                await js.add_stream(config)
    finally:
        await nc.close()


async def declare_all(nats_url: str) -> None:
    """Every stream, as deploy tooling (`ptfc streams`) and `ptfc up` declare them."""
    await ensure_streams(ServiceSettings(nats_url=nats_url), list(STREAMS))
