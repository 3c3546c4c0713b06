"""Wires the learning service: `create_app(settings)`."""

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from learning.api import router
from learning.config import Settings
from learning.handlers import make_handlers
from learning.store import INDEXES
from learning.sweeps import SWEEPS
from ptfc.clock import Clock
from ptfc.problems import Problem, respond
from ptfc.service import build_app


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or Settings()
    app = build_app(
        settings,
        title="PTfC learning",
        router=router,
        handlers=make_handlers(settings),
        indexes=INDEXES,
        sweeps=SWEEPS,
        clock=clock,
    )

    @app.middleware("http")
    async def limit_body(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        # Every body here is small; refuse a huge one before parsing it.
        length = request.headers.get("content-length", "0")
        if not length.isdigit() or int(length) > settings.max_body_bytes:
            return respond(
                Problem(413, "body-too-large", "Request too large", f"Send at most {settings.max_body_bytes} bytes."),
                request,
            )
        return await call_next(request)

    return app
