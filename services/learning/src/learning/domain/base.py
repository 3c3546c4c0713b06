"""What every topic of learning's rules shares: the states of an enrolment and of a link, the unit
of work the rules read and write through, the settings they read, the ids every event carries, and
the refusals of a closed course or enrolment (ptfc.refusals; refusals.WORDS words them)."""

from datetime import datetime, timedelta
from typing import Any, Protocol

from ptfc.events import EventData
from ptfc.refusals import Refused, Unknown

ACTIVATIONS, SIGN_INS = "activations", "sign_ins"  # the two kinds of single-use link
NOTICES = "closed_notices"  # letters instead of a link, counted under the same daily cap as links
OPEN = ("active", "completed")  # states in which a parent may still start or work on the course
# States a parent may sign in to: a missed deadline too, to read where they stand (the court and FCA
# told, what happens next) and use their plan; the e-learning stays closed (`refusal`). Issue 26.
SIGN_IN = (*OPEN, "missed")


def withdrawn(enrolment: dict[str, Any]) -> bool:
    """Closed by a withdrawal: also an enrolment whose e-learning was done first (it stays `completed`)."""
    return enrolment["status"] == "withdrawn" or enrolment.get("withdrawn_at") is not None


class UnitOfWork(Protocol):
    """What the rules read and write. Documents are dicts as stored; ids are opaque."""

    def now(self) -> datetime: ...
    def new_id(self) -> Any: ...
    async def enrolment(self, enrolment_id: str) -> dict[str, Any] | None: ...
    async def enrolment_of(self, participant_id: str, cycle: int | None = None) -> dict[str, Any] | None: ...
    async def enrolments_of(self, participant_id: str) -> list[dict[str, Any]]: ...
    async def open_enrolments_of(self, referral_id: str, participant_ids: list[str]) -> list[dict[str, Any]]: ...
    async def save_enrolment(self, enrolment: dict[str, Any]) -> None: ...
    async def account_ids(self, email_key: str) -> list[str]: ...
    async def keep_account(self, participant_id: str, language: str, email_key: str | None) -> None: ...
    async def mark_account_activated(self, participant_id: str) -> None: ...
    async def claim_sign_in(self, participant_id: str, at: datetime, not_since: datetime) -> bool: ...
    async def link(self, kind: str, link_id: str) -> dict[str, Any] | None: ...
    async def pending_links(self, kind: str, owner: dict[str, str]) -> list[dict[str, Any]]: ...
    async def save_link(self, kind: str, link: dict[str, Any]) -> None: ...
    async def links_issued_since(self, kind: str, owner: dict[str, str], since: datetime) -> int: ...
    async def record_withdrawal(self, referral_id: str, participant_ids: list[str], at: datetime) -> None: ...
    async def session(self, session_id: str) -> dict[str, Any] | None: ...
    async def save_session(self, session: dict[str, Any]) -> None: ...
    async def end_sessions(self, at: datetime, reason: str, referral_id: str, participant_ids: list[str]) -> None: ...
    async def withdrawn(self, referral_id: str, participant_id: str) -> bool: ...
    async def emit(self, event: EventData, correlation_id: str) -> None: ...


class Rules(Protocol):
    """The settings the rules read (durations are settings, so tests can shrink them)."""

    hub_url: str
    link_seal_key: str
    activation_ttl: timedelta
    learning_window: timedelta
    reminders: list[timedelta]
    extension_unit: timedelta
    sign_in_link_ttl: timedelta
    sign_in_cooldown: timedelta
    sign_in_daily_cap: int
    parent_session_ttl: timedelta


def event_ids(enrolment: dict[str, Any]) -> dict[str, Any]:
    """The ids every learning event carries, so consumers can match it to their records."""
    return {
        "referral_id": enrolment["referral_id"],
        "participant_id": enrolment["participant_id"],
        "enrolment_id": str(enrolment["_id"]),
        "cycle": enrolment.get("cycle"),
    }


async def known_enrolment(uow: UnitOfWork, enrolment_id: str) -> dict[str, Any]:
    """The enrolment with this id; `Unknown` (404) if there is none."""
    if (enrolment := await uow.enrolment(enrolment_id)) is None:
        raise Unknown("enrolment")
    return enrolment


# Refusals (ptfc.refusals; refusals.WORDS words each): the reason, and the words only a rule knows.
CLOSED_COURSE = {"withdrawn": "course-withdrawn", "superseded": "course-replaced", "module-locked": "module-locked"}
ENROLMENT_CLOSED = {
    "completed": "The parent has already completed the e-learning.",
    "withdrawn": "The referral was withdrawn.",
    "missed": "The deadline has passed and the court has been told; the court may re-order the course.",
    "superseded": "A newer cycle of this course replaced this enrolment.",
}


def course_closed(why: str, deadline: datetime | None = None) -> Refused:
    """The parent's course is closed to them (`why`: a `Refusal`, or the enrolment's status)."""
    if why in CLOSED_COURSE:
        return Refused(CLOSED_COURSE[why])
    when = f" on {deadline:%d %B %Y at %H:%M} UTC" if deadline else ""
    return Refused(
        "deadline-passed",
        f"The e-learning had to be finished{when}. Your FCA and the court will be told. "
        "Please contact your FCA or your course provider about what happens next.",
    )


def enrolment_closed(status: str) -> Refused:
    """Staff acting on an enrolment that is closed: why, and its status."""
    return Refused("enrolment-closed", ENROLMENT_CLOSED[status], enrolment_status=status)
