"""Wires the workshops service: `create_app(settings, clock)`."""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ptfc.clock import Clock
from ptfc.problems import respond
from ptfc.service import build_app
from workshops.api import router
from workshops.config import Settings
from workshops.domain import Refused, Unknown
from workshops.handlers import make_handlers
from workshops.refusals import ROUTES, problem
from workshops.store import INDEXES
from workshops.sweeps import SWEEPS


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or Settings()
    app = build_app(
        settings,
        title="PTfC workshops",
        router=router,
        handlers=make_handlers(settings),
        indexes=INDEXES,
        sweeps=SWEEPS,
        clock=clock,
        problems=ROUTES,
    )

    @app.exception_handler(Refused)
    @app.exception_handler(Unknown)
    async def on_refused(request: Request, exc: Refused | Unknown) -> JSONResponse:
        return respond(problem(exc), request)

    return app
