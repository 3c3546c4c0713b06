"""Limits on every public door, applied by `build_app` to every service before routing, parsing
or authentication: a body-size cap, a per-client rate limit with a bounded queue on the
routes a service names in `rate_limits` (settings), answered with a 429 problem, and turns for
write requests.

The ingress limits too; these hold if it is misconfigured, or bypassed from inside the cluster."""

import asyncio
import math
import time
from collections import OrderedDict
from collections.abc import Callable

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ptfc.metrics import HTTP_REQUESTS, HTTP_WAITING
from ptfc.problems import RETRY_AFTER, Problem, respond


class BodyLimit:
    """Refuse a huge body (declared or streamed) before anything parses it."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        chunks, size, more = [], 0, declared.isdigit() and int(declared) <= self.limit
        while more:
            message = await receive()
            chunks.append(message)
            size += len(message.get("body", b""))
            more = message.get("more_body", False) and size <= self.limit
        if not (declared.isdigit() and size <= self.limit and int(declared) <= self.limit):
            problem = Problem(413, "body-too-large", "Request too large", f"Send at most {self.limit} bytes.")
            return await respond(problem, Request(scope))(scope, receive, send)
        replay = iter(chunks)

        async def buffered() -> Message:
            return next(replay, None) or await receive()

        return await self.app(scope, buffered, send)


class _Buckets:
    """A token bucket per client, `per_minute` requests a minute with bursts of as many; the least
    recently seen clients are forgotten beyond `max_clients`, so memory stays bounded."""

    def __init__(self, per_minute: int, max_clients: int = 10_000) -> None:
        self.rate, self.capacity, self.max_clients = per_minute / 60.0, float(per_minute), max_clients
        self.state: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, client: str, now: float) -> float:
        """0 if the request may go, else the seconds until it could."""
        tokens, at = self.state.pop(client, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - at) * self.rate)
        wait = 0.0 if tokens >= 1 else (1 - tokens) / self.rate
        self.state[client] = (tokens - 1 if tokens >= 1 else tokens, now)
        while len(self.state) > self.max_clients:
            self.state.popitem(last=False)
        return wait


def client_address(scope: Scope, proxy_hops: int = 0) -> str:
    """The caller's address. Behind `proxy_hops` trusted proxies (the ingress), the address the
    nearest of them saw, from X-Forwarded-For: hops further left are the caller's to forge."""
    if proxy_hops:
        forwarded = dict(scope["headers"]).get(b"x-forwarded-for", b"").decode(errors="replace").split(",")
        if len(forwarded) >= proxy_hops and forwarded[-proxy_hops].strip():
            return forwarded[-proxy_hops].strip()
    return (scope.get("client") or ("unknown", 0))[0]


def too_many(seconds: int) -> Problem:
    return Problem(
        429, "too-many-requests", "Too many requests", f"Try again in {seconds} seconds.", retry_after=seconds
    )


class PerClient:
    """The same per-client limit for a route whose limit depends on who calls, so it cannot be a
    "METHOD /path" entry of `rate_limits` (plans: strangers starting plans, plan tokens being
    guessed): a dependency calls `check`, which raises the 429 problem."""

    def __init__(self, per_minute: int, max_clients: int = 10_000) -> None:
        self.buckets = _Buckets(per_minute, max_clients)

    def check(self, client: str, now: float | None = None) -> None:
        wait = self.buckets.take(client, time.monotonic() if now is None else now)
        if wait:
            raise too_many(math.ceil(wait))


class RateLimit:
    """`limits` maps "METHOD /path" to requests per minute per client. At most `concurrency`
    such requests run at once and `queue` more wait; beyond that, 429 at once (a flood is refused
    cheaply instead of piling up in memory)."""

    def __init__(
        self, app: ASGIApp, limits: dict[str, int], proxy_hops: int = 0, concurrency: int = 8, queue: int = 32
    ) -> None:
        self.app, self.proxy_hops = app, proxy_hops
        self.buckets = {route: _Buckets(n) for route, n in limits.items()}
        self.running = asyncio.Semaphore(concurrency)
        self.capacity = concurrency + queue
        self.inside = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        buckets = self.buckets.get(f"{scope['method']} {scope['path']}")
        if buckets is None:
            return await self.app(scope, receive, send)
        client = self.client(scope)
        wait = buckets.take(client, time.monotonic())
        if wait or self.inside >= self.capacity:
            return await self._too_many(scope, receive, send, max(wait, 1.0))
        self.inside += 1
        try:
            async with self.running:
                return await self.app(scope, receive, send)
        finally:
            self.inside -= 1

    def client(self, scope: Scope) -> str:
        return client_address(scope, self.proxy_hops)

    @staticmethod
    async def _too_many(scope: Scope, receive: Receive, send: Send, wait: float) -> None:
        seconds = math.ceil(wait)
        response = respond(too_many(seconds), Request(scope))
        response.headers["Retry-After"] = str(seconds)
        await response(scope, receive, send)


class WriteTurns:
    """At most `concurrency` write requests (any method but GET, HEAD and OPTIONS) are handled at
    once; up to `queue` more wait their turn, each for at most `wait` seconds, and the rest are
    answered 503 with Retry-After.

    `admit` (ptfc.auth.admission) is asked first: a write it refuses (no token where one is needed,
    or a bad one) is answered at once, and one no route matches goes on, both without a turn:
    otherwise a flood of writes with junk tokens fills the queue and genuine writes are told 503.

    A store serves its clients about equally per unit of work in flight. Unbounded, a burst of
    partners' writes (8 posting referrals at once) crowds out the work that follows from them, the
    letters those referrals lead to, which then lag the burst by seconds. Consumers and sweeps need
    no turn: each already runs one batch or item at a time."""

    def __init__(
        self,
        app: ASGIApp,
        concurrency: int,
        wait: float,
        service: str,
        queue: int = 64,
        admit: Callable[[Scope, dict], Problem | bool] | None = None,
    ) -> None:
        self.app, self.wait, self.queue, self.service, self.admit = app, wait, queue, service, admit
        self.turns = asyncio.Semaphore(concurrency)
        self.waiting = HTTP_WAITING.labels(service)
        self.queued = 0
        self.routes: dict = {}  # what `admit` learns of each route, once

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        admitted = self.admit(scope, self.routes) if self.admit else True
        if isinstance(admitted, Problem):
            HTTP_REQUESTS.labels(self.service, scope["method"], admitted.status).inc()  # `measure` is inside
            return await respond(admitted, Request(scope))(scope, receive, send)
        if not admitted:
            return await self.app(scope, receive, send)
        if self.queued >= self.queue:
            return await self._busy(scope, receive, send)
        self.queued += 1
        self.waiting.inc()
        try:
            async with asyncio.timeout(self.wait):
                await self.turns.acquire()
        except TimeoutError:
            return await self._busy(scope, receive, send)
        finally:
            self.queued -= 1
            self.waiting.dec()
        try:
            return await self.app(scope, receive, send)
        finally:
            self.turns.release()

    async def _busy(self, scope: Scope, receive: Receive, send: Send) -> None:
        HTTP_REQUESTS.labels(self.service, scope["method"], 503).inc()  # `measure` is inside: count it here
        problem = Problem(
            503,
            "unavailable",
            "Service unavailable",
            "The service is too busy to take this just now. Retry later with the same Idempotency-Key.",
        )
        await respond(problem, Request(scope), {"Retry-After": str(RETRY_AFTER)})(scope, receive, send)
