"""An in-memory `domain.UnitOfWork` (cosmicpython's FakeUnitOfWork): the enrolment rules run
against dicts, with no database, and the test reads what was saved and emitted."""

import copy
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from learning.domain import SIGN_IN
from ptfc.events import EventData

DAY = timedelta(days=1)


@dataclass
class Rules:
    hub_url: str = "https://hub.example"
    link_seal_key: str = "test-seal-key-of-at-least-32-bytes!!"
    activation_ttl: timedelta = timedelta(hours=72)
    learning_window: timedelta = 10 * DAY
    reminders: list[timedelta] = field(default_factory=lambda: [3 * DAY, DAY])
    extension_unit: timedelta = DAY
    sign_in_link_ttl: timedelta = timedelta(minutes=30)
    sign_in_cooldown: timedelta = timedelta(minutes=1)
    sign_in_daily_cap: int = 5
    parent_session_ttl: timedelta = timedelta(hours=8)


class FakeUnitOfWork:
    def __init__(self, now: datetime = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)) -> None:
        self.clock = now
        self.enrolments: dict[str, dict[str, Any]] = {}
        self.accounts: dict[str, dict[str, Any]] = {}
        self.links: dict[str, dict[str, dict[str, Any]]] = {"activations": {}, "sign_ins": {}, "closed_notices": {}}
        self.withdrawals: dict[str, datetime] = {}
        self.sessions: dict[str, dict[str, Any]] = {}
        self.events: list[EventData] = []
        self._ids = itertools.count(1)

    def now(self) -> datetime:
        return self.clock

    def new_id(self) -> str:
        return f"{next(self._ids):024x}"

    async def enrolment(self, enrolment_id: str) -> dict[str, Any] | None:
        return copy.deepcopy(self.enrolments.get(enrolment_id))

    async def enrolment_of(self, participant_id: str, cycle: int | None = None) -> dict[str, Any] | None:
        mine = [e for e in self.enrolments.values() if e["participant_id"] == participant_id]
        mine = [e for e in mine if cycle is None or e["cycle"] == cycle]
        return copy.deepcopy(max(mine, key=lambda e: e["cycle"])) if mine else None

    async def enrolments_of(self, participant_id: str) -> list[dict[str, Any]]:
        return [copy.deepcopy(e) for e in self.enrolments.values() if e["participant_id"] == participant_id]

    async def open_enrolments_of(self, referral_id: str, participant_ids: list[str]) -> list[dict[str, Any]]:
        return [
            copy.deepcopy(e)
            for e in self.enrolments.values()
            if e["referral_id"] == referral_id
            and e["status"] in SIGN_IN
            and (not participant_ids or e["participant_id"] in participant_ids)
        ]

    async def save_enrolment(self, enrolment: dict[str, Any]) -> None:
        self.enrolments[enrolment["_id"]] = copy.deepcopy(enrolment)

    async def account_ids(self, email_key: str) -> list[str]:
        return [pid for pid, a in self.accounts.items() if a.get("email_key") == email_key]

    async def keep_account(self, participant_id: str, language: str, email_key: str | None) -> None:
        account = self.accounts.setdefault(participant_id, {"activated_at": None, "sign_in_sent_at": None})
        account["language"] = language
        if email_key and not account.get("email_key"):  # set once: never replaced by a referral
            account["email_key"] = email_key

    async def mark_account_activated(self, participant_id: str) -> None:
        account = self.accounts[participant_id]
        account["activated_at"] = account["activated_at"] or self.clock

    async def claim_sign_in(self, participant_id: str, at: datetime, not_since: datetime) -> bool:
        account = self.accounts[participant_id]
        if account["sign_in_sent_at"] is not None and account["sign_in_sent_at"] > not_since:
            return False
        account["sign_in_sent_at"] = at
        return True

    async def link(self, kind: str, link_id: str) -> dict[str, Any] | None:
        return copy.deepcopy(self.links[kind].get(link_id))

    async def pending_links(self, kind: str, owner: dict[str, str]) -> list[dict[str, Any]]:
        return [
            copy.deepcopy(link)
            for link in self.links[kind].values()
            if link["state"] == "pending" and all(link.get(k) == v for k, v in owner.items())
        ]

    async def save_link(self, kind: str, link: dict[str, Any]) -> None:
        self.links[kind][link["_id"]] = copy.deepcopy(link)

    async def links_issued_since(self, kind: str, owner: dict[str, str], since: datetime) -> int:
        return sum(
            1
            for link in self.links[kind].values()
            if link["issued_at"] > since and all(link.get(k) == v for k, v in owner.items())
        )

    async def record_withdrawal(self, referral_id: str, participant_ids: list[str], at: datetime) -> None:
        for who in participant_ids or ["*"]:
            self.withdrawals.setdefault(f"{referral_id}:{who}", at)

    async def session(self, session_id: str) -> dict[str, Any] | None:
        return copy.deepcopy(self.sessions.get(session_id))

    async def save_session(self, session: dict[str, Any]) -> None:
        self.sessions[session["_id"]] = copy.deepcopy(session)

    async def end_sessions(self, at: datetime, reason: str, referral_id: str, participant_ids: list[str]) -> None:
        for s in self.sessions.values():
            mine = s["participant_id"] in participant_ids if participant_ids else s["referral_id"] == referral_id
            if mine and s["ended_at"] is None:
                s |= {"ended_at": at, "end_reason": reason}

    async def withdrawn(self, referral_id: str, participant_id: str) -> bool:
        return any(f"{referral_id}:{who}" in self.withdrawals for who in ("*", participant_id))

    async def emit(self, event: EventData, correlation_id: str) -> None:
        self.events.append(event)

    def emitted(self) -> list[str]:
        return [event.TYPE for event in self.events]
