"""An in-memory `domain.UnitOfWork` on the shared one (ptfc.testing.fakes): the enrolment rules and
the handlers run against dicts, with no database, and the test reads what was saved and emitted."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from learning.domain import ACTIVATIONS, NOTICES, SIGN_IN, SIGN_INS
from ptfc.testing.fakes import FakeUnitOfWork as Base
from ptfc.testing.fakes import FakeWithdrawals

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


class FakeUnitOfWork(FakeWithdrawals, Base):
    """Learning's collections and queries; the clock, ids, events and withdrawals are the base's."""

    def __init__(self, now: datetime | None = None) -> None:
        super().__init__(now)
        self.enrolments: dict[str, dict[str, Any]] = {}
        self.accounts: dict[str, dict[str, Any]] = {}
        self.links: dict[str, dict[str, dict[str, Any]]] = {ACTIVATIONS: {}, SIGN_INS: {}, NOTICES: {}}
        self.sessions: dict[str, dict[str, Any]] = {}

    async def enrolment(self, enrolment_id: str) -> dict[str, Any] | None:
        return self.one(self.enrolments, enrolment_id)

    async def enrolment_of(self, participant_id: str, cycle: int | None = None) -> dict[str, Any] | None:
        mine = self.where(self.enrolments, participant_id=participant_id)
        mine = [e for e in mine if cycle is None or e["cycle"] == cycle]
        return max(mine, key=lambda e: e["cycle"]) if mine else None

    async def enrolments_of(self, participant_id: str) -> list[dict[str, Any]]:
        return self.where(self.enrolments, participant_id=participant_id)

    async def open_enrolments_of(self, referral_id: str, participant_ids: list[str]) -> list[dict[str, Any]]:
        found = self.where(self.enrolments, referral_id=referral_id, status=list(SIGN_IN))
        return [e for e in found if not participant_ids or e["participant_id"] in participant_ids]

    async def save_enrolment(self, enrolment: dict[str, Any]) -> None:
        self.put(self.enrolments, enrolment)

    async def account_ids(self, email_key: str) -> list[str]:
        return [pid for pid, a in self.accounts.items() if a.get("email_key") == email_key]

    async def keep_account(self, participant_id: str, language: str, email_key: str | None) -> None:
        account = self.accounts.setdefault(participant_id, {"activated_at": None, "sign_in_sent_at": None})
        account["language"] = language
        if email_key and not account.get("email_key"):  # set once: never replaced by a referral
            account["email_key"] = email_key

    async def change_email_key(self, participant_id: str, email_key: str) -> bool:
        if participant_id not in self.accounts:
            return False
        self.accounts[participant_id]["email_key"] = email_key
        return True

    async def mark_account_activated(self, participant_id: str) -> None:
        account = self.accounts[participant_id]
        account["activated_at"] = account["activated_at"] or self.now()

    async def claim_sign_in(self, participant_id: str, at: datetime, not_since: datetime) -> bool:
        account = self.accounts[participant_id]
        if account["sign_in_sent_at"] is not None and account["sign_in_sent_at"] > not_since:
            return False
        account["sign_in_sent_at"] = at
        return True

    async def link(self, kind: str, link_id: str) -> dict[str, Any] | None:
        return self.one(self.links[kind], link_id)

    async def pending_links(self, kind: str, owner: dict[str, str]) -> list[dict[str, Any]]:
        return self.where(self.links[kind], state="pending", **owner)

    async def save_link(self, kind: str, link: dict[str, Any]) -> None:
        self.put(self.links[kind], link)

    async def links_issued_since(self, kind: str, owner: dict[str, str], since: datetime) -> int:
        return sum(1 for link in self.where(self.links[kind], **owner) if link["issued_at"] > since)

    async def session(self, session_id: str) -> dict[str, Any] | None:
        return self.one(self.sessions, session_id)

    async def save_session(self, session: dict[str, Any]) -> None:
        self.put(self.sessions, session)

    async def end_sessions(self, at: datetime, reason: str, referral_id: str, participant_ids: list[str]) -> None:
        for s in self.sessions.values():
            mine = s["participant_id"] in participant_ids if participant_ids else s["referral_id"] == referral_id
            if mine and s["ended_at"] is None:
                s |= {"ended_at": at, "end_reason": reason}
