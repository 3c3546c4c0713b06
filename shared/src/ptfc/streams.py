"""JetStream streams: one per owning service, declared by deploy tooling only (`ptfc streams`,
`ptfc up`, the test harness) under the `streams-admin` identity. Services hold no right to
create, change or delete a stream (ptfc.buspermissions), so a compromised service cannot drop
the history or lengthen retention. Consumers bind with `declare=False`."""

from nats.js.api import StorageType, StreamConfig
from nats.js.errors import NotFoundError

from ptfc.bus import connect
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
        max_age=settings.stream_max_age.total_seconds(),
        description=f"Events published by the {owner} service",
    )


async def ensure_streams(settings: ServiceSettings, owners: list[str]) -> None:
    """Needs the `streams-admin` identity: no service may create or change a stream."""
    nc = await connect(settings)
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


async def declare_all(nats_url: str, admin_password: str | None = None) -> None:
    """Every stream, as `ptfc up` and the test harness declare them: as `streams-admin`, whose
    password is `admin_password` (None: the URL carries credentials, or the server asks none)."""
    from ptfc.buspermissions import ADMIN

    settings = ServiceSettings(nats_url=nats_url, nats_user=ADMIN, nats_password=admin_password)
    await ensure_streams(settings, list(STREAMS))
