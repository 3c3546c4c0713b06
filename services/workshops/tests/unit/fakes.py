"""An in-memory `domain.UnitOfWork` on the shared one (ptfc.testing.fakes): the write rules and
the handlers run against dicts, with no database, and the test reads what was saved and emitted."""

import copy
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from ptfc.testing.fakes import FakeUnitOfWork as Base
from ptfc.testing.fakes import FakeWithdrawals
from workshops.config import Settings


def settings(**changes: Any) -> Settings:
    """The service's own settings (every programme number as configured), with everyone consenting
    in the follow-up sample unless a test says otherwise."""
    keys = {"co_parent_split_key": "a-test-key-for-the-co-parent-split-of-32-characters"}
    keys |= {"link_seal_key": "a-test-key-sealing-video-links-for-notifications"}
    return Settings(**({"followup_one_in": 1, "followup_salt": "test"} | keys | changes))


class FakeUnitOfWork(FakeWithdrawals, Base):
    """Workshops' collections and queries; the clock, ids, events and withdrawals are the base's."""

    start = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

    def __init__(self, now: datetime | None = None) -> None:
        super().__init__(now)
        self.parents: dict[str, dict] = {}
        self.sessions: dict[str, dict] = {}
        self.bookings: dict[str, dict] = {}
        self.waitlist: dict[str, dict] = {}
        self.followups: dict[str, dict] = {}
        self.concerns: dict[str, dict] = {}
        self.concern_reads: list[dict] = []

    async def parent(self, participant_id: str) -> dict | None:
        return self.one(self.parents, participant_id)

    async def referral_of(self, participant_id: str) -> str | None:
        return self.parents.get(participant_id, {}).get("referral_id")

    async def parents_of(self, referral_id: str, participant_ids: list[str] | None) -> list[dict]:
        found = self.where(self.parents, referral_id=referral_id)
        return [p for p in found if participant_ids is None or p["_id"] in participant_ids]

    async def save_parent(self, parent: dict) -> None:
        self.put(self.parents, parent)

    async def merge_parent(self, participant_id: str, fields: dict, if_new: dict) -> None:
        found = self.parents.get(participant_id) or {"_id": participant_id, **if_new}
        self.put(self.parents, found | fields)

    async def session(self, session_id: str) -> dict | None:
        return self.one(self.sessions, session_id)

    async def add_session(self, session: dict) -> None:
        self.put(self.sessions, session)

    async def save_session(self, session: dict) -> None:
        self.put(self.sessions, session)

    async def booking(self, booking_id: str) -> dict | None:
        return self.one(self.bookings, booking_id)

    async def bookings_in(self, session_id: str, statuses: Iterable[str], participant_ids: list[str]) -> list[dict]:
        return self.where(self.bookings, status=list(statuses), session_id=session_id, participant_id=participant_ids)

    async def all_bookings_in(self, session_id: str, statuses: Iterable[str]) -> list[dict]:
        return self.where(self.bookings, status=list(statuses), session_id=session_id)

    async def bookings_of(self, participant_ids: list[str], statuses: Iterable[str]) -> list[dict]:
        return self.where(self.bookings, status=list(statuses), participant_id=list(participant_ids))

    async def add_booking(self, booking: dict) -> None:
        if booking["status"] == "booked" and self.where(
            self.bookings, status="booked", participant_id=booking["participant_id"]
        ):
            raise AssertionError("the unique index allows one booked booking per parent")
        self.put(self.bookings, booking)

    async def save_booking(self, booking: dict) -> None:
        self.put(self.bookings, booking)

    async def wish(self, participant_id: str) -> dict | None:
        return self.one(self.waitlist, participant_id)

    async def save_wish(self, wish: dict) -> None:
        self.put(self.waitlist, wish)

    async def drop_wishes(self, participant_ids: list[str]) -> None:
        for pid in participant_ids:
            self.waitlist.pop(pid, None)

    async def followup(self, followup_id: str) -> dict | None:
        return self.one(self.followups, followup_id)

    async def followups_of(self, participant_id: str, status: str) -> list[dict]:
        return self.where(self.followups, participant_id=participant_id, status=status)

    async def add_followup(self, followup: dict) -> None:
        self.put(self.followups, followup)

    async def save_followup(self, followup: dict) -> None:
        self.put(self.followups, followup)

    async def concern(self, concern_id: str) -> dict | None:
        return self.one(self.concerns, concern_id)

    async def add_concern(self, concern: dict) -> None:
        self.put(self.concerns, concern)

    async def add_concern_read(self, read: dict) -> None:
        self.concern_reads.append(copy.deepcopy(read))
