"""Wires the workshops service: `create_app(settings, clock)`."""

from fastapi import FastAPI

from ptfc.clock import Clock
from ptfc.service import build_app
from workshops.api import router
from workshops.config import Settings
from workshops.handlers import handlers
from workshops.refusals import ROUTES, WORDS
from workshops.store import INDEXES
from workshops.sweeps import SWEEPS


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or Settings()
    return build_app(
        settings,
        title="PTfC workshops",
        router=router,
        handlers=handlers,
        indexes=INDEXES,
        sweeps=SWEEPS,
        clock=clock,
        problems=ROUTES,
        refusals=WORDS,
    )
