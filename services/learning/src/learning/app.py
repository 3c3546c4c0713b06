"""Wires the learning service: `create_app(settings)`."""

from fastapi import FastAPI

from learning.api import router
from learning.config import Settings
from learning.handlers import handlers
from learning.store import INDEXES
from ptfc.clock import Clock
from ptfc.service import build_app


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or Settings()
    return build_app(settings, title="PTfC learning", router=router, handlers=handlers, indexes=INDEXES, clock=clock)
