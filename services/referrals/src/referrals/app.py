"""Wires the referrals service: `create_app(settings, clock)`."""

from fastapi import FastAPI

from ptfc.clock import Clock
from ptfc.service import build_app
from referrals.api import router
from referrals.config import Settings
from referrals.handlers import handlers
from referrals.refusals import ROUTES, WORDS
from referrals.store import INDEXES
from referrals.sweeps import SWEEPS


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or Settings()
    return build_app(
        settings,
        title="PTfC referrals",
        router=router,
        handlers=handlers,
        indexes=INDEXES,
        sweeps=SWEEPS,
        clock=clock,
        problems=ROUTES,
        refusals=WORDS,
    )
