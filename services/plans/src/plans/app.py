"""Wires the plans service: `create_app(settings, clock)`."""

from fastapi import FastAPI

from plans.api import router
from plans.config import Settings
from plans.handlers import handlers
from plans.refusals import ROUTES, WORDS
from plans.store import INDEXES
from plans.sweeps import SWEEPS
from ptfc.clock import Clock
from ptfc.limits import PerClient
from ptfc.service import build_app


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or Settings()
    app = build_app(
        settings,
        title="PTfC plans",
        router=router,
        handlers=handlers,
        indexes=INDEXES,
        sweeps=SWEEPS,
        clock=clock,
        problems=ROUTES,
        refusals=WORDS,
    )
    app.state.rate_limit = PerClient(settings.public_rate_limit)
    return app
