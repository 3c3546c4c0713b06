"""The outbox relay: publishes committed events to JetStream in order, then marks them sent.

JetStream drops a second publish with the same `Nats-Msg-Id` inside the duplicate
window, so a crash between publish and mark republishes nothing twice."""

import asyncio
import logging
import math
import time
from contextlib import suppress

from faststream.nats import NatsBroker

from ptfc.events import stream_for
from ptfc.metrics import EVENTS_PUBLISHED
from ptfc.store import OUTBOX, Store
from ptfc.tasks import current_task_cancelling

log = logging.getLogger("ptfc.outbox")


class Relay:
    def __init__(
        self, store: Store, broker: NatsBroker, interval: float, gather: float = 0.0, batch: int = 200
    ) -> None:
        self.store = store
        self.broker = broker
        self.interval = interval
        self.gather = gather
        self.batch = batch
        self._task: asyncio.Task | None = None

    async def publish_pending(self, read: bool = True) -> int:
        """Publish everything unsent, oldest first: read from the outbox, or (`read=False`) what
        this process has just committed, as it holds it (no read). A row committed elsewhere or
        left by a failure waits for the next read, at least every `interval`."""
        if not read:
            rows, self.store.committed_rows = self.store.committed_rows, []
            return await self._publish_rows(rows)
        # Taken before reading: a row committed after this is published again, which JetStream drops.
        self.store.committed_rows = []
        total = 0
        while pending := await self.store.db[OUTBOX].find({"sent": False}).sort("_id", 1).to_list(self.batch):
            total += await self._publish_rows(pending)
        return total

    async def _publish_rows(self, rows: list[dict]) -> int:
        """A batch is published together and its acknowledgements awaited together (one round trip
        per batch, not per event); rows are marked sent up to the first failure, and the rest go
        again at the next read (JetStream drops the ones it already has, by `Nats-Msg-Id`)."""
        total = 0
        for start in range(0, len(rows), self.batch):
            chunk = rows[start : start + self.batch]
            # Tasks start in order, so the messages leave in order on the one connection.
            results = await asyncio.gather(*(self._publish(row) for row in chunk), return_exceptions=True)
            done = []
            for row, result in zip(chunk, results, strict=True):
                if isinstance(result, BaseException):
                    break
                done.append(row["_id"])
            if done:
                # The body goes once published: JetStream holds the event, and a sent row kept
                # for 30 days must not keep the contact details a `referral.created` carries.
                await self.store.db[OUTBOX].update_many(
                    {"_id": {"$in": done}},
                    {"$set": {"sent": True, "sent_at": self.store.clock.now()}, "$unset": {"body": ""}},
                )
                EVENTS_PUBLISHED.labels(self.store.producer).inc(len(done))
                total += len(done)
            failed = next((r for r in results if isinstance(r, BaseException)), None)
            if failed is not None:
                raise failed
        return total

    async def _publish(self, row: dict) -> None:
        await self.broker.publish(
            row["body"].encode(),
            subject=row["subject"],
            headers={"Nats-Msg-Id": row["event_id"], "content-type": "application/json"},
            stream=stream_for(row["subject"]),
        )

    async def _loop(self) -> None:
        # Until stopped. A driver may swallow the cancel that `stop` sends (it lands mid-I/O and
        # the library retries); the request still stands, so the loop checks for it each round.
        read_at, failed = -math.inf, False  # the outbox is read at the start, then at least every interval
        while not current_task_cancelling():
            self.store.committed.clear()  # before publishing, so a commit during it wakes the next round
            read = failed or time.monotonic() - read_at >= self.interval
            try:
                await self.publish_pending(read)
            except Exception:  # the broker or store is away: keep the events and try again
                log.warning("outbox relay could not publish; will retry", exc_info=True)
                failed = True  # what failed is in the outbox only now: read it next round
            else:
                failed, read_at = False, time.monotonic() if read else read_at
            # A whole interval after a failure; else until the next read is due, or a commit wakes it.
            wait = self.interval if failed else max(read_at + self.interval - time.monotonic(), 0.0)
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancel that
            # lands as a commit wakes it, and `stop` would then wait for this loop for ever.
            with suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self.store.committed.wait()
                    await asyncio.sleep(self.gather)  # let the commits close behind it join this round

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name=f"{self.store.producer}-outbox-relay")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
        # Flush what committed just before the stop; whatever is left goes out at the next start.
        try:
            async with asyncio.timeout(5):
                await self.publish_pending()
        except Exception:
            log.warning("outbox not flushed at stop; it will be published at the next start", exc_info=True)
