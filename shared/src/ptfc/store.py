"""MongoDB access shared by every service: one client, and units of work that write state,
outgoing events (the outbox), handled-event marks (the inbox) and idempotency records in
one transaction, so a crash can never keep one without the others."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pymongo
from bson import ObjectId
from pymongo import ASCENDING, AsyncMongoClient, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from ptfc.clock import Clock
from ptfc.events import Envelope, EventData

# Collections the platform owns in every service's database.
OUTBOX, INBOX, DEAD_LETTERS, IDEMPOTENCY = "outbox", "inbox", "dead_letters", "idempotency"

DAY = 24 * 3600
REPLAYED_KEPT = timedelta(days=30)
# Sent outbox rows and inbox marks are kept long past any redelivery or replay, then expire.
PLATFORM_INDEXES: dict[str, list[IndexModel]] = {
    OUTBOX: [
        IndexModel([("sent", ASCENDING), ("_id", ASCENDING)]),
        IndexModel("event_id", unique=True),
        IndexModel("sent_at", expireAfterSeconds=30 * DAY),
    ],
    INBOX: [IndexModel("handled_at", expireAfterSeconds=90 * DAY)],
    IDEMPOTENCY: [IndexModel("at", expireAfterSeconds=7 * DAY)],
    # A parked message waits for a person (its body is what replays it) until `expires_at`:
    # `dead_letter_ttl` after parking if never replayed, REPLAYED_KEPT after a replay.
    DEAD_LETTERS: [IndexModel([("parked_at", ASCENDING)]), IndexModel("expires_at", expireAfterSeconds=0)],
}


class Tx:
    """One unit of work: use `session` on every write, and `emit` events to publish after commit."""

    def __init__(self, db: AsyncDatabase, session: AsyncClientSession, producer: str, clock: Clock) -> None:
        self.db = db
        self.session = session
        self.producer = producer
        self.clock = clock
        self.emitted: list[Envelope] = []

    async def emit(self, data: EventData, correlation_id: str) -> Envelope:
        envelope = Envelope.of(data, correlation_id=correlation_id, producer=self.producer, at=self.clock.now())
        # ObjectIds grow within a process, so sorting the outbox by _id keeps emission order.
        await self.db[OUTBOX].insert_one(
            {
                "_id": ObjectId(),
                "event_id": str(envelope.event_id),
                "subject": envelope.type,
                "body": envelope.model_dump_json(),
                "sent": False,
                "created_at": envelope.occurred_at,
            },
            session=self.session,
        )
        self.emitted.append(envelope)
        return envelope


class Store:
    def __init__(self, uri: str, db_name: str, producer: str, clock: Clock, timeout: float = 20.0) -> None:
        self.client: AsyncMongoClient = AsyncMongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=5000)
        self.db: AsyncDatabase = self.client[db_name]
        self.producer = producer
        self.clock = clock
        self.committed = asyncio.Event()  # wakes the outbox relay after a commit that emitted
        self.timeout = timeout  # seconds for a unit of work, its retries included

    async def ensure_indexes(self, indexes: dict[str, list[IndexModel]]) -> None:
        for name, models in {**PLATFORM_INDEXES, **indexes}.items():
            if models:
                await self.db[name].create_indexes(models)

    async def ping(self) -> bool:
        try:
            await self.client.admin.command("ping")
            return True
        except PyMongoError:
            return False

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """A single attempt, for tests and benchmarks; services use `run`."""
        async with self.client.start_session() as session, await session.start_transaction():
            tx = Tx(self.db, session, self.producer, self.clock)
            yield tx
        if tx.emitted:
            self.committed.set()

    async def run(self, work: Callable[[Tx], Awaitable[Any]]) -> Any:
        """Run `work` in a transaction. The driver re-runs all of it after a transient error (a
        write conflict) but only the commit when the commit's outcome is unknown, so work that
        committed is never done twice."""
        last: list[Tx] = []

        async def attempt(session: AsyncClientSession) -> Any:
            last[:] = [Tx(self.db, session, self.producer, self.clock)]
            # The work is bounded (a caller, an HTTP client or a message's ack_wait, gives up long
            # before the driver's two minutes of retries); commit and abort are not, so a commit
            # whose outcome is unknown is still retried to an answer and never left half done.
            with pymongo.timeout(self.timeout):
                return await work(last[0])

        async with self.client.start_session() as session:
            result = await session.with_transaction(attempt)
        if last[0].emitted:
            self.committed.set()
        return result

    async def close(self) -> None:
        await self.client.close()
