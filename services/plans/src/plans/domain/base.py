"""What every topic of the plan's rules shares: the two refusals (ptfc.refusals'), the ids and secrets,
the unit of work the write rules read and write through, the settings they read (`Rules`), who calls
(`Who`), and `saved`, the one way a change reaches the stored plan."""

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlencode

from ptfc.events import EventData
from ptfc.refusals import Refused as Refused  # re-exported: the rules raise these, refusals.py words them
from ptfc.refusals import Unknown as Unknown

MAX_PARTIES = 2  # the two parents


def new_id() -> str:
    """Plan and party ids: 128 random bits, so an id cannot be guessed from another."""
    return secrets.token_urlsafe(16)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Only this hash is stored: a copy of the database cannot open anyone's plan."""
    return hashlib.sha256(token.encode()).hexdigest()


class UnitOfWork(Protocol):
    """What the write rules read and write, in one transaction. Documents are dicts as stored."""

    def now(self) -> datetime: ...
    async def plan(self, plan_id: str) -> dict | None: ...
    async def add_plan(self, plan: dict, entry: dict) -> None: ...
    async def save_plan(self, plan: dict, entry: dict) -> None: ...
    async def participant(self, participant_id: str) -> dict | None: ...
    async def keep_participant(self, participant: dict) -> None: ...
    async def invitation(self, token_hash: str) -> dict | None: ...
    async def pending_invitation_for(self, participant_id: str) -> dict | None: ...
    async def add_invitation(self, invitation: dict) -> None: ...
    async def save_invitation(self, invitation: dict) -> None: ...
    async def invitations_to(self, recipient: str, since: datetime) -> list[dict]: ...
    async def reply_emails(self, plan_id: str, party_id: str) -> dict: ...
    async def keep_reply_emails(self, plan_id: str, party_id: str, choice: dict) -> None: ...
    async def emit(self, event: EventData, correlation_id: str) -> None: ...


class Rules(Protocol):
    """The settings the write rules read."""

    hub_url: str
    link_seal_key: str
    invitation_ttl: timedelta
    email_lookup_key: str
    invitation_quiet_period: timedelta
    invitation_emails_per_recipient: int
    reply_email_period: timedelta


class Who(Protocol):
    """The caller, as access.Identity gives it: a programme parent, a plan token's holder or an FCA."""

    participant_id: str | None
    token_hash: str | None
    fca_id: str | None


def link(rules: Rules, page: str, **query: str) -> str:
    return f"{rules.hub_url}/plans/{page}?{urlencode(query)}"


async def saved(uow: UnitOfWork, plan: dict, entry: dict, **changes: Any) -> dict:
    """The plan with `changes` at the next revision, saved with its history entry (the store refuses
    `plan-changed` if another change saved the revision first)."""
    plan = {**plan, **changes, "revision": plan["revision"] + 1, "updated_at": entry["at"]}
    await uow.save_plan(plan, entry)
    return plan
