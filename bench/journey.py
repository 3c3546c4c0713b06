"""Referral → welcome letters through the whole platform, started as `ptfc up` starts it (NATS with
authentication, SecantusDB, the five services as their own processes), with the SMTP mailbox in
this process so each letter's arrival is timed. Two runs: as fast as intake allows (8 clients),
then a steady rate. Beside them, the floor measured in the same run: bare store transactions/s.

    uv run python bench/journey.py [--referrals 200] [--clients 8] [--rate 5] [--steady 100]

Loopback only; every phase has a deadline; stops everything it started. SecantusDB is much slower
than mongod, so read the ratios, not the absolute numbers."""

import argparse
import asyncio
import json
import os
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from aiosmtpd.controller import Controller

from ptfc.bus import connect
from ptfc.buspermissions import ADMIN
from ptfc.clock import SystemClock
from ptfc.dev.servers import Server, free_port, start_mongodb
from ptfc.dev.up import _bus_identity, _serve, _wait_ready, start_bus
from ptfc.events import STREAMS
from ptfc.programme import SERVICES
from ptfc.settings import ServiceSettings
from ptfc.store import Store
from ptfc.streams import declare_all
from ptfc.testing.plugin import bearer

EXAMPLE = json.loads((Path(__file__).parents[1] / "services/referrals/example-referral.json").read_text())
WELCOME = "Welcome to Planning Together for Children"
TICK = os.sysconf("SC_CLK_TCK")


class Arrivals:
    """An SMTP server that notes when each welcome letter arrives, by recipient."""

    def __init__(self) -> None:
        self.at: dict[str, float] = {}
        self.port = free_port()

    async def handle_DATA(self, server, session, envelope) -> str:
        if WELCOME.encode() in envelope.content:
            for rcpt in envelope.rcpt_tos:
                self.at.setdefault(rcpt, time.monotonic())
        return "250 OK"


@dataclass
class Run:
    name: str
    posted: dict[int, float] = field(default_factory=dict)  # referral -> when its POST was sent
    accepted: float = 0.0  # when the last POST was answered
    started: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def referral(tag: str, i: int) -> dict:
    body = json.loads(json.dumps(EXAMPLE))
    body["case_number"] = f"BN{i % 100:02d}P{i // 100 % 100000:05d}"
    for n, parent in enumerate(body["parents"]):
        parent["email"] = f"{tag}-{i}-{n}@example.org"
        parent["preferred_language"] = "en"  # the welcome letter is found by its English subject
        parent["phone"] = f"077009{i % 100000:05d}"
    return body


def emails(tag: str, i: int) -> list[str]:
    return [f"{tag}-{i}-{n}@example.org" for n in range(2)]


async def post(client: httpx.AsyncClient, run: Run, tag: str, i: int, token: dict[str, str]) -> None:
    run.posted[i] = time.monotonic()
    answer = await client.post("/referrals", json=referral(tag, i), headers=token)
    if answer.status_code != 201:
        raise RuntimeError(f"referral {i}: {answer.status_code} {answer.text[:300]}")


async def burst(url: str, run: Run, tag: str, ids: list[int], clients: int) -> None:
    queue = list(reversed(ids))
    token = bearer("cafcass", "fca-bench")

    async def client_loop() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            while queue:
                await post(client, run, tag, queue.pop(), token)

    await asyncio.gather(*(client_loop() for _ in range(clients)))


async def steady(url: str, run: Run, tag: str, ids: list[int], rate: float) -> None:
    token = bearer("cafcass", "fca-bench")
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        start, tasks = time.monotonic(), []
        for k, i in enumerate(ids):
            await asyncio.sleep(max(0.0, start + k / rate - time.monotonic()))
            tasks.append(asyncio.create_task(post(client, run, tag, i, token)))
        await asyncio.gather(*tasks)


async def wait_letters(box: Arrivals, tag: str, ids: list[int], deadline: float) -> bool:
    wanted = [e for i in ids for e in emails(tag, i)]
    while time.monotonic() < deadline:
        if all(e in box.at for e in wanted):
            return True
        await asyncio.sleep(0.1)
    return False


async def bare_transactions(uri: str, n: int) -> float:
    """Transactions/s of the same store with nothing else running: two inserts each (state + outbox row)."""
    store = Store(uri, "bench_floor", "bench", SystemClock())
    started = time.perf_counter()
    for i in range(n):
        async with store.client.start_session() as session, await session.start_transaction():
            await store.db.state.insert_one({"i": i}, session=session)
            await store.db.rows.insert_one({"i": i}, session=session)
    elapsed = time.perf_counter() - started
    await store.close()
    return n / elapsed


