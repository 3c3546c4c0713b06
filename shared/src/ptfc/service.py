"""Wires one service: store, broker, outbox relay, consumers, sweeps and the HTTP API with
health, readiness, metrics, AsyncAPI and dead-letter routes. Every service's
`create_app(settings)` calls `build_app`, so all five have the same shape."""

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from datetime import timedelta

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from faststream.nats import JStream, NatsBroker
from faststream.specification import AsyncAPI
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pymongo import IndexModel

from ptfc import apidocs, bus, openapi
from ptfc import problems as problem_details
from ptfc.auth import admission
from ptfc.clock import Clock, SystemClock
from ptfc.consumer import Consumer
from ptfc.contracts import correlated, envelope_model, published_by
from ptfc.deadletters import PROBLEMS as DEAD_LETTER_PROBLEMS
from ptfc.deadletters import router as dead_letters
from ptfc.events import stream_for
from ptfc.handlers import Handlers
from ptfc.limits import BodyLimit, RateLimit, WriteTurns
from ptfc.logs import BROKER_LOG
from ptfc.metrics import BROKER_CONNECTED, DEAD_LETTERS_EXPIRING, HTTP_LATENCY, HTTP_REQUESTS
from ptfc.outbox import Relay
from ptfc.refusals import Table
from ptfc.runtime import Runtime as Runtime  # re-exported: services import these from here
from ptfc.runtime import RuntimeDep as RuntimeDep
from ptfc.runtime import Sweep as Sweep
from ptfc.settings import ServiceSettings
from ptfc.store import DEAD_LETTERS, Store
from ptfc.tasks import current_task_cancelling

log = logging.getLogger("ptfc.service")


async def _every(interval: float, sweep: Sweep, rt: Runtime) -> None:
    while not current_task_cancelling():  # see Relay._loop
        try:
            await sweep(rt)
        except Exception:  # a sweep that fails is tried again next round: due work stays due
            log.exception("sweep %s failed", sweep.__name__)
        await asyncio.sleep(interval)


def build_app(
    settings: ServiceSettings,
    *,
    title: str,
    router: APIRouter,
    handlers: Handlers,
    indexes: dict[str, list[IndexModel]],
    sweeps: list[Sweep] = (),  # type: ignore[assignment]
    clock: Clock | None = None,
    on_start: Callable[[Runtime], Awaitable[None]] | None = None,
    problems: openapi.Declared | None = None,
    refusals: Table | None = None,
) -> FastAPI:
    """The service's app: its routes, `handlers` (each given the app's `settings` if it names them),
    `indexes` made at start, `sweeps` run every `sweep_interval`, its refusals as problems, and the
    platform's routes, limits and metrics."""
    rt = _runtime(settings, clock or SystemClock(), handlers.bind(settings=settings))
    # No trailing-slash redirects: `/referrals/%2F` would otherwise answer an empty 307 to another
    # route (built from the caller's Host header) instead of a 404 problem.
    # /docs and /asyncapi are ptfc.apidocs' pages, on vendored assets; no /redoc (it loads from a CDN).
    lifespan = _lifespan(rt, indexes, sweeps, on_start)
    app = FastAPI(
        title=title, version="1.0.0", lifespan=lifespan, redirect_slashes=False, docs_url=None, redoc_url=None
    )
    app.state.settings = settings
    app.state.rt = rt
    problem_details.install(app, refusals)  # a domain's Refused, worded by the service's refusals.WORDS
    # Each operation's OpenAPI lists the problem types it may answer: the service's refusals by
    # operation (its refusals.ROUTES), the dead-letter routes' own, and those every route may give.
    openapi.install(app, {**DEAD_LETTER_PROBLEMS, **(problems or {})})
    _measure_and_limit(app, settings)
    app.include_router(router)
    app.include_router(_platform_router(settings.service, rt.broker))
    app.include_router(dead_letters)
    app.include_router(apidocs.router(title))
    return app


def _runtime(settings: ServiceSettings, clock: Clock, handlers: Handlers) -> Runtime:
    """The store, the broker with this service's consumers and publishers, and the outbox relay."""
    timeout = settings.transaction_timeout.total_seconds()
    store = Store(settings.mongodb_uri, settings.db_name, settings.service, clock, timeout)
    broker = bus.broker(settings, logger=BROKER_LOG)
    consumer = Consumer(settings.service, store, settings, handlers)
    consumer.subscribe_all(broker)
    document_publishers(broker, settings.service)
    relay = Relay(store, broker, settings.relay_interval.total_seconds(), settings.relay_gather.total_seconds())
    return Runtime(settings, clock, store, broker, consumer, relay)


