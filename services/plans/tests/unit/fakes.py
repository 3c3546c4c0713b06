"""An in-memory `domain.UnitOfWork` on the shared one (ptfc.testing.fakes): the write rules and the
handler run against dicts, with no database, and the test reads what was saved and emitted."""

import copy
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from plans.domain import Refused
from ptfc.testing.fakes import FakeUnitOfWork as Base


@dataclass
class Rules:
    hub_url: str = "https://hub.example"
    link_seal_key: str = "k" * 43 + "="
    invitation_ttl: timedelta = timedelta(days=7)
    email_lookup_key: str = "l" * 43
    invitation_quiet_period: timedelta = timedelta(days=1)
    invitation_emails_per_recipient: int = 3
    reply_email_period: timedelta = timedelta(days=1)


@dataclass(frozen=True)
class Who:
    participant_id: str | None = None
    token_hash: str | None = None
    fca_id: str | None = None


class FakeUnitOfWork(Base):
    """Plans' collections and queries; the clock and the emitted events are the base's."""

    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __init__(self, now: datetime | None = None) -> None:
        super().__init__(now)
        self.plans: dict[str, dict[str, Any]] = {}
        self.history: list[dict[str, Any]] = []
        self.participants: dict[str, dict[str, Any]] = {}
        self.invitations: dict[str, dict[str, Any]] = {}  # by the token's hash
        self.replies: dict[str, dict[str, Any]] = {}  # by "<plan_id>:<party_id>"

    async def plan(self, plan_id: str) -> dict | None:
        return self.one(self.plans, plan_id)

    async def add_plan(self, plan: dict, entry: dict) -> None:
        self.put(self.plans, plan)
        self.history.append({"plan_id": plan["_id"], "seq": plan["revision"], **copy.deepcopy(entry)})

    async def save_plan(self, plan: dict, entry: dict) -> None:
        if self.plans[plan["_id"]]["revision"] != plan["revision"] - 1:
            raise Refused("plan-changed")
        await self.add_plan(plan, entry)

    async def participant(self, participant_id: str) -> dict | None:
        return self.one(self.participants, participant_id)

    async def keep_participant(self, participant: dict) -> None:
        self.put(self.participants, participant)

    async def invitation(self, token_hash: str) -> dict | None:
        return self.one(self.invitations, token_hash)

    async def pending_invitation_for(self, participant_id: str) -> dict | None:
        found = self.where(self.invitations, invitee_participant_id=participant_id, state="pending")
        return max(found, key=lambda i: i["created_at"]) if found else None

    async def add_invitation(self, invitation: dict) -> None:
        for other in self.invitations.values():
            if other["plan_id"] == invitation["plan_id"] and other["state"] == "pending":
                other["state"] = "superseded"
        self.put(self.invitations, invitation)

    async def save_invitation(self, invitation: dict) -> None:
        self.put(self.invitations, invitation)

    async def invitations_to(self, recipient: str, since: datetime) -> list[dict]:
        found = [i for i in self.where(self.invitations, recipient=recipient) if i["created_at"] > since]
        return sorted(found, key=lambda i: i["created_at"], reverse=True)

    async def reply_emails(self, plan_id: str, party_id: str) -> dict:
        return self.one(self.replies, f"{plan_id}:{party_id}") or {}

    async def keep_reply_emails(self, plan_id: str, party_id: str, choice: dict) -> None:
        self.replies[f"{plan_id}:{party_id}"] = copy.deepcopy(choice)

    def actions(self, plan_id: str) -> list[str]:
        return [h["action"] for h in self.history if h["plan_id"] == plan_id]
