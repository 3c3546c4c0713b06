"""Idempotent event consumption: the JetStream side of a service's handlers (ptfc.handlers).

Each handler gets its own durable pull consumer (`<service>-<handler>`). The handler's
effect, its outgoing events and an inbox mark keyed by `event_id` commit in one
transaction, so a redelivered event changes nothing. A failure is nak'ed with a growing
delay; after `max_deliver` attempts the message is parked in `dead_letters` and
terminated, to be replayed by operations once the cause is fixed. JetStream's own
delivery limit is off: a message leaves the stream only once handled or parked.

Early is not failure: a delivery that finds what the event follows not yet arrived (`NotYetKnown`)
first waits in the process, up to `out_of_order_backoff`, and is tried again each time another of
the service's handlers commits (what it follows is usually that handler's event, a moment behind:
notifications' welcome letter needs the referral its `remember_referral` is storing). Still early,
it is counted apart (`early_arrivals`, and in memory), comes again soon, and has a budget of its own
(twice `max_deliver`); the failures' budget counts only the deliveries that failed. JetStream's
delivery count holds both, so an event early six times that then met a store outage was parked
on its first real failure.

The messages of one fetch are handled together (group commit, `ptfc.batching.Batch`): one inbox read, the
marks and every handler's effects in one transaction, one commit. A handler that fails takes
only its own event out: the rest are handled again without it, so one bad event never holds
back or parks the others."""

import asyncio
import dataclasses
import logging
import time
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

import pymongo
from faststream import AckPolicy
from faststream.nats import ConsumerConfig, JStream, NatsBroker, NatsMessage, PullSub
from faststream.nats.annotations import NatsMessage as MessageDep
from pydantic import ValidationError
from pymongo.errors import BulkWriteError, ConnectionFailure, DuplicateKeyError, PyMongoError

from ptfc import bus
from ptfc.batching import Batch
from ptfc.buspermissions import inbox_prefix
from ptfc.contracts import event_schema
from ptfc.events import Envelope, NotYetKnown, owner_of, stream_for
from ptfc.handlers import Handlers, Meta, Registration
from ptfc.logs import bind
from ptfc.metrics import EVENTS_HANDLED
from ptfc.sealing import seal, unseal
from ptfc.settings import ServiceSettings
from ptfc.store import DEAD_LETTERS, EARLY, INBOX, Store, Tx

log = logging.getLogger("ptfc.consumer")
MAX_RETRY_DELAY = 300.0  # seconds
STORE_ASIDE = 2.0  # seconds for the early count's read or write: without it, the message goes on


def document_payload(subscriber: Any, schema: dict[str, Any], name: str) -> None:
    """Make a subscriber's AsyncAPI entry show `schema` (its specification object is slotted, so
    the override is a subclass of its own class)."""
    spec = subscriber.specification
    documented = type(
        f"Documented{type(spec).__name__}",
        (type(spec),),
        {"__slots__": (), "get_payloads": lambda self: [(schema, name)]},
    )
    spec.__class__ = documented


def describe(error: Exception) -> str:
    """An error as operations may see it: validation errors name fields, never their values."""
    if isinstance(error, ValidationError):
        fields = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['type']}" for e in error.errors(include_input=False))
        return f"ValidationError: {fields}"
    return f"{type(error).__name__}: {error}"[:2000]


class HandlerFailed(Exception):
    """The handler of the `index`-th event of a batch raised `error`: that event alone failed."""

    def __init__(self, index: int, error: Exception) -> None:
        super().__init__(index, error)
        self.index, self.error = index, error


def store_level(error: BaseException) -> bool:
    """A failure of the store itself (away, timed out, a write conflict to retry): every event of the
    batch failed with it, and none is to blame. Anything else a handler raises is its event's own."""
    if isinstance(error, ConnectionFailure):  # StoreUnavailable included
        return True
    return isinstance(error, PyMongoError) and (error.timeout or error.has_error_label("TransientTransactionError"))


