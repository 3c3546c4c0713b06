"""Wires the notifications service: `create_app(settings)`."""

from fastapi import FastAPI

from notifications.api import router
from notifications.config import Settings
from notifications.handlers import handlers
from notifications.store import INDEXES
from ptfc.clock import Clock
from ptfc.service import build_app


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or Settings()
    return build_app(
        settings, title="PTfC notifications", router=router, handlers=handlers, indexes=INDEXES, clock=clock
    )
