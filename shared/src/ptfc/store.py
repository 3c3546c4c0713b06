"""MongoDB access shared by every service: one client, and units of work that write state,
outgoing events (the outbox), handled-event marks (the inbox) and idempotency records in
one transaction, so a crash can never keep one without the others."""

import asyncio
import logging
import os
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pymongo
from bson import ObjectId
from bson.errors import InvalidId
from pymongo import ASCENDING, AsyncMongoClient, IndexModel, InsertOne, ReplaceOne, UpdateOne, monitoring
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, ConnectionFailure, DuplicateKeyError, OperationFailure, PyMongoError

from ptfc.clock import Clock
from ptfc.events import Envelope, EventData
from ptfc.metrics import STORE_COMMANDS
from ptfc.problems import not_found

log = logging.getLogger("ptfc.store")

# Collections the platform owns in every service's database.
OUTBOX, INBOX, DEAD_LETTERS, IDEMPOTENCY = "outbox", "inbox", "dead_letters", "idempotency"
EARLY = "early_arrivals"  # per consumer and event: deliveries that came before what they follow
READINESS = "readiness"  # one row per process, written by its readiness probe

DAY = 24 * 3600
REPLAYED_KEPT = timedelta(days=30)
# Sent outbox rows and inbox marks are kept long past any redelivery or replay, then expire.
PLATFORM_INDEXES: dict[str, list[IndexModel]] = {
    # Every commit writes outbox rows and every publish marks them, so its indexes hold only what
    # is read: the unsent rows (the relay's read), and the sent ones by age (their expiry).
    OUTBOX: [
        IndexModel([("sent", ASCENDING), ("_id", ASCENDING)], name="unsent", partialFilterExpression={"sent": False}),
        IndexModel("sent_at", name="sent_expiry", expireAfterSeconds=30 * DAY, sparse=True),
    ],
    INBOX: [IndexModel("handled_at", expireAfterSeconds=90 * DAY)],
    IDEMPOTENCY: [IndexModel("at", expireAfterSeconds=7 * DAY)],
    EARLY: [IndexModel("at", expireAfterSeconds=7 * DAY)],
    READINESS: [IndexModel("at", expireAfterSeconds=DAY)],
    # A parked message waits for a person (its body is what replays it) until `expires_at`:
    # `dead_letter_ttl` after parking if never replayed, REPLAYED_KEPT after a replay.
    DEAD_LETTERS: [IndexModel([("parked_at", ASCENDING)]), IndexModel("expires_at", expireAfterSeconds=0)],
}


class StoreUnavailable(ConnectionFailure):
    """The store did not let a unit of work complete in time: callers answer 503 and retry later."""


