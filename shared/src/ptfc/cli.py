"""`ptfc`: run the platform on one machine, mint development tokens, declare streams.

ptfc up                      NATS, MongoDB, a mailbox, the five services and the Parent Hub, until Ctrl-C
ptfc serve SERVICE           one service under uvicorn (what a container runs)
ptfc token --role R --sub S  a bearer token signed with the local development key
ptfc streams                 declare every stream (deploy tooling)
"""

import argparse
import asyncio
import importlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from ptfc.auth import ROLES, issue_token
from ptfc.events import STREAMS
from ptfc.infra import Server, ensure_free, start_mongodb, start_nats, wait_for_port
from ptfc.settings import DEV_JWT_SECRET, ServiceSettings

SERVICES = {"referrals": 8001, "learning": 8002, "workshops": 8003, "plans": 8004, "notifications": 8005}
HUB_PORT = 8000  # the Parent Hub: parents' pages in front of the services; emailed links point at it


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
        if not nats_url:
            _say("[infra] starting NATS JetStream…")
            servers.append(start_nats(var / "nats", port=args.nats_port, log=var / "log" / "nats.log"))
            nats_url = servers[-1].url
        mongodb_uri = os.environ.get("MONGODB_URI")
        if not mongodb_uri:
            _say("[infra] starting the MongoDB server (SecantusDB)…")
            servers.append(start_mongodb(var / "mongodb", port=args.mongodb_port, log=var / "log" / "mongodb.log"))
            mongodb_uri = servers[-1].url
        _say(f"[infra] NATS at {nats_url}, MongoDB at {mongodb_uri.split('?')[0]}")
        for port in [args.mail_port, *SERVICES.values(), HUB_PORT]:
            ensure_free(port)
        mail = subprocess.Popen(
            [sys.executable, "-m", "ptfc.mailbox", "--port", str(args.mail_port), "--dir", str(var / "mail")]
        )
        children["mailbox"] = mail
        wait_for_port(args.mail_port, 10, mail)
        _say(f"[infra] mailbox on 127.0.0.1:{args.mail_port}, messages kept in {var / 'mail'}")
        asyncio.run(_declare(nats_url))
        _say(f"[infra] streams declared: {', '.join(name for name, _ in STREAMS.values())}")

        env = {
            **os.environ,
            "NATS_URL": nats_url,
            "MONGODB_URI": mongodb_uri,
            "PTFC_SMTP_HOST": "127.0.0.1",
            "PTFC_SMTP_PORT": str(args.mail_port),
            "PTFC_HUB_URL": f"http://127.0.0.1:{HUB_PORT}",
        }
        for name, port in SERVICES.items():
            log = open(var / "log" / f"{name}.log", "ab")  # noqa: SIM115 - the child keeps it
            children[name] = subprocess.Popen(
                [sys.executable, "-m", "ptfc.cli", "serve", name, "--port", str(port)],
                env={**env, "PTFC_PUBLIC_URL": f"http://127.0.0.1:{port}"},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        _wait_ready(children, started)
        hub_log = open(var / "log" / "hub.log", "ab")  # noqa: SIM115 - the child keeps it
        # Plain http on this machine only: the hub refuses insecure cookies anywhere else.
        hub_env = {**env, "PTFC_PUBLIC_URL": f"http://127.0.0.1:{HUB_PORT}", "PTFC_COOKIE_SECURE": "false"}
        children["hub"] = subprocess.Popen(
            [sys.executable, "-m", "ptfc.cli", "serve", "hub", "--port", str(HUB_PORT)],
            env=hub_env,
            stdout=hub_log,
            stderr=subprocess.STDOUT,
        )
        wait_for_port(HUB_PORT, 30, children["hub"])
        _say("")
        for name, port in SERVICES.items():
            _say(f"  {name:<14} http://127.0.0.1:{port}/docs   events: http://127.0.0.1:{port}/asyncapi")
        _say(f"\n  Parent Hub     http://127.0.0.1:{HUB_PORT}/   (parents' pages; emailed links open here)")
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


async def _declare(nats_url: str) -> None:
    from ptfc.streams import ensure_streams

    await ensure_streams(ServiceSettings(nats_url=nats_url), list(STREAMS))


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from ptfc.logs import configure

    configure(args.service)
    module = importlib.import_module(f"{args.service}.app")
    app = module.create_app()
    uvicorn.run(app, host=args.host, port=args.port, log_config=None, timeout_graceful_shutdown=10)
    return 0


def token(args: argparse.Namespace) -> int:
    # Always the public development key, never the environment's: a production secret must not
    # become a way to mint tokens from a shell, and a development token is refused where it is set.
    print(issue_token(DEV_JWT_SECRET, args.role, args.sub, args.provider, args.court))
    return 0


def streams(args: argparse.Namespace) -> int:
    asyncio.run(_declare(ServiceSettings().nats_url))
    print("declared:", ", ".join(name for name, _ in STREAMS.values()))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ptfc", description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("up", help="run the whole platform locally")
    p.add_argument("--var", default="var", help="where data, logs and mail are kept")
    p.add_argument("--nats-port", type=int, default=4222)
    p.add_argument("--mongodb-port", type=int, default=27017)
    p.add_argument("--mail-port", type=int, default=1025)
    p.set_defaults(run=up)
    p = commands.add_parser("serve", help="run one service")
    p.add_argument("service", choices=[*SERVICES, "hub"])
    p.add_argument("--host", default="0.0.0.0")  # noqa: S104 - a container's service listens on all interfaces
    p.add_argument("--port", type=int, default=8000)
    p.set_defaults(run=serve)
    p = commands.add_parser("token", help="mint a bearer token signed with the development key")
    p.add_argument("--role", required=True, choices=ROLES)
    p.add_argument("--sub", required=True)
    p.add_argument("--provider")
    p.add_argument("--court")
    p.set_defaults(run=token)
    p = commands.add_parser("streams", help="declare every JetStream stream")
    p.set_defaults(run=streams)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