async def backlog(nats_url: str, password: str) -> int:
    """Events not yet handled, over every durable consumer (the letters are not all the work: the
    timeline, partner webhooks and the providers' heads-up letters follow the same events)."""
    nc = await connect(ServiceSettings(nats_url=nats_url, nats_user=ADMIN, nats_password=password))
    try:
        js = nc.jetstream()
        infos = [i for name, _ in STREAMS.values() for i in await js.consumers_info(name)]
        return sum(i.num_pending + i.num_ack_pending for i in infos)
    finally:
        await nc.close()


async def settle(nats_url: str, password: str, within: float = 300) -> float:
    """Seconds until every consumer has caught up (then a quiet second, for the senders)."""
    started = time.monotonic()
    while await backlog(nats_url, password) and time.monotonic() - started < within:  # noqa: ASYNC110 (polls NATS)
        await asyncio.sleep(0.2)
    drained = time.monotonic() - started
    await asyncio.sleep(1)
    return drained


def scrape(where: dict[str, int], metric: str, label: str) -> dict[str, dict[str, float]]:
    """A counter from every service's /metrics: per service, per value of one of its labels."""
    found: dict[str, dict[str, float]] = {}
    for name, port in where.items():
        counts = found.setdefault(name, {})
        for line in httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text.splitlines():
            if line.startswith(metric + "{"):
                value = line.split(f'{label}="', 1)[1].split('"', 1)[0]
                counts[value] = counts.get(value, 0) + float(line.rsplit(" ", 1)[1])
    return found


def outcomes(where: dict[str, int]) -> dict[str, float]:
    """Events handled per outcome (handled, duplicate, early, retried, parked), over every service."""
    totals: dict[str, float] = {}
    for counts in scrape(where, "ptfc_events_handled_total", "outcome").values():
        for outcome, n in counts.items():
            totals[outcome] = totals.get(outcome, 0) + n
    return totals


def store_commands(where: dict[str, int]) -> dict[str, dict[str, float]]:
    return scrape(where, "ptfc_store_commands_total", "command")


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


async def phase(
    run: Run, box: Arrivals, url: str, tag: str, ids: list[int], pids: dict[str, int], drive, within: float
) -> dict:
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    run.started = time.monotonic()
    await drive()
    run.accepted = time.monotonic()
    complete = await wait_letters(box, tag, ids, run.started + within)
    run.cpu = {name: cpu_seconds(pid) - before[name] for name, pid in pids.items()}
    done = {i: max(box.at.get(e, float("inf")) for e in emails(tag, i)) for i in ids}
    latencies = [done[i] - run.posted[i] for i in ids if done[i] != float("inf")]
    last = max((d for d in done.values() if d != float("inf")), default=run.started)
    return {
        "complete": complete,
        "letters": sum(1 for i in ids for e in emails(tag, i) if e in box.at),
        "intake": len(ids) / (run.accepted - run.started),
        "e2e": len(latencies) / (last - run.started),
        "p50": pct(latencies, 50) if latencies else float("nan"),
        "p95": pct(latencies, 95) if latencies else float("nan"),
        "p99": pct(latencies, 99) if latencies else float("nan"),
        "last": last - run.started,
    }