class Tx:
    """One unit of work: use `session` on every write, and `emit` events to publish after commit."""

    def __init__(self, db: AsyncDatabase, session: AsyncClientSession, producer: str, clock: Clock) -> None:
        self.db = db
        self.session = session
        self.producer = producer
        self.clock = clock
        self.emitted: list[Envelope] = []
        self.rows: list[dict[str, Any]] = []  # the outbox rows written, for the relay once committed
        self.deferred: dict[str, list[Any]] = {}
        # What a unit of work read and may read again: it sees one snapshot, so the events of a batch
        # can share a lookup (keyed by the caller) instead of asking the store once each.
        self.memo: dict[str, Any] = {}
        # The identity map of `get` and `save`: each document as this unit of work last left it.
        self.loaded: dict[str, dict[Any, dict[str, Any] | None]] = {}
        self.saved: dict[str, dict[Any, dict[str, Any]]] = {}

    async def get(self, collection: str, ids: Iterable[Any]) -> dict[Any, dict[str, Any] | None]:
        """Documents by `_id` (None for one that does not exist), each read from the store at most
        once per unit of work, all missing ones in one read. A later `get` returns the same object,
        as this work changed it: the events of a batch that touch one parent read it once."""
        ids = list(ids)
        known = self.loaded.setdefault(collection, {})
        if missing := list(dict.fromkeys(i for i in ids if i not in known)):
            known |= dict.fromkeys(missing)
            found = self.db[collection].find({"_id": {"$in": missing}}, session=self.session)
            known |= {d["_id"]: d for d in await found.to_list()}
        return {i: known[i] for i in ids}

    def save(self, collection: str, doc: dict[str, Any]) -> None:
        """Replace (or insert) `doc` by its `_id` at the end of the work, once however often it
        changed, with the other saves to its collection in one bulk write. Reads of the collection
        in the same work go through `get` (or `current`), which see it as saved."""
        self.loaded.setdefault(collection, {})[doc["_id"]] = doc
        self.saved.setdefault(collection, {})[doc["_id"]] = doc

    def current(
        self, collection: str, docs: list[dict[str, Any]], where: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Documents a query read, each replaced by this work's own copy where it holds one (a
        query answers from the store, which has not seen the saves yet); with `where` (the query's
        equality fields), also the documents this work saved that match it and the store lacks."""
        known = self.loaded.get(collection, {})
        found = [known.get(d["_id"]) or d for d in docs]
        if where is not None:
            ids = {d["_id"] for d in docs}
            unwritten = (d for i, d in self.saved.get(collection, {}).items() if i not in ids)
            found += [d for d in unwritten if all(d.get(k) == v for k, v in where.items())]
        return found

    def later(self, collection: str, write: UpdateOne | InsertOne | ReplaceOne) -> None:
        """A write this unit of work never reads back (a delivery planned, an event kept): sent with
        the others to its collection in one bulk write at the end of the work, still inside the
        transaction. A batch of events then costs the store one write, not one per event."""
        self.deferred.setdefault(collection, []).append(write)

    async def emit(self, data: EventData, correlation_id: str) -> Envelope:
        """An event to publish once this unit of work commits. Its outbox row is written with the
        others at the end of the work (one write for all of them), still inside the transaction."""
        envelope = Envelope.of(data, correlation_id=correlation_id, producer=self.producer, at=self.clock.now())
        self.emitted.append(envelope)
        return envelope

    async def flush(self) -> None:
        for collection, docs in self.saved.items():
            replaces = [ReplaceOne({"_id": i}, doc, upsert=True) for i, doc in docs.items()]
            self.deferred.setdefault(collection, []).extend(replaces)
        self.saved = {}
        for collection, writes in self.deferred.items():
            await self.db[collection].bulk_write(writes, ordered=True, session=self.session)
        self.deferred = {}
        if not self.emitted:
            return
        # ObjectIds grow within a process, so sorting the outbox by _id keeps emission order.
        self.rows = rows = [
            {
                "_id": ObjectId(),
                "event_id": str(envelope.event_id),
                "subject": envelope.type,
                "body": envelope.model_dump_json(),
                "sent": False,
                "created_at": envelope.occurred_at,
            }
            for envelope in self.emitted
        ]
        await self.db[OUTBOX].insert_many(rows, session=self.session)


class UnitOfWork:
    """What every service's `store.UnitOfWork` (its domain's unit of work on MongoDB) opens with:
    every read and write inside one transaction, `tx` (each with `session=self.tx.session`; not
    `self.session`, which a workshops or learning unit of work reads a parent's or workshop's session
    by). A save replaces the document read earlier in the same transaction, so a concurrent change
    to it is a write conflict and the driver runs the whole unit again. A service adds its reads
    and writes."""

    def __init__(self, tx: Tx) -> None:
        self.tx, self.db = tx, tx.db

    def now(self) -> datetime:
        return self.tx.clock.now()

    def new_id(self) -> ObjectId:
        return ObjectId()

    async def emit(self, event: EventData, correlation_id: str) -> None:
        await self.tx.emit(event, correlation_id)


class CommandCounter(monitoring.CommandListener):
    """Counts the commands a service sends to the store (`ptfc_store_commands_total`)."""

    def __init__(self, service: str) -> None:
        self.service = service

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        STORE_COMMANDS.labels(self.service, event.command_name).inc()

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


class Store:
    def __init__(self, uri: str, db_name: str, producer: str, clock: Clock, timeout: float = 20.0) -> None:
        self.client: AsyncMongoClient = AsyncMongoClient(
            uri, tz_aware=True, serverSelectionTimeoutMS=5000, event_listeners=[CommandCounter(producer)]
        )
        self.db: AsyncDatabase = self.client[db_name]
        self.producer = producer
        self.clock = clock
        self.committed = asyncio.Event()  # wakes the outbox relay after a commit that emitted
        # What this process committed to the outbox: the relay publishes it without reading it back.
        self.committed_rows: list[dict[str, Any]] = []
        self.timeout = timeout  # seconds for a unit of work, its retries included
        self.probe_id = f"{producer}:{socket.gethostname()}:{os.getpid()}"  # `write_answers`' row

    async def ensure_indexes(self, indexes: dict[str, list[IndexModel]]) -> list[str]:
        """Makes each collection's indexes what the code declares: builds the missing ones, then drops
        one an earlier release made that this one no longer declares, or declares otherwise (it would
        cost every write). A replacement is built before what it replaces is dropped, unless the two
        cannot stand side by side: the same name, or the same keys where the store allows one index
        per key pattern. Returns what it dropped."""
        dropped: list[str] = []
        for name, models in {**PLATFORM_INDEXES, **indexes}.items():
            collection = self.db[name]
            wanted = {model.document["name"]: index_spec(model.document) for model in models}
            held = await collection.index_information()
            stale = [i for i, info in held.items() if i != "_id_" and wanted.get(i) != index_spec(info)]
            undeclared = [i for i in stale if i not in wanted]  # the others are rebuilt under their name
            if models:
                dropped += await self._drop_indexes(collection, [i for i in stale if i in wanted])
                try:
                    await collection.create_indexes(models)
                except OperationFailure as error:
                    if error.code not in INDEX_CLASH:
                        raise
                    dropped += await self._drop_indexes(collection, undeclared)
                    undeclared = []
                    await collection.create_indexes(models)
            dropped += await self._drop_indexes(collection, undeclared)
        return dropped

    @staticmethod
    async def _drop_indexes(collection: Any, names: list[str]) -> list[str]:
        """Drops `names`; returns them as `collection.index`."""
        dropped = []
        for index in names:
            log.info("dropping index %s.%s: no longer declared as it is", collection.name, index)
            try:
                await collection.drop_index(index)
            except OperationFailure as error:
                if error.code != INDEX_NOT_FOUND:  # not found: another replica starting dropped it first
                    raise
            dropped.append(f"{collection.name}.{index}")
        return dropped

    async def write_answers(self, within: float) -> bool:
        """Whether a short write completes in time. A store can answer pings while it holds every
        write (a killed client's transaction wedged the embedded one: writes waited 10 minutes
        while readiness said yes), so readiness writes this process's own row. In a transaction, as
        every unit of work writes: the embedded store's wedge freezes its transaction registry (each
        transaction command first reaps idle ones, and waits on a live one stuck behind the write
        that retries against the killed client's), while plain writes elsewhere still pass. And a
        transaction command is what lets that store abort a killed client's transaction once it has
        been idle 60 s, before anything is stuck behind it (docs/operations.md, "store watchdog")."""
        try:
            with pymongo.timeout(within):
                at = {"$set": {"at": self.clock.now()}}
                async with self.client.start_session() as session, await session.start_transaction():
                    await self.db[READINESS].update_one({"_id": self.probe_id}, at, upsert=True, session=session)
            return True
        except PyMongoError:
            return False

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
            await tx.flush()
        self._to_relay(tx)

    async def run(self, work: Callable[[Tx], Awaitable[Any]]) -> Any:
        """Run `work` in a transaction. The driver re-runs all of it after a transient error (a
        write conflict) but only the commit when the commit's outcome is unknown, so work that
        committed is never done twice."""
        last: list[Tx] = []
        deadline = time.monotonic() + self.timeout

        async def attempt(session: AsyncClientSession) -> Any:
            # The work is bounded, its retries included (a caller, an HTTP client or a message's
            # ack_wait, gives up long before the driver's two minutes of retries): past the
            # deadline the store counts as unavailable. Commit and abort are not bounded, so a
            # commit whose outcome is unknown is still retried to an answer, never left half done.
            left = deadline - time.monotonic()
            if last and left <= 0:
                raise StoreUnavailable(f"no transaction could complete within {self.timeout:.0f}s")
            last[:] = [Tx(self.db, session, self.producer, self.clock)]
            with pymongo.timeout(max(left, 0.1)):
                result = await work(last[0])
                await last[0].flush()
                return result

        async with self.client.start_session() as session:
            result = await session.with_transaction(attempt)
        self._to_relay(last[0])
        return result

    def _to_relay(self, tx: Tx) -> None:
        """Hand what a committed unit of work emitted to the outbox relay."""
        if tx.rows:
            self.committed_rows.extend(tx.rows)
            self.committed.set()

    async def close(self) -> None:
        await self.client.close()


INDEX_OPTIONS = ("unique", "sparse", "partialFilterExpression", "expireAfterSeconds")
INDEX_NOT_FOUND = 27
INDEX_CLASH = (85, 86)  # IndexOptionsConflict, IndexKeySpecsConflict


def index_spec(index: dict[str, Any]) -> tuple[Any, ...]:
    """What makes two indexes the same: their keys and the options that change what they hold."""
    keys = index["key"].items() if isinstance(index["key"], dict) else index["key"]
    # `is`, not `in (None, False)`: a TTL of 0 (expire at the stored time) equals False.
    options = {o: naive(index[o]) for o in INDEX_OPTIONS if index.get(o) is not None and index.get(o) is not False}
    # 1 and -1 may come back as 1.0 and -1.0; a text, hashed or geo index names its kind.
    return tuple((key, d if isinstance(d, str) else int(d)) for key, d in keys), options


def naive(value: Any) -> Any:
    """`value` with every date as naive UTC: `index_information` answers a partial filter's date
    naive whatever the client's `tz_aware`, and an aware date never equals a naive one."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, dict):
        return {k: naive(v) for k, v in value.items()}
    return value


def object_id(value: Any) -> ObjectId | None:
    """A path id as stored; None for anything that cannot be one (answered as not found)."""
    if value is None:
        return None  # ObjectId(None) would make a new id
    try:
        return ObjectId(value)
    except (InvalidId, TypeError):
        return None


def duplicate_key(error: Exception) -> bool:
    """A unique index refused a write: alone, or within a bulk write (the end of a unit of work)."""
    if isinstance(error, BulkWriteError):
        return any(e.get("code") == 11000 for e in error.details.get("writeErrors", []))
    return isinstance(error, DuplicateKeyError)


async def find_or_404(
    db: AsyncDatabase, collection: str, doc_id: str, what: str, scope: dict[str, Any] | None = None, session: Any = None
) -> dict[str, Any]:
    """The document with this id within `scope` (what the caller may see), or a 404 problem. A
    malformed id, a missing document and one out of scope get the same answer, so ids reveal nothing."""
    oid = object_id(doc_id)
    found = oid and await db[collection].find_one({"_id": oid, **(scope or {})}, session=session)
    if not found:
        raise not_found(what)
    return found
