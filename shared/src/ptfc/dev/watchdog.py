"""The embedded store's watchdog (`ptfc up`, the fault suite): a store that stops taking writes is
restarted, and the operator is told.

Why: a client killed inside a transaction leaves it open in SecantusDB. A later plain write that
conflicts with it (in a transaction the conflict is answered at once) retries forever
(`_retry_write_conflicts`), an `update_many` holding its collection's lock; a transaction that
writes to that collection then waits for the lock holding its own mutex; and every transaction
command, which first reaps idle transactions and so takes each one's mutex, waits behind it: every
unit of work of every service hangs, while pings and plain writes elsewhere pass (issue 30: `POST
/referrals` hung, nothing recovered in 10.5 minutes). Nothing but a restart ends that. The probe is
the readiness probe's own (`Store.write_answers`, a short write in a transaction with a deadline);
being a transaction command, it also lets the store abort a killed client's
transaction once idle 60 s, which clears the simpler wedge before anything is stuck behind it."""

import asyncio
import threading
import time
from collections.abc import Callable

from ptfc.clock import SystemClock
from ptfc.dev.servers import Server
from ptfc.store import Store

INTERVAL = 5.0  # seconds between probes
DEADLINE = 2.0  # a write slower than this is a failed probe, as for /readyz
FAILURES = 3  # consecutive failed probes before a restart: ~20 s of a store that takes no write


class StoreWatchdog:
    def __init__(
        self,
        server: Server,
        say: Callable[[str], None],
        interval: float = INTERVAL,
        deadline: float = DEADLINE,
        failures: int = FAILURES,
    ) -> None:
        self.server, self.say = server, say
        self.interval, self.deadline, self.failures = interval, deadline, failures
        self.restarts = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._watch()), name="store-watchdog", daemon=True)

    def start(self) -> "StoreWatchdog":
        self._thread.start()
        return self

    def stop(self) -> None:
        """Before the store is stopped: no restart races the shutdown."""
        self._stop.set()
        self._thread.join(timeout=70)

    async def _watch(self) -> None:
        store = Store(self.server.url, "ptfc_watchdog", "watchdog", SystemClock(), timeout=self.deadline)
        failed = 0
        try:
            while not self._stop.is_set():
                await self._pause(self.interval)
                if self._stop.is_set():
                    return
                if await store.write_answers(self.deadline):
                    failed = 0
                    continue
                failed += 1
                self.say(f"[watchdog] the store took no write within {self.deadline:g}s ({failed}/{self.failures})")
                if failed >= self.failures:
                    await asyncio.to_thread(self._restart, failed)
                    failed = 0
        finally:
            await store.close()

    def _restart(self, failed: int) -> None:
        if self._stop.is_set():
            return
        port = self.server.url.split(":")[2].split("/")[0]
        self.say(
            f"[watchdog] the store took no write in {failed} probes ({failed * self.interval:g}s): "
            f"restarting it on port {port}, same data (a killed client's transaction can wedge it)"
        )
        started = time.monotonic()
        self.server.restart()
        self.restarts += 1
        self.say(f"[watchdog] store restarted in {time.monotonic() - started:.1f}s")

    async def _pause(self, seconds: float) -> None:
        await asyncio.to_thread(self._stop.wait, seconds)  # `stop` ends it at once
