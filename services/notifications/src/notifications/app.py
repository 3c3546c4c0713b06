"""Wires the notifications service: `create_app(settings, clock, transport)` (SMTP or Notify; a fake in tests)."""

from fastapi import FastAPI

from notifications.api import router
from notifications.config import Settings
from notifications.handlers import handlers
from notifications.outgoing import Letters
from notifications.refusals import ROUTES, WORDS
from notifications.store import INDEXES
from notifications.sweeps import make_sender, make_webhook_sender
from notifications.transports import Transport, WebhookPoster, make_transport
from ptfc.clock import Clock
from ptfc.service import build_app


def create_app(
    settings: Settings | None = None, clock: Clock | None = None, transport: Transport | None = None
) -> FastAPI:
    settings = settings or Settings()
    return build_app(
        settings,
        title="PTfC notifications",
        router=router,
        handlers=handlers.bind(letters=Letters(settings)),  # and build_app gives them the settings
        indexes=INDEXES,
        sweeps=[make_sender(transport or make_transport(settings)), make_webhook_sender(WebhookPoster(settings))],
        clock=clock,
        problems=ROUTES,
        refusals=WORDS,
    )
