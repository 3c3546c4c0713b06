"""The in-memory unit of work and one event handler run in memory: a service's rules and handlers
unit-tested with no NATS and no MongoDB (cosmicpython's FakeUnitOfWork).

A service's `tests/unit/fakes.py` subclasses `FakeUnitOfWork` with its collections (plain dicts)
and only its own query methods, written with `one`, `put` and `where`; the clock, ids and emitted
events are here. `handle(handlers, event, unit)` runs the handler registered for one event as the
consumer would (the event through its JSON contract, a `Meta` of its envelope), with the fake as
the unit of work the handler opens (`unit(tx)`, ptfc.handlers.Handlers)."""

import copy
import inspect
import itertools
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from ptfc.events import Envelope, EventData, owner_of
from ptfc.handlers import Handler, Handlers, Meta
from ptfc.testing.events import correlation_of


class FakeUnitOfWork:
    """What every fake unit of work repeats: a clock a test sets (`uow.clock += DAY`), ids in
    order (`000…001`, `000…002`), the events emitted with their correlation id, and copies in and
    out of the collections, as a database would: a rule that forgets to save loses its change."""

    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # a service's fake may start elsewhere

    def __init__(self, now: datetime | None = None) -> None:
        self.clock = now or self.start
        self.events: list[tuple[EventData, str]] = []
        self._ids = itertools.count(1)

    def now(self) -> datetime:
        return self.clock

    def new_id(self) -> str:
        return f"{next(self._ids):024x}"  # shaped as an ObjectId's text, so routes' id checks accept it

    async def emit(self, event: EventData, correlation_id: str) -> None:
        self.events.append((event, correlation_id))

    def emitted(self) -> list[str]:
        """The types of the events emitted, in order."""
        return [event.TYPE for event, _ in self.events]

    def of(self, kind: str) -> list[EventData]:
        """The events of one type emitted, in order."""
        return [event for event, _ in self.events if kind == event.TYPE]

    # The collections' helpers: a copy of what is read, a copy of what is written.
    @staticmethod
    def one(collection: dict[Any, dict], key: Any) -> dict | None:
        return copy.deepcopy(collection.get(key))

    @staticmethod
    def put(collection: dict[Any, dict], doc: dict, key: str = "_id") -> None:
        collection[doc[key]] = copy.deepcopy(doc)

    @staticmethod
    def where(collection: dict[Any, dict] | Iterable[dict], **equal: Any) -> list[dict]:
        """Copies of the documents whose fields equal these values; a list, tuple or set value
        means one of them (`status=["booked", "attended"]`)."""
        docs = collection.values() if isinstance(collection, dict) else collection
        return [
            copy.deepcopy(doc)
            for doc in docs
            if all(
                doc.get(k) == v or (isinstance(v, list | tuple | set | frozenset) and doc.get(k) in v)
                for k, v in equal.items()
            )
        ]


class FakeWithdrawals:
    """`ptfc.withdrawals` in memory, for a fake whose service records withdrawals (learning,
    workshops): the earliest time each referral (`<referral_id>:*`) or parent was withdrawn."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.withdrawals: dict[str, datetime] = {}

    async def record_withdrawal(self, referral_id: str, participant_ids: list[str], at: datetime) -> None:
        for who in participant_ids or ["*"]:
            key = f"{referral_id}:{who}"
            self.withdrawals[key] = min(at, self.withdrawals.get(key, at))

    async def withdrawn(self, referral_id: str, participant_id: str) -> bool:
        return f"{referral_id}:*" in self.withdrawals or f"{referral_id}:{participant_id}" in self.withdrawals


class NoStore:
    """The `tx` a handler gets in memory. A handler reaches its documents through `unit(tx)`; one
    that reads `tx` itself needs the store, and its test an integration test."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"in memory there is no store: the handler read tx.{name} (open `unit(tx)` instead)")


async def handle(
    handlers: Handlers,
    event: EventData,
    unit: FakeUnitOfWork,
    *,
    handler: Handler | None = None,
    correlation_id: str | None = None,
    at: datetime | None = None,
    meta: Meta | None = None,
    **deps: Any,
) -> Meta:
    """Run the handler `handlers` registers for this event's type (or `handler`, when several
    take it), as the consumer runs it: the event's data through its JSON contract, its envelope
    as the `Meta` (from its owner, at `at` or the fake's clock, with a new event id), `unit` as the
    unit of work the handler opens and `deps` as `handlers.bind` gives them. A prefetch is not run:
    it only reads ahead into the store's identity map, and the fake answers every read. Returns the
    `Meta`; given back as `meta=`, the same envelope is delivered again (its event id, time and
    correlation), as a redelivery that got past the inbox would be."""
    takers = [r for r in handlers.bind(unit=lambda tx: unit, **deps).registrations if r.model is type(event)]
    found = [r for r in takers if handler in (None, inspect.unwrap(r.handler))]
    if len(found) != 1:
        names = [r.name for r in takers]
        raise LookupError(f"{len(found)} handlers of {event.TYPE} to run (registered: {names}): name one")
    [registration] = found
    if meta is None:
        correlation = correlation_id or correlation_of(event)
        envelope = Envelope.of(event, correlation_id=correlation, producer=owner_of(event.TYPE), at=at or unit.now())
    elif (meta.type, correlation_id, at) != (event.TYPE, None, None):
        raise ValueError(f"the {meta.type} envelope delivered again is as it was: not a {event.TYPE}, nor changed")
    else:
        envelope = Envelope(**vars(meta), data=event.model_dump(mode="json"))
    envelope = Envelope.model_validate_json(envelope.model_dump_json())  # as it travels
    meta = Meta.of(envelope)
    await registration.handler(registration.model.model_validate(envelope.data), meta, NoStore())
    return meta
