"""`ptfc up`: NATS, MongoDB, a local mailbox, the five services, the Parent Hub, a development
OpenID Connect provider and the staff console on one machine, with progress shown while they
start, until Ctrl-C. With `PTFC_OIDC_ISSUERS` set, staff sign in with those providers instead
(each also in `PTFC_JWT_ISSUERS`, as services/console/README.md says)."""

import argparse
import asyncio
import ctypes
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from ptfc import buspermissions
from ptfc.dev import oidc
from ptfc.dev.expiry import ExpirySweeper
from ptfc.dev.servers import Server, ensure_free, start_mongodb, start_nats, wait_for_port
from ptfc.dev.watchdog import StoreWatchdog
from ptfc.events import STREAMS
from ptfc.programme import SERVICES
from ptfc.settings import ServiceSettings
from ptfc.streams import declare_all


def _say(text: str) -> None:
    print(text, flush=True)


HUB = "hub"
CONSOLE = "console"
OIDC = "oidc"  # the development OpenID Connect provider staff sign in with


def ports(base: int) -> dict[str, int]:
    """The Parent Hub on `base`, then the services in their usual order (8000, 8001… by default),
    then the staff console and the development identity provider (8006, 8007)."""
    first = min(SERVICES.values())
    services = {name: base + port - first + 1 for name, port in SERVICES.items()}
    after = base + len(SERVICES) + 1
    return {HUB: base} | services | {CONSOLE: after, OIDC: after + 1}


def staff_sign_in(issuer: str | None) -> dict[str, str]:
    """The variables that make every service trust the staff's identity provider and the console
    sign in with it: the development one at `issuer` (its claim mapping and grant, ptfc.dev.oidc),
    added to the issuers already trusted (`ptfc token`'s and learning's stay), or, with
    `issuer` None, what the environment says (`PTFC_OIDC_ISSUERS`, `PTFC_JWT_ISSUERS`) as it is."""
    if issuer is None:
        return {}
    trusted = os.environ.get("PTFC_JWT_ISSUERS")
    issuers = (
        json.loads(trusted)
        if trusted
        else {
            name: grant.model_dump(mode="json", exclude_defaults=True)
            for name, grant in ServiceSettings.model_fields["jwt_issuers"].default.items()
        }
    )
    issuers[issuer] = oidc.issuer_grant()
    return {"PTFC_JWT_ISSUERS": json.dumps(issuers), "PTFC_OIDC_ISSUERS": json.dumps({issuer: oidc.login()})}


def up(args: argparse.Namespace) -> int:
    var = Path(args.var).resolve()
    (var / "log").mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    servers: list[Server] = []
    watchdogs: list[StoreWatchdog | ExpirySweeper] = []  # the embedded store's helpers, stopped before it
    children: dict[str, subprocess.Popen] = {}
    where = ports(args.base_port)
    hub_url = f"http://127.0.0.1:{where[HUB]}"
    console_url = f"http://127.0.0.1:{where[CONSOLE]}"
    # Real identity providers when PTFC_OIDC_ISSUERS names them; the development one otherwise.
    issuer = None if os.environ.get("PTFC_OIDC_ISSUERS") else f"http://127.0.0.1:{where[OIDC]}"

    def shutdown() -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean stop short
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        _say("\nstopping…")
        for watchdog in watchdogs:
            watchdog.stop()
        # All at once, each with the same deadline: services stop in parallel, well under 10 s.
        for child in children.values():
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + STOP_SECONDS
        for name, child in reversed(children.items()):
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            _say(f"  {name} stopped")
        for server in reversed(servers):
            server.stop()
            _say(f"  {server.name} stopped")

    # Ctrl-C reaches this process alone (children run in their own sessions, and it takes the
    # terminal from `make` and `uv`), which then stops them in order; `kill` stops everything as
    # cleanly. Set here, whatever was inherited.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    give_back = _take_terminal()
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
            # An embedded store that stops taking writes (a killed client's transaction) is restarted.
            watchdogs.append(StoreWatchdog(servers[-1], _say).start())
            # Started without its own TTL sweeper (which froze every write for seconds): expiry reads only what is due.
            watchdogs.append(ExpirySweeper(mongodb_uri, _say).start())
        _say(f"[infra] NATS at {nats_url}, MongoDB at {mongodb_uri.split('?')[0]}")
        for name, port in [("mail", args.mail_port), *where.items()]:
            if name != OIDC or issuer:
                ensure_free(port)
        children["mailbox"] = _spawn(
            [sys.executable, "-m", "ptfc.dev.mailbox", "--port", str(args.mail_port), "--dir", str(var / "mail")]
        )
        wait_for_port(args.mail_port, 10, children["mailbox"])
        _say(f"[infra] mailbox on 127.0.0.1:{args.mail_port}, messages kept in {var / 'mail'}")
        if issuer:
            children[OIDC] = oidc.start_oidc(where[OIDC], log=var / "log" / "oidc.log")
            wait_for_port(where[OIDC], 30, children[OIDC])
            _say(f"[infra] OpenID Connect provider at {issuer} (the development one: a person per staff role)")
        else:
            named = ", ".join(json.loads(os.environ["PTFC_OIDC_ISSUERS"]))
            _say(f"[infra] staff sign in with the providers PTFC_OIDC_ISSUERS names: {named}")
        asyncio.run(declare_all(nats_url, passwords.get(buspermissions.ADMIN)))
        _say(f"[infra] streams declared: {', '.join(name for name, _ in STREAMS.values())}")

        env = {
            **os.environ,
            "NATS_URL": nats_url,
            "MONGODB_URI": mongodb_uri,
            "PTFC_SMTP_HOST": "127.0.0.1",
            "PTFC_SMTP_PORT": str(args.mail_port),
            "PTFC_ENV": "dev",  # the public development keys are allowed here, and only here
            "PTFC_HUB_URL": hub_url,  # links in letters open the Parent Hub
            **{f"PTFC_{name.upper()}_URL": f"http://127.0.0.1:{where[name]}" for name in SERVICES},
            **staff_sign_in(issuer),  # every service verifies the staff's ID tokens the console forwards
        }
        for name in SERVICES:
            extra = {"PTFC_PUBLIC_URL": f"http://127.0.0.1:{where[name]}", **_bus_identity(name, passwords)}
            # As behind the ingress: the hub says which parent a call is for, so each parent has
            # their own sign-in limit (a caller without the header is counted by its own address).
            extra["PTFC_TRUSTED_PROXY_HOPS"] = "1"
            children[name] = _serve(name, where[name], {**env, **extra}, var)
        _wait_ready(children, {name: where[name] for name in SERVICES}, started)
        # Plain http on this machine only: the hub refuses insecure cookies anywhere else.
        hub_env = {**env, "PTFC_PUBLIC_URL": hub_url, "PTFC_COOKIE_SECURE": "false"}
        children[HUB] = _serve(HUB, where[HUB], hub_env, var)
        _wait_ready(children, {HUB: where[HUB]}, started)
        console_env = {**env, "PTFC_PUBLIC_URL": console_url, "PTFC_COOKIE_SECURE": "false"}
        children[CONSOLE] = _serve(CONSOLE, where[CONSOLE], console_env, var)
        _wait_ready(children, {CONSOLE: where[CONSOLE]}, started)
        _say("")
        for name in SERVICES:
            port = where[name]
            _say(f"  {name:<14} http://127.0.0.1:{port}/docs   events: http://127.0.0.1:{port}/asyncapi")
        _say(f"\n  Parent Hub     {hub_url}/   (parents' pages; the links in letters open here)")
        _say(f"  Staff console  {console_url}/   (coordinators, facilitators, FCAs, operations)")
        if issuer:
            people = ", ".join(person["sub"] for person in oidc.STAFF)
            _say(f"                 sign in at the development identity provider ({issuer}) as one of: {people}")
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
        give_back()


