"""A service's event handlers: the registry (`Handlers`, one `Registration` per event type a
handler takes), what a handler receives (its typed event, the envelope's `Meta`, the consumer's
`Tx`) and how it opens its unit of work (`Unit`). The consumer (ptfc.consumer) subscribes each
registration and runs it; a unit test runs one in memory (ptfc.testing.fakes.handle)."""

import dataclasses
import functools
import inspect
import types
import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from ptfc.events import EVENTS, Envelope, EventData
from ptfc.store import Tx


@dataclass(frozen=True)
class Meta:
    """The envelope of the event a handler receives, without its data (the handler gets that typed)."""

    event_id: UUID
    type: str
    version: int
    occurred_at: datetime
    correlation_id: str
    producer: str

    @classmethod
    def of(cls, envelope: Envelope) -> "Meta":
        return cls(**envelope.model_dump(exclude={"data"}))


Handler = Callable[..., Awaitable[None]]  # (event, meta, tx, **its dependencies)
W = typing.TypeVar("W")
# How a handler opens its service's unit of work on the consumer's transaction: its keyword
# parameter `unit: Unit[UnitOfWork] = UnitOfWork` (the store's, by default), so a unit test gives
# it an in-memory one instead (`ptfc.testing.fakes.handle`).
Unit = Callable[[Tx], W]
# Reads what a batch's handlers will need, all events at once (into `tx.get`'s identity map).
Prefetch = Callable[[list[Any], Tx], Awaitable[Any]]


def event_models(handler: Handler) -> list[type[EventData]]:
    """The event types a handler takes, read from the annotation of its first parameter
    (one model, or a union of them)."""
    first = next(iter(inspect.signature(handler).parameters))
    hint = typing.get_type_hints(handler)[first]
    models = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)
    if not models or not all(isinstance(m, type) and issubclass(m, EventData) and m in EVENTS.values() for m in models):
        raise TypeError(f"{handler.__name__}: annotate its first parameter with the event model(s) it takes")
    return list(models)


@dataclass(frozen=True)
class Registration:
    name: str
    model: type[EventData]
    handler: Handler
    prefetch: Prefetch | None = None

    @property
    def subject(self) -> str:
        return self.model.TYPE


class Handlers:
    """The event handlers of one service. A handler declares the event it takes by its type:

        @handlers.on
        async def open_enrolments(event: ReferralCreated, meta: Meta, tx: Tx) -> None: ...

    A union (`event: WorkshopAttended | WorkshopMissed`) subscribes to each; the consumer
    validates the event against its model before the handler runs.

    `@handlers.on(prefetch=load)`: `await load(events, tx)` runs once per batch before its
    handlers, to read in one query what each handler would otherwise read on its own.

    A handler is a module-level function; what it needs beyond the event (settings, a renderer)
    are keyword parameters after `tx`, given once by `handlers.bind(...)` when the app is wired
    (ptfc.service.build_app binds the app's `settings`), so each handler can be read, followed
    and unit-tested alone. A handler that writes through its service's unit of work opens it with
    `unit(tx)`, from the keyword parameter `unit: Unit[UnitOfWork] = UnitOfWork`: the consumer
    leaves the default, and a unit test binds a fake (`ptfc.testing.fakes.handle(handlers, event,
    fake)`), with no NATS and no MongoDB."""

    def __init__(self) -> None:
        self.registrations: list[Registration] = []

    def on(self, handler: Handler | None = None, *, prefetch: Prefetch | None = None) -> Any:
        if handler is None:
            return lambda h: self.on(h, prefetch=prefetch)
        models = event_models(handler)
        for model in models:
            name = handler.__name__ if len(models) == 1 else f"{handler.__name__}-{model.TYPE.replace('.', '_')}"
            self.registrations.append(Registration(name, model, handler, prefetch))
        return handler

    def bind(self, **deps: Any) -> "Handlers":
        """The same handlers, each given the dependencies it names among its parameters."""
        bound = Handlers()
        for r in self.registrations:
            wanted = {k: v for k, v in deps.items() if k in inspect.signature(r.handler).parameters}
            handler = functools.update_wrapper(functools.partial(r.handler, **wanted), r.handler)
            bound.registrations.append(dataclasses.replace(r, handler=handler if wanted else r.handler))
        return bound
