"""`ptfc up`: NATS, MongoDB, a local mailbox and the five services on one machine, with progress
shown while they start, until Ctrl-C."""

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from ptfc import buspermissions
from ptfc.dev.servers import Server, ensure_free, start_mongodb, start_nats, wait_for_port
from ptfc.events import STREAMS
from ptfc.programme import SERVICES
from ptfc.streams import declare_all


def _say(text: str) -> None:
    print(text, flush=True)


def up(args: argparse.Namespace) -> int:
    var = Path(args.var).resolve()
    (var / "log").mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    servers: list[Server] = []
    children: dict[str, subprocess.Popen] = {}

    def shutdown() -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean stop short
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        _say("\nstopping…")
        for name, child in reversed(children.items()):
            child.send_signal(signal.SIGINT)
            try:
                child.wait(15)
            except subprocess.TimeoutExpired:
                child.kill()
            _say(f"  {name} stopped")
        for server in reversed(servers):
            server.stop()
            _say(f"  {server.name} stopped")

    signal.signal(signal.SIGTERM, _interrupt)  # stop as cleanly on `kill` as on Ctrl-C
    try:
        nats_url = os.environ.get("NATS_URL")
        passwords: dict[str, str] = {}
        if not nats_url:
            _say("[infra] starting NATS JetStream (with authentication)…")
            server, passwords = start_bus(var, args.nats_port)
            servers.append(server)
            nats_url = server.url
        mongodb_uri = os.environ.get("MONGODB_URI")
        if not mongodb_uri:
            _say("[infra] starting the MongoDB server (SecantusDB)…")
            servers.append(start_mongodb(var / "mongodb", port=args.mongodb_port, log=var / "log" / "mongodb.log"))
            mongodb_uri = servers[-1].url
        _say(f"[infra] NATS at {nats_url}, MongoDB at {mongodb_uri.split('?')[0]}")
        for port in [args.mail_port, *SERVICES.values()]:
            ensure_free(port)
        mail = subprocess.Popen(
            [sys.executable, "-m", "ptfc.dev.mailbox", "--port", str(args.mail_port), "--dir", str(var / "mail")]
        )
        children["mailbox"] = mail
        wait_for_port(args.mail_port, 10, mail)
        _say(f"[infra] mailbox on 127.0.0.1:{args.mail_port}, messages kept in {var / 'mail'}")
        asyncio.run(declare_all(nats_url, passwords.get(buspermissions.ADMIN)))
        _say(f"[infra] streams declared: {', '.join(name for name, _ in STREAMS.values())}")

        env = {
            **os.environ,
            "NATS_URL": nats_url,
            "MONGODB_URI": mongodb_uri,
            "PTFC_SMTP_HOST": "127.0.0.1",
            "PTFC_SMTP_PORT": str(args.mail_port),
            "PTFC_ENV": "dev",  # the public development keys are allowed here, and only here
        }
        for name, port in SERVICES.items():
            log = open(var / "log" / f"{name}.log", "ab")  # noqa: SIM115 - the child keeps it
            children[name] = subprocess.Popen(
                [sys.executable, "-m", "ptfc.cli", "serve", name, "--port", str(port)],
                env={**env, "PTFC_PUBLIC_URL": f"http://127.0.0.1:{port}", **_bus_identity(name, passwords)},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        _wait_ready(children, started)
        _say("")
        for name, port in SERVICES.items():
            _say(f"  {name:<14} http://127.0.0.1:{port}/docs   events: http://127.0.0.1:{port}/asyncapi")
        _say(f"\nall five services ready in {time.monotonic() - started:.1f}s; logs in {var / 'log'}")
        _say("try: ptfc token --role cafcass --sub fca-1   (then send it as 'Authorization: Bearer …')")
        _say("Ctrl-C stops everything.")
        while all(child.poll() is None for child in children.values()):
            time.sleep(0.5)
        failed = [name for name, child in children.items() if child.poll() is not None]
        _say(f"stopped unexpectedly: {', '.join(failed)} (see {var / 'log'})")
        return 1
    except KeyboardInterrupt:
        return 0
    except Exception as error:
        _say(f"could not start: {error}")
        return 1
    finally:
        shutdown()


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def _wait_ready(children: dict[str, subprocess.Popen], started: float, timeout: float = 120) -> None:
    pending = dict(SERVICES)
    while pending:
        for name, port in list(pending.items()):
            if children[name].poll() is not None:
                raise RuntimeError(f"{name} exited during start; see var/log/{name}.log")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    del pending[name]
                    done = len(SERVICES) - len(pending)
                    _say(f"[{done}/{len(SERVICES)}] {name} ready ({time.monotonic() - started:.1f}s)")
            except httpx.HTTPError:
                pass
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"not ready after {timeout}s: {', '.join(pending)}")
        if pending:
            time.sleep(0.25)


def start_bus(var: Path, port: int | None = None) -> tuple[Server, dict[str, str]]:
    """NATS as `ptfc up` runs it: the platform's authorization, with passwords under `var/nats-auth`."""
    config, passwords = buspermissions.write_local_config(var / "nats-auth")
    (var / "log").mkdir(parents=True, exist_ok=True)
    return start_nats(var / "nats", port=port, log=var / "log" / "nats.log", config=config), passwords


def _bus_identity(service: str, passwords: dict[str, str]) -> dict[str, str]:
    # With a NATS_URL of one's own, its credentials come from the environment as they are.
    return {"PTFC_NATS_USER": service, "PTFC_NATS_PASSWORD": passwords[service]} if passwords else {}
