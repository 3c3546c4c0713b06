"""Where the test servers come from: `NATS_URL`/`MONGODB_URI` if set, testcontainers when a
Docker engine answers, the embedded servers otherwise.

The embedded NATS server runs with the platform's own authorization (ptfc.buspermissions),
credentials generated in the session's temporary directory: services under test connect as
themselves, so a permission the code needs but the configuration lacks fails here first."""

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ptfc.buspermissions import ADMIN, write_local_config
from ptfc.dev.servers import Server, start_mongodb, start_nats


@dataclass
class Infra:
    nats_url: str  # as the streams-admin (test tools that declare streams or play a producer)
    mongodb_uri: str
    # Restart the embedded NATS server in place (same port and data), for fault tests; None elsewhere.
    restart_nats: Callable[[], None] | None = None
    bare_nats_url: str = ""  # no credentials: what a stranger on the network reaches
    passwords: dict[str, str] = field(default_factory=dict)  # identity -> password; empty: no auth

    def nats_url_as(self, identity: str) -> str:
        """The server's address with `identity`'s credentials in it."""
        if not self.passwords:
            return self.nats_url
        return self.bare_nats_url.replace("nats://", f"nats://{identity}:{self.passwords[identity]}@", 1)


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=2).ping()
        return True
    except Exception:
        return False


@contextmanager
def _containers() -> Iterator[Infra]:
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.waiting_utils import wait_for_logs
    from testcontainers.mongodb import MongoDbContainer

    nats = DockerContainer("nats:2.10").with_command("-js").with_exposed_ports(4222)
    # Transactions need a replica set: a single-node one is enough.
    mongo = MongoDbContainer("mongo:7.0").with_command("--replSet rs0 --bind_ip_all")
    with nats, mongo:
        wait_for_logs(nats, "Server is ready")
        mongo.exec('mongosh --quiet --eval "rs.initiate()"')
        yield Infra(
            f"nats://{nats.get_container_host_ip()}:{nats.get_exposed_port(4222)}",
            f"mongodb://{mongo.get_container_host_ip()}:{mongo.get_exposed_port(27017)}/?directConnection=true",
        )


@contextmanager
def _embedded(tmp: Path) -> Iterator[Infra]:
    servers: dict[str, Server] = {}
    passwords: dict[str, str] = {}
    if os.environ.get("NATS_URL") is None:
        config, passwords = write_local_config(tmp / "nats-auth")
        servers["nats"] = start_nats(tmp / "nats", config=config)
    if os.environ.get("MONGODB_URI") is None:
        servers["mongodb"] = start_mongodb(tmp / "mongodb")

    def restart_nats() -> None:
        port = int(servers["nats"].url.rsplit(":", 1)[1])
        servers["nats"].kill()
        servers["nats"] = start_nats(tmp / "nats", port=port, config=config)

    try:
        bare = os.environ.get("NATS_URL") or servers["nats"].url
        infra = Infra(
            bare,
            os.environ.get("MONGODB_URI") or servers["mongodb"].url,
            restart_nats if "nats" in servers else None,
            bare,
            passwords,
        )
        infra.nats_url = infra.nats_url_as(ADMIN)
        yield infra
    finally:
        for server in servers.values():
            server.stop()


@contextmanager
def test_servers(tmp: Path) -> Iterator[Infra]:
    bring_own = os.environ.get("NATS_URL") or os.environ.get("MONGODB_URI")
    if not bring_own and _docker_answers():
        with _containers() as infra:
            yield infra
    else:
        with _embedded(tmp) as infra:
            yield infra


def free_base_port() -> int:
    """A base port for `ptfc up --base-port` whose six ports (hub and services) are all free:
    tests never take fixed ports. Drawn below the kernel's ephemeral range (32768 and up), where
    the ports the servers themselves open while starting are never handed out."""
    import random
    import socket

    from ptfc.dev.up import ports

    def free(port: int) -> bool:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                return False
            return True

    for _ in range(200):
        base = random.randrange(20000, 32000)
        if all(free(p) for p in ports(base).values()):
            return base
    raise RuntimeError("no six free ports in a row")
