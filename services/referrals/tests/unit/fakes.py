"""An in-memory `domain.UnitOfWork` on the shared one (ptfc.testing.fakes): the write rules and
the handler run against dicts, with no database, and the test reads what was saved and emitted."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ptfc.testing.fakes import FakeUnitOfWork as Base


@dataclass
class Timings:
    contact_delay: timedelta = timedelta(days=1)
    activation_chaser_after: timedelta = timedelta(days=14)


class FakeUnitOfWork(Base):
    """Referrals' collections and queries; the clock, ids and events are the base's."""

    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __init__(self, now: datetime | None = None) -> None:
        super().__init__(now)
        self.referrals: dict[str, dict[str, Any]] = {}
        self.participants: dict[str, dict[str, Any]] = {}

    def random_id(self) -> str:
        return self.new_id()  # deterministic here: the store's are random

    async def referral(self, referral_id: str) -> dict[str, Any] | None:
        return self.one(self.referrals, referral_id)

    async def parent(self, participant_id: str) -> dict[str, Any] | None:
        return self.one(self.participants, participant_id)

    async def parents(self, referral_id: str) -> list[dict[str, Any]]:
        return sorted(self.where(self.participants, referral_id=referral_id), key=lambda p: p["_id"])

    async def active_referral_of(self, case: str, email_keys: list[str], except_id: Any = None) -> str | None:
        found = self.where(self.participants, case_number=case, email_key=email_keys, active=True)
        return next((p["referral_id"] for p in found if p["_id"] != except_id), None)

    async def add(self, referral: dict[str, Any], parents: list[dict[str, Any]]) -> None:
        self.put(self.referrals, referral)
        for parent in parents:
            self.put(self.participants, parent)

    async def save_referral(self, referral: dict[str, Any]) -> None:
        self.put(self.referrals, referral)

    async def save_parent(self, parent: dict[str, Any]) -> None:
        self.put(self.participants, parent)
