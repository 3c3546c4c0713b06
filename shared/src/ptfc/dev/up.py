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
    where = ports(args.base_port)
    # Real identity providers when PTFC_OIDC_ISSUERS names them; the development one otherwise.
    issuer = None if os.environ.get("PTFC_OIDC_ISSUERS") else f"http://127.0.0.1:{where[OIDC]}"
    platform = Platform(var, where, issuer)
    # Ctrl-C reaches this process alone (children run in their own sessions, and it takes the
    # terminal from `make` and `uv`), which then stops them in order; `kill` stops everything as
    # cleanly. Set here, whatever was inherited.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    give_back = _take_terminal()
    try:
        nats_url, passwords = platform.start_bus(args.nats_port)
        mongodb_uri = platform.start_store(args.mongodb_port)
        _say(f"[infra] NATS at {nats_url}, MongoDB at {mongodb_uri.split('?')[0]}")
        for name, port in [("mail", args.mail_port), *where.items()]:
            if name != OIDC or issuer:
                ensure_free(port)
        platform.start_mailbox(args.mail_port)
        platform.start_identity_provider()
        asyncio.run(declare_all(nats_url, passwords.get(buspermissions.ADMIN)))
        _say(f"[infra] streams declared: {', '.join(name for name, _ in STREAMS.values())}")
        env = platform.environment(nats_url, mongodb_uri, args.mail_port)
        platform.start_services(env, passwords)
        platform.start_front_ends(env)
        platform.show_addresses()
        return platform.watch()
    except KeyboardInterrupt:
        return 0
    except Exception as error:
        _say(f"could not start: {error}")
        return 1
    finally:
        platform.stop()
        give_back()


STOP_SECONDS = 8.0  # each child's graceful stop (uvicorn, FastStream) within this, all together


