"""What a route, handler or sweep of one service reaches: the `Runtime`, made once per app by
`ptfc.service.build_app`, and the FastAPI dependency that hands it to a route."""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from faststream.nats import NatsBroker

from ptfc.clock import Clock
from ptfc.consumer import Consumer
from ptfc.outbox import Relay
from ptfc.store import Store

Sweep = Callable[["Runtime"], Awaitable[Any]]


@dataclass
class Runtime:
    """Everything a route, handler or sweep of one service reaches, made once per app."""

    settings: Any
    clock: Clock
    store: Store
    broker: NatsBroker
    consumer: Consumer
    relay: Relay
    tasks: list[asyncio.Task] = field(default_factory=list)


def runtime(request: Request) -> Runtime:
    return request.app.state.rt


RuntimeDep = Annotated[Runtime, Depends(runtime)]
