"""What every topic of the referral rules shares: the two refusals (ptfc.refusals'), the unit of work
the write rules read and write through, the programme's durations they read, and a timeline line."""

from datetime import datetime, timedelta
from typing import Any, Protocol

from ptfc.events import EventData
from ptfc.refusals import Refused as Refused  # re-exported: the topics raise these, refusals.py words them
from ptfc.refusals import Unknown as Unknown

# Each write rule runs inside one unit of work: the documents it saves and the events it emits commit together.


class UnitOfWork(Protocol):
    """What the write rules read and write. Documents are dicts as stored; ids are opaque."""

    def now(self) -> datetime: ...
    def new_id(self) -> Any: ...
    def random_id(self) -> Any: ...  # unguessable (random, not a counter): for ids others are sent
    async def referral(self, referral_id: str) -> dict[str, Any] | None: ...
    async def parent(self, participant_id: str) -> dict[str, Any] | None: ...
    async def parents(self, referral_id: str) -> list[dict[str, Any]]: ...
    async def active_referral_of(self, case: str, email_keys: list[str], except_id: Any = None) -> str | None: ...
    async def add(self, referral: dict[str, Any], parents: list[dict[str, Any]]) -> None: ...
    async def save_referral(self, referral: dict[str, Any]) -> None: ...
    async def save_parent(self, parent: dict[str, Any]) -> None: ...
    async def emit(self, event: EventData, correlation_id: str) -> None: ...


class Timings(Protocol):
    """The programme's durations (settings, so tests can shrink them)."""

    contact_delay: timedelta  # the provider contacts a parent the day after referral
    activation_chaser_after: timedelta  # no activation by then: chase the FCA and provider


def entry(event: str, cycle: int, at: datetime, **detail: Any) -> dict[str, Any]:
    """A timeline line: what happened and when, with ids and counts only, never contact details."""
    return {"at": at, "event": event, "cycle": cycle, "detail": {k: v for k, v in detail.items() if v is not None}}


async def parent_to_change(
    uow: UnitOfWork, referral_id: str, participant_id: str, if_withdrawn: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The referral and the parent of it a caller asks to change: unknown if either is missing or the
    parent is another referral's; refused `referral-withdrawn` (`if_withdrawn` says why) once withdrawn."""
    referral = await uow.referral(referral_id)
    parent = await uow.parent(participant_id)
    if referral is None:
        raise Unknown("referral")
    if parent is None or parent["referral_id"] != referral_id:
        raise Unknown("participant")
    if referral.get("withdrawn_at"):
        raise Refused("referral-withdrawn", if_withdrawn)
    return referral, parent
