"""Wires the learning service: `create_app(settings, clock)`."""

from datetime import datetime

from fastapi import FastAPI

from learning.api import router
from learning.config import Settings
from learning.handlers import handlers
from learning.refusals import ROUTES, WORDS
from learning.store import INDEXES
from learning.sweeps import SWEEPS
from ptfc.clock import Clock, SystemClock
from ptfc.service import build_app


class MillisecondClock:
    """MongoDB keeps milliseconds. Reading time at that precision keeps a deadline in an event
    equal to the one stored and later sent again in reminders."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def now(self) -> datetime:
        now = self.clock.now()
        return now.replace(microsecond=now.microsecond // 1000 * 1000)


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or Settings()
    clock = MillisecondClock(clock or SystemClock())
    return build_app(
        settings,
        title="PTfC learning",
        router=router,
        handlers=handlers,
        indexes=INDEXES,
        sweeps=SWEEPS,
        clock=clock,
        problems=ROUTES,
        refusals=WORDS,
    )
