"""Wires the plans service: `create_app(settings)`."""

from fastapi import FastAPI

from plans.api import router
from plans.config import Settings
from plans.handlers import handlers
from plans.store import INDEXES
from ptfc.clock import Clock
from ptfc.service import build_app


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or Settings()
    return build_app(settings, title="PTfC plans", router=router, handlers=handlers, indexes=INDEXES, clock=clock)