def _lifespan(
    rt: Runtime,
    indexes: dict[str, list[IndexModel]],
    sweeps: list[Sweep],
    on_start: Callable[[Runtime], Awaitable[None]] | None,
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Start: refuse development keys, make the indexes, connect, reconcile the consumers, start the
    relay and the sweeps. Stop: the reverse, the store closed even when NATS is away."""
    settings, store, broker, relay = rt.settings, rt.store, rt.broker, rt.relay

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.refuse_development_keys()
        await store.ensure_indexes(indexes)
        # Streams are deploy tooling's (ptfc.streams): a service's identity may not declare them.
        await broker.start()
        await rt.consumer.reconcile()
        if on_start:
            await on_start(rt)
        relay.start()
        rt.tasks = [asyncio.create_task(_every(settings.sweep_interval.total_seconds(), s, rt)) for s in sweeps]
        log.info("%s ready", settings.service)
        try:
            yield
        finally:
            for task in rt.tasks:
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task
            await relay.stop()
            try:
                await broker.stop()
            except Exception as error:  # NATS away at shutdown: nothing to drain to; the store still closes
                log.warning("broker not stopped cleanly: %r", error)
            await store.close()

    return lifespan


def _measure_and_limit(app: FastAPI, settings: ServiceSettings) -> None:
    """Request metrics, and the limits every request passes through."""

    @app.middleware("http")
    async def measure(request: Request, call_next: Callable) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        HTTP_LATENCY.labels(settings.service).observe(time.perf_counter() - started)
        HTTP_REQUESTS.labels(settings.service, request.method, response.status_code).inc()
        return response

    # Outermost last: a flood is refused before its body is read, a huge body before it is parsed.
    # Inside BodyLimit, so a request that waits for its turn holds a body of bounded size; a write
    # whose bearer token will be refused is answered 401 before it waits for a turn.
    wait = settings.write_wait.total_seconds()
    turns = {"concurrency": settings.write_concurrency, "wait": wait, "service": settings.service}
    app.add_middleware(WriteTurns, **turns, admit=admission)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    concurrency = settings.rate_limit_concurrency
    limits = {"limits": settings.rate_limits, "proxy_hops": settings.trusted_proxy_hops}
    app.add_middleware(RateLimit, **limits, concurrency=concurrency, queue=4 * concurrency)


def document_publishers(broker: NatsBroker, service: str) -> None:
    """List what this service publishes in its AsyncAPI document (publishing goes through the
    outbox relay, not these): the channels partners subscribe to, with each event's schema."""
    for model in published_by(service):
        broker.publisher(
            model.TYPE,
            stream=JStream(stream_for(model.TYPE), declare=False),
            schema=envelope_model(model),
            title=f"{model.TYPE}:publish",
            description=(model.__doc__ or "").strip() or None,
        )


async def _within(seconds: float, check: Awaitable[bool]) -> bool:
    try:
        async with asyncio.timeout(seconds):
            return await check
    except TimeoutError:
        return False


def _platform_router(service: str, broker: NatsBroker) -> APIRouter:
    router = APIRouter(tags=["operations"])
    spec = AsyncAPI(broker, title=f"PTfC {service} events", version="1.0.0")

    async def broker_up(rt: Runtime) -> bool:
        up = await _within(1.0, rt.broker.ping(timeout=1.0))
        BROKER_CONNECTED.labels(service).set(1 if up else 0)
        return up

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers. Nothing outside it is checked, so a store or broker outage
        never gets a pod restarted (a restart would not bring either back)."""
        return {"status": "alive", "service": service}

    @router.get("/readyz")
    async def readyz(rt: RuntimeDep) -> JSONResponse:
        """Readiness: the service can take requests, i.e. its store takes a write. The broker is
        reported, not required: a write's events wait in the outbox and the relay publishes them
        when NATS is back, so a broker blip must not take every API out of its Service."""
        # Each check answers within a second or two: a store that does not answer that fast is not
        # ready, even while the driver would still wait out its server-selection timeout; and one
        # that answers pings but holds writes (wedged by a killed client's transaction) is not either.
        checks = {"store": await _within(1.0, rt.store.ping()) and await _within(2.5, rt.store.write_answers(2.0))}
        ready = all(checks.values())
        body = {"ready": ready, "checks": checks, "broker": await broker_up(rt)}
        return JSONResponse(body, 200 if ready else 503)

    @router.get("/readyz/broker")
    async def broker_ready(rt: RuntimeDep) -> JSONResponse:
        """NATS reachable (also the gauge ptfc_broker_connected): for alerts and dashboards, not a probe."""
        up = await broker_up(rt)
        return JSONResponse({"broker": up}, 200 if up else 503)

    @router.get("/metrics", include_in_schema=False)
    async def metrics(rt: RuntimeDep) -> Response:
        with suppress(Exception):  # the store being away must not hide the other metrics
            soon = {"replayed_at": None, "expires_at": {"$lt": rt.clock.now() + timedelta(days=7)}}
            expiring = await rt.store.db[DEAD_LETTERS].count_documents(soon)
            DEAD_LETTERS_EXPIRING.labels(service).set(expiring)
            if expiring:
                log.warning("%d parked messages will be deleted within 7 days unless replayed", expiring)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @router.get("/asyncapi.json", include_in_schema=False)
    async def asyncapi_json() -> JSONResponse:
        return JSONResponse(correlated(spec.to_specification().to_jsonable()))

    return router
