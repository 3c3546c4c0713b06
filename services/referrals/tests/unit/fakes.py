"""An in-memory `domain.UnitOfWork` (cosmicpython's FakeUnitOfWork): the write rules run against
dicts, with no database, and the test reads what was saved and emitted."""

import copy
import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ptfc.events import EventData


@dataclass
class Timings:
    contact_delay: timedelta = timedelta(days=1)
    activation_chaser_after: timedelta = timedelta(days=14)


class FakeUnitOfWork:
    def __init__(self, now: datetime = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)) -> None:
        self.clock = now
        self.referrals: dict[str, dict[str, Any]] = {}
        self.participants: dict[str, dict[str, Any]] = {}
        self.events: list[tuple[EventData, str]] = []
        self._ids = itertools.count(1)

    def now(self) -> datetime:
        return self.clock

    def new_id(self) -> str:
        return f"{next(self._ids):024x}"

    def random_id(self) -> str:
        return self.new_id()  # deterministic here: the store's are random

    # Copies in and out, as a database would: a rule that forgets to save loses its change.
    async def referral(self, referral_id: str) -> dict[str, Any] | None:
        return copy.deepcopy(self.referrals.get(referral_id))

    async def parent(self, participant_id: str) -> dict[str, Any] | None:
        return copy.deepcopy(self.participants.get(participant_id))

    async def parents(self, referral_id: str) -> list[dict[str, Any]]:
        found = [p for p in self.participants.values() if p["referral_id"] == referral_id]
        return copy.deepcopy(sorted(found, key=lambda p: p["_id"]))

    async def active_referral_of(self, case: str, email_keys: list[str], except_id: Any = None) -> str | None:
        for p in self.participants.values():
            if p["case_number"] == case and p["email_key"] in email_keys and p["active"] and p["_id"] != except_id:
                return p["referral_id"]
        return None

    async def add(self, referral: dict[str, Any], parents: list[dict[str, Any]]) -> None:
        self.referrals[referral["_id"]] = copy.deepcopy(referral)
        for parent in parents:
            await self.save_parent(parent)

    async def save_referral(self, referral: dict[str, Any]) -> None:
        self.referrals[referral["_id"]] = copy.deepcopy(referral)

    async def save_parent(self, parent: dict[str, Any]) -> None:
        self.participants[parent["_id"]] = copy.deepcopy(parent)

    async def emit(self, event: EventData, correlation_id: str) -> None:
        self.events.append((event, correlation_id))

    def emitted(self) -> list[str]:
        return [event.TYPE for event, _ in self.events]