async def main(args: argparse.Namespace) -> None:
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        var = Path(tmp)
        (var / "log").mkdir()
        servers: list[Server] = []
        children = {}
        box = Arrivals()
        smtp = Controller(box, hostname="127.0.0.1", port=box.port)
        smtp.start()
        try:
            bus, passwords = start_bus(var)
            servers.append(bus)
            servers.append(start_mongodb(var / "mongodb", log=var / "log" / "mongodb.log"))
            floor = await bare_transactions(servers[1].url, 300)
            await declare_all(bus.url, passwords["streams-admin"])
            where = {name: free_port() for name in SERVICES}
            env = {
                **os.environ,
                "NATS_URL": bus.url,
                "MONGODB_URI": servers[1].url,
                "PTFC_SMTP_HOST": "127.0.0.1",
                "PTFC_SMTP_PORT": str(box.port),
                "PTFC_ENV": "dev",
                **{f"PTFC_{name.upper()}_URL": f"http://127.0.0.1:{where[name]}" for name in SERVICES},
            }
            for name in SERVICES:
                extra = {"PTFC_PUBLIC_URL": f"http://127.0.0.1:{where[name]}", **_bus_identity(name, passwords)}
                children[name] = _serve(name, where[name], {**env, **extra}, var)
            _wait_ready(children, where, time.monotonic())
            pids = {name: child.pid for name, child in children.items()}
            pids |= {"nats": servers[0].process.pid, "mongodb": servers[1].process.pid, "bench (smtp)": os.getpid()}
            url = f"http://127.0.0.1:{where['referrals']}"
            await burst(url, Run("warm-up"), "warm", list(range(5)), 5)  # connections, caches, consumers
            if not await wait_letters(box, "warm", list(range(5)), time.monotonic() + 60):
                raise RuntimeError(f"no welcome letters within 60 s; logs in {var / 'log'}")

            fast = Run("burst")
            ids = list(range(args.referrals))
            commands_before = store_commands(where)
            r1 = await phase(
                fast, box, url, "fast", ids, pids, lambda: burst(url, fast, "fast", ids, args.clients), 300
            )
            drained = r1["last"] + await settle(bus.url, passwords["streams-admin"])  # a steady state
            commands = {  # all the burst's work, its backlog included
                name: {c: n - commands_before[name].get(c, 0) for c, n in counts.items()}
                for name, counts in store_commands(where).items()
            }
            slow = Run("steady")
            ids2 = list(range(args.referrals, args.referrals + args.steady))
            r2 = await phase(
                slow, box, url, "slow", ids2, pids, lambda: steady(url, slow, "slow", ids2, args.rate), 300
            )
            handled = outcomes(where)
        finally:
            for child in children.values():
                child.terminate()
            for child in children.values():
                try:
                    child.wait(10)
                except Exception:
                    child.kill()
            for server in reversed(servers):
                server.stop()
            smtp.stop()
    report(
        args,
        floor,
        load,
        drained,
        handled,
        commands,
        [
            (f"{args.clients} clients, as fast as intake allows", fast, r1, args.referrals),
            (f"steady {args.rate:g} referrals/s", slow, r2, args.steady),
        ],
    )


def report(
    args,
    floor: float,
    load: tuple[float, float, float],
    drained: float,
    handled: dict[str, float],
    commands: dict[str, dict[str, float]],
    rows,
) -> None:
    print(
        f"\nreferral → both welcome letters; {os.cpu_count()} CPUs, load average before the run "
        f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; floor: bare store transactions {floor:.0f}/s\n"
    )
    head = ["run", "referrals", "intake/s", "e2e/s", "e2e/intake", "p50 s", "p95 s", "p99 s", "last s", "letters"]
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("-" * (len(h) + 2) for h in head) + "|")
    for name, _, r, n in rows:
        cells = [
            name,
            n,
            f"{r['intake']:.1f}",
            f"{r['e2e']:.1f}",
            f"{r['e2e'] / r['intake']:.2f}",
            f"{r['p50']:.2f}",
            f"{r['p95']:.2f}",
            f"{r['p99']:.2f}",
            f"{r['last']:.1f}",
            f"{r['letters']}/{2 * n}",
        ]
        print("| " + " | ".join(str(c) for c in cells) + " |")
    print(
        f"\nThe burst's other work (timeline, heads-up letters, webhooks) was all handled {drained:.1f} s after"
        " its first referral; the steady run started after that."
    )
    print(
        "Events consumed, by outcome, over both runs: " + ", ".join(f"{k} {n:.0f}" for k, n in sorted(handled.items()))
    )
    print(f"\nStore commands per referral in the burst, its backlog included ({args.referrals} referrals):\n")
    print("| service | commands | commits | most sent |")
    print("|---|---|---|---|")
    for name, counts in commands.items():
        top = sorted(counts.items(), key=lambda kv: -kv[1])[:3]
        most = ", ".join(f"{c} {n / args.referrals:.1f}" for c, n in top)
        total, commits = sum(counts.values()) / args.referrals, counts.get("commitTransaction", 0) / args.referrals
        print(f"| {name} | {total:.1f} | {commits:.1f} | {most} |")
    print("\nCPU seconds per process during each run:\n")
    names = list(rows[0][1].cpu)
    print("| run | " + " | ".join(names) + " |")
    print("|---|" + "|".join("---" for _ in names) + "|")
    for name, run, _, _ in rows:
        print(f"| {name} | " + " | ".join(f"{run.cpu[n]:.1f}" for n in names) + " |")
    if not all(r["complete"] for _, _, r, _ in rows):
        print("\nINCOMPLETE: some welcome letters did not arrive within the deadline", file=sys.stderr)
        sys.exit(1)


def _stop(*_: object) -> None:
    raise KeyboardInterrupt  # a `kill` still stops every child through main's `finally`


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--referrals", type=int, default=200, help="referrals in the as-fast-as-possible run")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rate", type=float, default=5.0, help="referrals per second in the steady run")
    parser.add_argument("--steady", type=int, default=100, help="referrals in the steady run")
    signal.signal(signal.SIGTERM, _stop)
    asyncio.run(main(parser.parse_args()))