class Consumer:
    def __init__(self, service: str, store: Store, settings: ServiceSettings, handlers: Handlers) -> None:
        self.service = service
        self.store = store
        self.settings = settings
        self.by_durable = {self.durable(r): r for r in handlers.registrations}
        self.batches: dict[str, Batch[Envelope, bool]] = {
            durable: Batch(lambda envelopes, r=r, d=durable: self.handle_each(r, d, envelopes))
            for durable, r in self.by_durable.items()
        }
        self.early: dict[str, int] = {}  # `<durable>:<event_id>` -> its early deliveries, as counted
        self.waiting: list[tuple[str, asyncio.Event]] = []  # early events' waits: (durable, set by another's commit)

    def committed(self, durable: str) -> None:
        """A batch of `durable` committed: wake the early events of the other handlers."""
        for waiter, woken in self.waiting:
            if waiter != durable:
                woken.set()

    async def handle_in_turn(self, durable: str, envelope: Envelope) -> bool:
        """Handle an event; one that came early is tried again each time another handler of this
        process commits, for up to `out_of_order_backoff`, before it is given back as early.
        Measured at a steady 5 referrals/s, 3 % of notifications' activation events came early, a
        few ms behind their referral; given back, each waited 0.2 s and a redelivery (the slowest
        welcome letters). A wait the process cannot end (a single handler; what it follows handled
        by another replica) ends at its deadline. The handler's next fetch waits for it (FastStream
        finishes a fetch's messages before the next), so the deadline stays short."""
        deadline = time.monotonic() + self.settings.out_of_order_backoff.total_seconds()
        while True:
            woken = asyncio.Event()  # before trying: a commit during the attempt counts
            self.waiting.append(waiter := (durable, woken))
            try:
                return await self.batches[durable].submit(envelope)
            except NotYetKnown:
                left = deadline - time.monotonic()
                if left <= 0:  # however busy the other handlers: a busy process would retry for ever
                    raise
                with suppress(TimeoutError):
                    async with asyncio.timeout(left):
                        await woken.wait()
                if not woken.is_set():
                    raise
            finally:
                self.waiting.remove(waiter)

    async def early_seen(self, durable: str, envelope: Envelope, attempt: int) -> int:
        """How many of this message's deliveries were early. Looked up only once its deliveries
        reach the failures' budget (before, they cannot have spent it); unknown (the store away,
        after a restart) counts as none."""
        key = f"{durable}:{envelope.event_id}"
        if key not in self.early and attempt >= self.settings.max_deliver:
            with suppress(PyMongoError), pymongo.timeout(STORE_ASIDE):
                doc = await self.store.db[EARLY].find_one({"_id": key})
                self.early[key] = doc["times"] if doc else 0
        return self.early.get(key, 0)

    async def count_early(self, durable: str, envelope: Envelope) -> int:
        """One more early delivery; how many so far (kept in memory too, so a store outage that
        follows still knows them)."""
        key = f"{durable}:{envelope.event_id}"
        self.early[key] = self.early.get(key, 0) + 1
        with suppress(PyMongoError), pymongo.timeout(STORE_ASIDE):
            doc = await self.store.db[EARLY].find_one_and_update(
                {"_id": key},
                {"$inc": {"times": 1}, "$set": {"at": datetime.now(UTC)}},
                upsert=True,
                return_document=True,
            )
            self.early[key] = max(self.early[key], doc["times"])
        return self.early[key]

    def subscribe_all(self, broker: NatsBroker) -> None:
        for registration in self.by_durable.values():
            self.subscribe(broker, registration)

    def durable(self, registration: Registration) -> str:
        return f"{self.service}-{registration.name}".replace(".", "_")

    def subscribe(self, broker: NatsBroker, registration: Registration) -> None:
        durable = self.durable(registration)

        async def receive(msg: MessageDep) -> None:
            await self.deliver(registration, durable, msg.body, msg)

        subscriber = broker.subscriber(
            registration.subject,
            stream=JStream(stream_for(registration.subject), declare=False),
            durable=durable,
            pull_sub=PullSub(batch_size=16, timeout=1.0),
            config=ConsumerConfig(
                # Unlimited: we count attempts and park ourselves, and an event whose parking fails
                # (the database is away) must come back rather than be dropped by JetStream.
                max_deliver=-1,
                ack_wait=self.settings.ack_wait.total_seconds(),
            ),
            ack_policy=AckPolicy.NACK_ON_ERROR,
            # Fetched messages arrive on the service's own inbox: the only one its identity may read.
            inbox_prefix=f"{inbox_prefix(self.settings.nats_identity)}.".encode(),
            title=durable,
            description=(registration.handler.__doc__ or "").strip() or None,
        )
        subscriber(receive)
        # `receive` takes the raw message (so a broken event is parked, not nak'ed by FastStream's
        # own validation); the documents show the event the handler really takes.
        document_payload(subscriber, event_schema(registration.model), durable)

    async def deliver(self, registration: Registration, durable: str, body: bytes, msg: NatsMessage) -> None:
        attempt = msg.raw_message.metadata.num_delivered
        try:
            envelope = Envelope.model_validate_json(body)
        except ValidationError as error:
            await self.give_up(msg, durable, registration, body, "not a valid envelope: " + describe(error), attempt)
            return
        with bind(correlation_id=envelope.correlation_id, event_id=str(envelope.event_id)):
            if (untrusted := self.untrusted(registration, envelope)) is not None:
                log.warning("%s parked: %s", envelope.type, untrusted)
                await self.give_up(msg, durable, registration, body, untrusted, attempt, envelope)
                return
            early = await self.early_seen(durable, envelope, attempt)
            failures = attempt - early  # this delivery counted as one
            if failures > 2 * self.settings.max_deliver:
                # Far past the limit without being parked: the handler keeps taking the process
                # down. Park it without running it again. (Just past the limit, after an outage
                # that also stopped the parking, it runs again: the outage may be over.)
                if await self.handled(durable, envelope):  # it was; only its ack was lost
                    await msg.ack()
                    return
                error = f"delivered {attempt} times without being handled"
                await self.give_up(msg, durable, registration, body, error, attempt, envelope)
                return
            try:
                handled = await self.handle_in_turn(durable, envelope)
            except Exception as error:
                # A validation error's text holds the event's data, contact details included: log its shape only.
                trace = not isinstance(error, (ValidationError, NotYetKnown))
                if isinstance(error, NotYetKnown) and early + 1 < 2 * self.settings.max_deliver:
                    # What it follows is on its way: soon again, on its own budget, not yet a failure.
                    early = await self.count_early(durable, envelope)
                    delay = self.retry_delay(early, self.settings.out_of_order_backoff.total_seconds())
                    log.info("%s came before what it follows (try %d); again in %.1fs", envelope.type, attempt, delay)
                    await msg.nack(delay=delay)
                    EVENTS_HANDLED.labels(self.service, registration.name, "early").inc()
                elif failures >= self.settings.max_deliver or isinstance(error, NotYetKnown):
                    log.error("%s failed %d times: %s", envelope.type, attempt, describe(error), exc_info=trace)
                    await self.give_up(msg, durable, registration, body, describe(error), attempt, envelope)
                else:
                    delay = self.retry_delay(failures)
                    log.warning("%s failed (attempt %d); retry in %.1fs", envelope.type, attempt, delay, exc_info=trace)
                    await msg.nack(delay=delay)
                    EVENTS_HANDLED.labels(self.service, registration.name, "retried").inc()
                return
            self.early.pop(f"{durable}:{envelope.event_id}", None)
            await msg.ack()
            EVENTS_HANDLED.labels(self.service, registration.name, "handled" if handled else "duplicate").inc()

    @staticmethod
    def untrusted(registration: Registration, envelope: Envelope) -> str | None:
        """Why an event cannot be trusted, if it cannot: only the owner of a subject's stream
        publishes it (NATS permissions enforce the subject; this checks the envelope agrees)."""
        owner = owner_of(registration.subject)
        if envelope.type != registration.subject:
            return f"untrusted: type {envelope.type!r} on subject {registration.subject!r}"
        if envelope.producer != owner:
            return f"untrusted: producer {envelope.producer!r} does not own {registration.subject!r} ({owner})"
        return None

    def retry_delay(self, attempt: int, first: float | None = None) -> float:
        """The back-off before the next delivery: doubling, capped so a long outage is retried every few minutes."""
        first = self.settings.redelivery_backoff.total_seconds() if first is None else first
        return min(first * 2 ** (attempt - 1), MAX_RETRY_DELAY)

    async def give_up(
        self,
        msg: NatsMessage,
        durable: str,
        registration: Registration,
        body: bytes,
        error: str,
        attempt: int,
        envelope: Envelope | None = None,
    ) -> None:
        """Park the message, then stop its redelivery. If parking fails too, it comes back later:
        a message leaves JetStream only once it is handled or parked."""
        try:
            await self.park(durable, registration.subject, body, error, attempt, envelope)
        except Exception:
            log.warning("could not park a message after %d attempts; it will be delivered again", attempt)
            await msg.nack(delay=self.retry_delay(attempt))
            return
        EVENTS_HANDLED.labels(self.service, registration.name, "parked").inc()
        try:
            await msg.reject()
        except Exception:
            # It comes back past the limit and runs again (or is parked again): harmless, the inbox
            # keeps a second run from acting twice and a second parking only lists it twice.
            log.warning("a parked message could not be terminated; it may be parked twice", exc_info=True)

    async def reconcile(self) -> None:
        """A durable consumer made by an earlier release keeps its old settings (subscribing to
        one that exists only binds to it): bring each to what this code expects."""
        nc = await bus.connect(self.settings)
        try:
            js = nc.jetstream()
            for durable, registration in self.by_durable.items():
                stream = stream_for(registration.subject)
                config = (await js.consumer_info(stream, durable)).config
                wanted = {"max_deliver": -1, "ack_wait": self.settings.ack_wait.total_seconds()}
                if any(getattr(config, k) != v for k, v in wanted.items()):
                    await js.add_consumer(stream, config=dataclasses.replace(config, **wanted))
                    log.info("consumer %s updated to %s", durable, wanted)
        finally:
            await nc.close()

    async def handled(self, durable: str, envelope: Envelope) -> bool:
        return await self.store.db[INBOX].find_one({"_id": f"{durable}:{envelope.event_id}"}, {"_id": 1}) is not None

    async def handle_once(self, registration: Registration, durable: str, envelope: Envelope) -> bool:
        """Apply the handler unless this consumer has already applied this event."""
        [outcome] = await self.handle_each(registration, durable, [envelope])
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def handle_each(
        self, registration: Registration, durable: str, envelopes: list[Envelope]
    ) -> list[bool | Exception]:
        """Each event's outcome: True once applied, False if already applied, or why it failed.
        Together in one transaction; a handler that fails is taken out and the rest run again."""
        outcomes: dict[int, bool | Exception] = {}
        keys = [f"{durable}:{e.event_id}" for e in envelopes]
        # Not read first: an event handled before fails its inbox mark (a unique key), and the
        # batch then goes one event at a time. Redeliveries are rare; a read per batch is not.
        first: dict[str, int] = {}  # the same event twice in one batch (a redelivery): the second follows the first
        todo: dict[int, Any] = {}
        for i, (key, envelope) in enumerate(zip(keys, envelopes, strict=True)):
            if key in first:
                continue
            first[key] = i
            try:
                # A broken contract fails here: retried, then parked for operations like any failure.
                todo[i] = registration.model.model_validate(envelope.data)
            except ValidationError as error:
                outcomes[i] = error
        while todo:  # again only when one handler failed: the others, without it
            try:
                await self.apply(registration, [(keys[i], envelopes[i], event, i) for i, event in todo.items()])
            except HandlerFailed as failed:
                outcomes[failed.index] = failed.error
                del todo[failed.index]
                continue
            except Exception as error:
                if len(todo) > 1 and not store_level(error):
                    # An inbox mark exists already (handled before), or a write at the end of the work
                    # failed: whose event is it? One at a time, so only that one fails.
                    for i in todo:
                        [outcomes[i]] = await self.handle_each(registration, durable, [envelopes[i]])
                elif len(todo) == 1 and isinstance(error, (BulkWriteError, DuplicateKeyError)):
                    [i] = todo  # its mark exists: handled before, or by another replica just now?
                    outcomes[i] = False if await self.handled(durable, envelopes[i]) else error
                else:  # the store failed: every event of the batch with it
                    outcomes |= dict.fromkeys(todo, error)
            else:
                outcomes |= dict.fromkeys(todo, True)
                self.committed(durable)
            break
        for i, key in enumerate(keys):
            if i not in outcomes:  # a second copy: a duplicate once the first is applied, else as the first
                outcomes[i] = False if outcomes[first[key]] is True else outcomes[first[key]]
        return [outcomes[i] for i in range(len(envelopes))]

    async def apply(self, registration: Registration, batch: list[tuple[str, Envelope, Any, int]]) -> None:
        """The inbox marks and every handler's effects, in one transaction."""
        now = self.store.clock.now()

        async def work(tx: Tx) -> None:
            await tx.db[INBOX].insert_many([{"_id": key, "handled_at": now} for key, *_ in batch], session=tx.session)
            if registration.prefetch is not None:
                await registration.prefetch([event for _, _, event, _ in batch], tx)
            for _, envelope, event, index in batch:
                try:
                    await registration.handler(event, Meta.of(envelope), tx)
                except Exception as error:
                    if store_level(error):
                        raise  # the driver retries a write conflict; an outage fails the batch
                    raise HandlerFailed(index, error) from error

        await self.store.run(work)

    async def replay(self, durable: str, body: str, sealed: bool = False) -> bool:
        """Run a parked event through its handler again; raises if it still fails."""
        registration = self.by_durable[durable]
        if sealed:
            body = unseal(self.settings.dead_letter_seal_key, body)
        envelope = Envelope.model_validate_json(body)
        if (untrusted := self.untrusted(registration, envelope)) is not None:
            raise ValueError(untrusted)  # a forged event stays parked
        with bind(correlation_id=envelope.correlation_id, event_id=str(envelope.event_id)):
            return await self.handle_once(registration, durable, envelope)

    async def park(
        self, durable: str, subject: str, body: bytes, error: str, attempts: int, envelope: Envelope | None = None
    ) -> None:
        now = self.store.clock.now()
        doc: dict[str, Any] = {
            "consumer": durable,
            "subject": subject,
            # Sealed at rest: a parked referral.created holds contact details, and a copy of the
            # database must not give them away. Only this service's key opens it, to replay it.
            "body": seal(self.settings.dead_letter_seal_key, body.decode(errors="replace")),
            "body_sealed": True,
            "error": error[:2000],
            "attempts": attempts,
            "parked_at": now,
            "replayed_at": None,
            "expires_at": now + self.settings.dead_letter_ttl,  # unreplayed, it goes then (TTL index)
        }
        if envelope:
            doc["event_id"] = str(envelope.event_id)
            doc["correlation_id"] = envelope.correlation_id
        await self.store.db[DEAD_LETTERS].insert_one(doc)
