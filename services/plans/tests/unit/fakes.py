"""An in-memory `domain.UnitOfWork` (cosmicpython's FakeUnitOfWork): the write rules run against
dicts, with no database, and the test reads what was saved and emitted."""

import copy
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from plans.domain import Refused
from ptfc.events import EventData


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


class FakeUnitOfWork:
    def __init__(self, now: datetime = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)) -> None:
        self.clock = now
        self.plans: dict[str, dict[str, Any]] = {}
        self.history: list[dict[str, Any]] = []
        self.participants: dict[str, dict[str, Any]] = {}
        self.invitations: dict[str, dict[str, Any]] = {}
        self.events: list[tuple[EventData, str]] = []
        self.replies: dict[str, dict[str, Any]] = {}

    def now(self) -> datetime:
        return self.clock

    # Copies in and out, as a database would: a rule that forgets to save loses its change.
    async def plan(self, plan_id: str) -> dict | None:
        return copy.deepcopy(self.plans.get(plan_id))

    async def add_plan(self, plan: dict, entry: dict) -> None:
        self.plans[plan["_id"]] = copy.deepcopy(plan)
        self.history.append({"plan_id": plan["_id"], "seq": plan["revision"], **copy.deepcopy(entry)})

    async def save_plan(self, plan: dict, entry: dict) -> None:
        if self.plans[plan["_id"]]["revision"] != plan["revision"] - 1:
            raise Refused("plan-changed")
        self.plans[plan["_id"]] = copy.deepcopy(plan)
        self.history.append({"plan_id": plan["_id"], "seq": plan["revision"], **copy.deepcopy(entry)})

    async def participant(self, participant_id: str) -> dict | None:
        return copy.deepcopy(self.participants.get(participant_id))

    async def keep_participant(self, participant: dict) -> None:
        self.participants[participant["_id"]] = copy.deepcopy(participant)

    async def invitation(self, token_hash: str) -> dict | None:
        return copy.deepcopy(self.invitations.get(token_hash))

    async def pending_invitation_for(self, participant_id: str) -> dict | None:
        found = [
            i
            for i in self.invitations.values()
            if i["invitee_participant_id"] == participant_id and i["state"] == "pending"
        ]
        return copy.deepcopy(max(found, key=lambda i: i["created_at"])) if found else None

    async def add_invitation(self, invitation: dict) -> None:
        for other in self.invitations.values():
            if other["plan_id"] == invitation["plan_id"] and other["state"] == "pending":
                other["state"] = "superseded"
        self.invitations[invitation["_id"]] = copy.deepcopy(invitation)

    async def save_invitation(self, invitation: dict) -> None:
        self.invitations[invitation["_id"]] = copy.deepcopy(invitation)

    async def invitations_to(self, recipient: str, since: datetime) -> list[dict]:
        found = [i for i in self.invitations.values() if i["recipient"] == recipient and i["created_at"] > since]
        return copy.deepcopy(sorted(found, key=lambda i: i["created_at"], reverse=True))

    async def reply_emails(self, plan_id: str, party_id: str) -> dict:
        return copy.deepcopy(self.replies.get(f"{plan_id}:{party_id}", {}))

    async def keep_reply_emails(self, plan_id: str, party_id: str, choice: dict) -> None:
        self.replies[f"{plan_id}:{party_id}"] = copy.deepcopy(choice)

    async def emit(self, event: EventData, correlation_id: str) -> None:
        self.events.append((event, correlation_id))

    def emitted(self) -> list[str]:
        return [event.TYPE for event, _ in self.events]

    def actions(self, plan_id: str) -> list[str]:
        return [h["action"] for h in self.history if h["plan_id"] == plan_id]