class Platform:
    """What `ptfc up` starts, in order, each step saying what it did; and what it started, which
    `stop` stops in reverse: the embedded store's helpers, then every child together, then the servers."""

    def __init__(self, var: Path, where: dict[str, int], issuer: str | None) -> None:
        self.var, self.where, self.issuer = var, where, issuer
        self.started = time.monotonic()
        self.servers: list[Server] = []
        self.watchdogs: list[StoreWatchdog | ExpirySweeper] = []  # the embedded store's helpers, stopped before it
        self.children: dict[str, subprocess.Popen] = {}

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.where[name]}"

    def start_bus(self, port: int | None) -> tuple[str, dict[str, str]]:
        """NATS_URL's, or NATS JetStream started here with the platform's authorization: its URL and
        the bus passwords (none for NATS_URL's: the environment gives its credentials)."""
        if nats_url := os.environ.get("NATS_URL"):
            return nats_url, {}
        _say("[infra] starting NATS JetStream (with authentication)…")
        server, passwords = start_bus(self.var, port)
        self.servers.append(server)
        return server.url, passwords

    def start_store(self, port: int | None) -> str:
        """MONGODB_URI, or the MongoDB server (SecantusDB) started here with its watchdog and expiry."""
        if mongodb_uri := os.environ.get("MONGODB_URI"):
            return mongodb_uri
        _say("[infra] starting the MongoDB server (SecantusDB)…")
        store = start_mongodb(self.var / "mongodb", port=port, log=self.var / "log" / "mongodb.log")
        self.servers.append(store)
        # An embedded store that stops taking writes (a killed client's transaction) is restarted.
        self.watchdogs.append(StoreWatchdog(store, _say).start())
        # Started without its own TTL sweeper (which froze every write for seconds): expiry reads only what is due.
        self.watchdogs.append(ExpirySweeper(store.url, _say).start())
        return store.url

    def start_mailbox(self, port: int) -> None:
        mail = self.var / "mail"
        self.children["mailbox"] = _spawn(
            [sys.executable, "-m", "ptfc.dev.mailbox", "--port", str(port), "--dir", str(mail)]
        )
        wait_for_port(port, 10, self.children["mailbox"])
        _say(f"[infra] mailbox on 127.0.0.1:{port}, messages kept in {mail}")

    def start_identity_provider(self) -> None:
        """The development OpenID Connect provider staff sign in with, unless PTFC_OIDC_ISSUERS names real ones."""
        if self.issuer:
            self.children[OIDC] = oidc.start_oidc(self.where[OIDC], log=self.var / "log" / "oidc.log")
            wait_for_port(self.where[OIDC], 30, self.children[OIDC])
            _say(f"[infra] OpenID Connect provider at {self.issuer} (the development one: a person per staff role)")
        else:
            named = ", ".join(json.loads(os.environ["PTFC_OIDC_ISSUERS"]))
            _say(f"[infra] staff sign in with the providers PTFC_OIDC_ISSUERS names: {named}")

    def environment(self, nats_url: str, mongodb_uri: str, mail_port: int) -> dict[str, str]:
        """What every service and front end is started with: the bus, the store, the mailbox, each other."""
        return {
            **os.environ,
            "NATS_URL": nats_url,
            "MONGODB_URI": mongodb_uri,
            "PTFC_SMTP_HOST": "127.0.0.1",
            "PTFC_SMTP_PORT": str(mail_port),
            "PTFC_ENV": "dev",  # the public development keys are allowed here, and only here
            "PTFC_HUB_URL": self.url(HUB),  # links in letters open the Parent Hub
            **{f"PTFC_{name.upper()}_URL": self.url(name) for name in SERVICES},
            **staff_sign_in(self.issuer),  # every service verifies the staff's ID tokens the console forwards
        }

    def start_services(self, env: dict[str, str], passwords: dict[str, str]) -> None:
        """The five services together, each with its own bus identity; returns once all are ready."""
        for name in SERVICES:
            extra = {"PTFC_PUBLIC_URL": self.url(name), **_bus_identity(name, passwords)}
            # As behind the ingress: the hub says which parent a call is for, so each parent has
            # their own sign-in limit (a caller without the header is counted by its own address).
            extra["PTFC_TRUSTED_PROXY_HOPS"] = "1"
            self.children[name] = _serve(name, self.where[name], {**env, **extra}, self.var)
        _wait_ready(self.children, {name: self.where[name] for name in SERVICES}, self.started)

    def start_front_ends(self, env: dict[str, str]) -> None:
        """The Parent Hub, then the staff console, each once the one before is ready."""
        for name in (HUB, CONSOLE):
            # Plain http on this machine only: the hub refuses insecure cookies anywhere else.
            front_env = {**env, "PTFC_PUBLIC_URL": self.url(name), "PTFC_COOKIE_SECURE": "false"}
            self.children[name] = _serve(name, self.where[name], front_env, self.var)
            _wait_ready(self.children, {name: self.where[name]}, self.started)

    def show_addresses(self) -> None:
        _say("")
        for name in SERVICES:
            _say(f"  {name:<14} {self.url(name)}/docs   events: {self.url(name)}/asyncapi")
        _say(f"\n  Parent Hub     {self.url(HUB)}/   (parents' pages; the links in letters open here)")
        _say(f"  Staff console  {self.url(CONSOLE)}/   (coordinators, facilitators, FCAs, operations)")
        if self.issuer:
            people = ", ".join(person["sub"] for person in oidc.STAFF)
            _say(f"                 sign in at the development identity provider ({self.issuer}) as one of: {people}")
        _say(f"\nall five services ready in {time.monotonic() - self.started:.1f}s; logs in {self.var / 'log'}")
        _say("try: ptfc token --role cafcass --sub fca-1   (then send it as 'Authorization: Bearer …')")
        _say("Ctrl-C stops everything.")

    def watch(self) -> int:
        """Until Ctrl-C (KeyboardInterrupt) or a child stops on its own (1)."""
        while all(child.poll() is None for child in self.children.values()):
            time.sleep(0.5)
        failed = [name for name, child in self.children.items() if child.poll() is not None]
        _say(f"stopped unexpectedly: {', '.join(failed)} (see {self.var / 'log'})")
        return 1

    def stop(self) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean stop short
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        _say("\nstopping…")
        for watchdog in self.watchdogs:
            watchdog.stop()
        # All at once, each with the same deadline: services stop in parallel, well under 10 s.
        for child in self.children.values():
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + STOP_SECONDS
        for name, child in reversed(self.children.items()):
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            _say(f"  {name} stopped")
        for server in reversed(self.servers):
            server.stop()
            _say(f"  {server.name} stopped")


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
