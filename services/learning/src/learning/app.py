"""Wires the learning service: `create_app(settings)`."""

from datetime import datetime

from fastapi import FastAPI, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from learning import pages
from learning.api import router
from learning.config import Settings
from learning.handlers import make_handlers
from learning.store import INDEXES
from learning.sweeps import SWEEPS
from ptfc.clock import Clock, SystemClock
from ptfc.problems import Problem, respond
from ptfc.service import build_app


class MillisecondClock:
    """MongoDB keeps milliseconds. Reading time at that precision keeps a deadline in an event
    equal to the one stored and later sent again in reminders."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def now(self) -> datetime:
        now = self.clock.now()
        return now.replace(microsecond=now.microsecond // 1000 * 1000)


class BodyLimit:
    """Every body here is small: refuse a huge one (declared or streamed) before anything parses it."""

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


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or Settings()
    clock = MillisecondClock(clock or SystemClock())
    app = build_app(
        settings,
        title="PTfC learning",
        router=router,
        handlers=make_handlers(settings),
        indexes=INDEXES,
        sweeps=SWEEPS,
        clock=clock,
    )
    app.include_router(pages.router)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    return app
