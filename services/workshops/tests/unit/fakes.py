"""An in-memory `domain.UnitOfWork` (cosmicpython's FakeUnitOfWork): the write rules run against
dicts, with no database, and the test reads what was saved and emitted."""

import copy
import itertools
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from ptfc.events import EventData
from workshops.config import Settings


def settings(**changes: Any) -> Settings:
    """The service's own settings (every programme number as configured), with everyone consenting
    in the follow-up sample unless a test says otherwise."""
    keys = {"co_parent_split_key": "a-test-key-for-the-co-parent-split-of-32-characters"}
    keys |= {"link_seal_key": "a-test-key-sealing-video-links-for-notifications"}
    return Settings(**({"followup_one_in": 1, "followup_salt": "test"} | keys | changes))


class FakeUnitOfWork:
    def __init__(self, now: datetime = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)) -> None:
        self.clock = now
        self.parents: dict[str, dict] = {}
        self.sessions: dict[str, dict] = {}
        self.bookings: dict[str, dict] = {}
        self.waitlist: dict[str, dict] = {}
        self.followups: dict[str, dict] = {}
        self.concerns: dict[str, dict] = {}
        self.concern_reads: list[dict] = []
        self.withdrawals: dict[str, datetime] = {}
        self.events: list[tuple[EventData, str]] = []
        self._ids = itertools.count(1)

    def now(self) -> datetime:
        return self.clock

    def new_id(self) -> str:
        return f"{next(self._ids):024x}"

    # Copies in and out, as a database would: a rule that forgets to save loses its change.
    async def parent(self, participant_id: str) -> dict | None:
        return copy.deepcopy(self.parents.get(participant_id))

    async def referral_of(self, participant_id: str) -> str | None:
        return self.parents.get(participant_id, {}).get("referral_id")

    async def parents_of(self, referral_id: str, participant_ids: list[str] | None) -> list[dict]:
        found = [
            p
            for p in self.parents.values()
            if p.get("referral_id") == referral_id and (participant_ids is None or p["_id"] in participant_ids)
        ]
        return copy.deepcopy(found)

    async def save_parent(self, parent: dict) -> None:
        self.parents[parent["_id"]] = copy.deepcopy(parent)

    async def merge_parent(self, participant_id: str, fields: dict, if_new: dict) -> None:
        found = self.parents.get(participant_id) or {"_id": participant_id, **copy.deepcopy(if_new)}
        self.parents[participant_id] = found | copy.deepcopy(fields)

    async def session(self, session_id: str) -> dict | None:
        return copy.deepcopy(self.sessions.get(session_id))

    async def add_session(self, session: dict) -> None:
        self.sessions[session["_id"]] = copy.deepcopy(session)

    async def save_session(self, session: dict) -> None:
        self.sessions[session["_id"]] = copy.deepcopy(session)

    async def booking(self, booking_id: str) -> dict | None:
        return copy.deepcopy(self.bookings.get(booking_id))

    def _bookings(self, statuses: Iterable[str], **equal: Any) -> list[dict]:
        wanted = set(statuses)
        return [
            copy.deepcopy(b)
            for b in self.bookings.values()
            if b["status"] in wanted and all(b[k] == v or (isinstance(v, list) and b[k] in v) for k, v in equal.items())
        ]

    async def bookings_in(self, session_id: str, statuses: Iterable[str], participant_ids: list[str]) -> list[dict]:
        return self._bookings(statuses, session_id=session_id, participant_id=list(participant_ids))

    async def all_bookings_in(self, session_id: str, statuses: Iterable[str]) -> list[dict]:
        return self._bookings(statuses, session_id=session_id)

    async def bookings_of(self, participant_ids: list[str], statuses: Iterable[str]) -> list[dict]:
        return self._bookings(statuses, participant_id=list(participant_ids))

    async def add_booking(self, booking: dict) -> None:
        if booking["status"] == "booked" and self._bookings(["booked"], participant_id=booking["participant_id"]):
            raise AssertionError("the unique index allows one booked booking per parent")
        self.bookings[booking["_id"]] = copy.deepcopy(booking)

    async def save_booking(self, booking: dict) -> None:
        self.bookings[booking["_id"]] = copy.deepcopy(booking)

    async def wish(self, participant_id: str) -> dict | None:
        return copy.deepcopy(self.waitlist.get(participant_id))

    async def save_wish(self, wish: dict) -> None:
        self.waitlist[wish["_id"]] = copy.deepcopy(wish)

    async def drop_wishes(self, participant_ids: list[str]) -> None:
        for pid in participant_ids:
            self.waitlist.pop(pid, None)

    async def followup(self, followup_id: str) -> dict | None:
        return copy.deepcopy(self.followups.get(followup_id))

    async def followups_of(self, participant_id: str, status: str) -> list[dict]:
        found = self.followups.values()
        return [copy.deepcopy(f) for f in found if f["participant_id"] == participant_id and f["status"] == status]

    async def add_followup(self, followup: dict) -> None:
        self.followups[followup["_id"]] = copy.deepcopy(followup)

    async def save_followup(self, followup: dict) -> None:
        self.followups[followup["_id"]] = copy.deepcopy(followup)

    async def concern(self, concern_id: str) -> dict | None:
        return copy.deepcopy(self.concerns.get(concern_id))

    async def add_concern(self, concern: dict) -> None:
        self.concerns[concern["_id"]] = copy.deepcopy(concern)

    async def add_concern_read(self, read: dict) -> None:
        self.concern_reads.append(copy.deepcopy(read))

    async def record_withdrawal(self, referral_id: str, participant_ids: list[str], at: datetime) -> None:
        for who in participant_ids or ["*"]:
            key = f"{referral_id}:{who}"
            self.withdrawals[key] = min(at, self.withdrawals.get(key, at))

    async def withdrawn(self, referral_id: str, participant_id: str) -> bool:
        return f"{referral_id}:*" in self.withdrawals or f"{referral_id}:{participant_id}" in self.withdrawals

    async def emit(self, event: EventData, correlation_id: str) -> None:
        self.events.append((event, correlation_id))

    def emitted(self) -> list[str]:
        return [event.TYPE for event, _ in self.events]

    def of(self, kind: str) -> list[EventData]:
        return [event for event, _ in self.events if kind == event.TYPE]