STOP_SECONDS = 8.0  # each child's graceful stop (uvicorn, FastStream) within this, all together


def _take_terminal() -> Callable[[], None]:
    """Make this process the terminal's foreground process group, so that Ctrl-C signals it alone.
    Under `make up`, the terminal would signal make too, which then reports an interrupt and fails
    however cleanly everything stopped. Returns what gives the terminal back to `make` at the end.
    Nothing to do without a terminal, or when started in the background."""
    try:
        tty = os.open("/dev/tty", os.O_RDWR)
    except OSError:
        return lambda: None
    before = os.tcgetpgrp(tty)
    if before != os.getpgrp() or os.getsid(0) == os.getpid():  # in the background, or leads its session
        os.close(tty)
        return lambda: None
    os.setpgid(0, 0)
    _foreground(tty, os.getpgrp())

    def give_back() -> None:
        _foreground(tty, before)
        os.close(tty)

    return give_back


def _foreground(tty: int, group: int) -> None:
    # A process that is not yet in the foreground may set it only with SIGTTOU ignored.
    previous = signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    try:
        os.tcsetpgrp(tty, group)
    except OSError:
        pass  # the terminal went away: nothing to give back to
    finally:
        signal.signal(signal.SIGTTOU, previous)


# Looked up before any fork: the child may call only what is already loaded (watchdog threads run).
_prctl = ctypes.CDLL(None, use_errno=True).prctl if sys.platform == "linux" else None
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    # A child in a session of its own outlives a `ptfc up` killed with -9 (a test's timeout, an OOM
    # kill); such orphans kept their ports and spun on a vanished bus. The kernel kills them instead.
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _spawn(command: list[str], env: dict[str, str] | None = None, log: Path | None = None) -> subprocess.Popen:
    # A session of its own: a terminal's Ctrl-C goes to `ptfc up` only, which stops the children
    # itself, in order, instead of every child dying at once and being reported as crashed.
    out = open(log, "ab") if log else None  # noqa: SIM115 - the child keeps it
    return subprocess.Popen(
        command,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT if out else None,
        start_new_session=True,
        preexec_fn=_die_with_parent,  # only a preloaded libc call runs in the child
    )


def _serve(name: str, port: int, env: dict[str, str], var: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "ptfc.cli", "serve", name, "--port", str(port)]
    return _spawn(command, env, var / "log" / f"{name}.log")


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def _wait_ready(
    children: dict[str, subprocess.Popen], waiting: dict[str, int], started: float, timeout: float = 120
) -> None:
    pending, total = dict(waiting), len(waiting)
    while pending:
        for name, port in list(pending.items()):
            if children[name].poll() is not None:
                raise RuntimeError(f"{name} exited during start; see var/log/{name}.log")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    del pending[name]
                    progress = f"[{total - len(pending)}/{total}] " if total > 1 else ""
                    _say(f"{progress}{name} ready ({time.monotonic() - started:.1f}s)")
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
