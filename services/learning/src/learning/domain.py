"""Rules of the e-learning, with no I/O: tokens, the 10-day clock, unlock order, activity checks,
and every change of an enrolment (opening, activation, completion, extension, reminders, the
missed deadline, withdrawal), made through a `UnitOfWork` (store.py on MongoDB; tests in memory)."""

import hashlib
import math
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol
from urllib.parse import urlencode

from learning.content import MODULE_COUNT, Activity
from ptfc.events import (
    AccountActivated,
    ActivationExpired,
    ActivationIssued,
    DeadlineApproaching,
    DeadlineMissed,
    EventData,
    LearningCompleted,
    LearningExtended,
    ModuleCompleted,
    SignInLinkIssued,
    SignInRefused,
)
from ptfc.sealing import seal

ModuleStatus = Literal["completed", "in_progress", "available", "locked"]

# ---- links and sign-in ----------------------------------------------------------------------


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Only this hash is stored: a copy of the database cannot activate anyone's account."""
    return hashlib.sha256(token.encode()).hexdigest()


def hub_link(hub_url: str, page: str, token: str) -> str:
    """A Parent Hub page (`activate` or `sign-in`) with a single-use token in its query."""
    return f"{hub_url}/{page}?{urlencode({'token': token})}"


# ---- the clock -----------------------------------------------------------------------------


def first_deadline(issued_at: datetime, window: timedelta) -> datetime:
    return issued_at + window


def extended(deadline: datetime, days: int, unit: timedelta) -> datetime:
    return deadline + days * unit


def next_reminder(deadline: datetime, offsets: list[timedelta], after: datetime) -> datetime | None:
    """The earliest reminder still ahead of `after`. Reminders that fell due together (the
    service was down) collapse into the latest one: a parent gets "1 day left", not both."""
    ahead = sorted(deadline - o for o in offsets if deadline - o > after)
    return ahead[0] if ahead else None


def days_left(deadline: datetime, now: datetime) -> int:
    """Whole days left, rounded up: 30 hours left is "2 days left"."""
    return max(0, math.ceil((deadline - now) / timedelta(days=1)))


# ---- modules -------------------------------------------------------------------------------


def module_status(number: int, completed: int, positions: dict[str, int]) -> ModuleStatus:
    """Modules unlock in order: the next one after the last completed is open."""
    if number <= completed:
        return "completed"
    if number == completed + 1:
        return "in_progress" if str(number) in positions else "available"
    return "locked"


def resume_point(completed: int, positions: dict[str, int]) -> tuple[int, int] | None:
    """Where a parent picks up: the first module not done, at the section they last reached."""
    if completed >= MODULE_COUNT:
        return None
    number = completed + 1
    return number, positions.get(str(number), 1)


@dataclass
class ItemResult:
    id: str
    correct: bool | None  # None for a reflection: there is no wrong answer
    feedback: str


@dataclass
class Verdict:
    missing: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    results: list[ItemResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.missing and not self.unknown and all(r.correct is not False for r in self.results)


def check_activity(activity: Activity, answers: dict[str, str]) -> Verdict:
    """A module completes when every question is answered correctly (as many tries as needed,
    with feedback on each) or every reflection prompt has some words written."""
    verdict = Verdict(unknown=sorted(set(answers) - set(activity.item_ids)))
    for question in activity.questions:
        chosen = answers.get(question.id, "").strip()
        option = next((o for o in question.options if o.id == chosen), None)
        if option is None:
            verdict.missing.append(question.id)
            continue
        verdict.results.append(ItemResult(question.id, option.id == question.answer, option.feedback))
    for prompt in activity.prompts:
        if not answers.get(prompt.id, "").strip():
            verdict.missing.append(prompt.id)
        else:
            verdict.results.append(ItemResult(prompt.id, None, ""))
    return verdict


# ---- what a parent may still do -------------------------------------------------------------

Refusal = Literal["withdrawn", "deadline-passed", "superseded", "module-locked"]


class Refused(Exception):
    """A rule says no; refusals.py words it for the person who asked. `kind` says which rule:
    `course` (the parent's course is closed: `reason` is a `Refusal`), `enrolment` (staff acting on
    a closed one: `reason` is its status), `activation`/`sign_in` (a link that does not work:
    `reason` is its state, None for unknown), `activation-needed`, `answers` (the module's activity),
    `session` (a parent's session that ended: `reason` why, None for unknown)."""

    def __init__(self, kind: str, reason: str | None = None, **extra: Any) -> None:
        super().__init__(f"{kind}: {reason}")
        self.kind, self.reason, self.extra = kind, reason, extra


class Unknown(Exception):
    """No such record, or none the caller may see."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} not found")
        self.what = what


def refusal(status: str, completed: int, number: int, deadline: datetime, now: datetime) -> Refusal | None:
    """Why a parent may not work on module `number` now, or None if they may.
    Finished modules stay open for reading back once the course is complete."""
    if status == "completed" or (status == "active" and number <= completed):
        return None
    if status == "withdrawn":
        return "withdrawn"
    if status == "superseded":
        return "superseded"
    if status == "missed" or now >= deadline:
        return "deadline-passed"
    if number > completed + 1:
        return "module-locked"
    return None


# ---- state changes -----------------------------------------------------------------------------
# Each runs inside one unit of work: what it saves and the events it emits commit together.

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


async def _open_or_refuse(uow: UnitOfWork, enrolment_id: str) -> dict[str, Any]:
    if (enrolment := await uow.enrolment(enrolment_id)) is None:
        raise Unknown("enrolment")
    return enrolment


# -- links


async def new_link(
    uow: UnitOfWork, kind: str, owner: dict[str, str], ttl: timedelta, supersede: bool = True, **extra: Any
) -> tuple[str, datetime]:
    """A fresh single-use token, stored only as its hash; unless `supersede` is off, the owner's
    older unused links stop working."""
    now = uow.now()
    for older in await uow.pending_links(kind, owner) if supersede else []:
        await uow.save_link(kind, older | {"state": "superseded", "closed_at": now})
    token, expires_at = new_token(), now + ttl
    link = {"_id": hash_token(token), **owner, **extra, "state": "pending", "issued_at": now, "expires_at": expires_at}
    await uow.save_link(kind, link)
    return token, expires_at


async def spend_link(uow: UnitOfWork, kind: str, token: str) -> dict[str, Any]:
    """The link this token opens, marked used; refused if it is unknown, used, replaced or expired.
    Inside the caller's unit of work: a refusal later undoes the use."""
    now = uow.now()
    link = await uow.link(kind, hash_token(token))
    if link is None:
        raise Refused(kind, None)
    if link["state"] != "pending" or now >= link["expires_at"]:
        raise Refused(kind, link["state"])
    link |= {"state": "used", "used_at": now}
    await uow.save_link(kind, link)
    return link


async def issue_activation(uow: UnitOfWork, rules: Rules, enrolment: dict[str, Any], *, reissue: bool) -> datetime:
    """A new activation link for this enrolment, sent as the welcome letter (or a re-issue)."""
    token, expires_at = await new_link(
        uow,
        ACTIVATIONS,
        {"enrolment_id": str(enrolment["_id"])},
        rules.activation_ttl,
        supersede=reissue,  # a new enrolment has no earlier link to stop
        referral_id=enrolment["referral_id"],
        participant_id=enrolment["participant_id"],
        reissue=reissue,
    )
    enrolment["link_expires_at"] = expires_at
    await uow.save_enrolment(enrolment)
    url = seal(rules.link_seal_key, hub_link(rules.hub_url, "activate", token))
    issued = ActivationIssued(
        **event_ids(enrolment),
        sealed_activation_url=url,
        expires_at=expires_at,
        deadline=enrolment["deadline"],
        reissue=reissue,
    )
    await uow.emit(issued, enrolment["referral_id"])
    return expires_at


async def issue_sign_in(uow: UnitOfWork, rules: Rules, enrolment: dict[str, Any]) -> None:
    """A new sign-in link for this parent, emailed to them."""
    owner = {"participant_id": enrolment["participant_id"]}
    # A new request leaves earlier links working: else anyone who knows the parent's address
    # could keep cancelling the link in their inbox and keep them out of their course.
    token, expires_at = await new_link(uow, SIGN_INS, owner, rules.sign_in_link_ttl, supersede=False)
    url = seal(rules.link_seal_key, hub_link(rules.hub_url, "sign-in", token))
    issued = SignInLinkIssued(**event_ids(enrolment), sealed_sign_in_url=url, expires_at=expires_at)
    await uow.emit(issued, enrolment["referral_id"])


async def tell_course_closed(uow: UnitOfWork, enrolment: dict[str, Any]) -> None:
    """A withdrawn parent asked for a link: a letter saying their course is closed, and since when.
    Only on their asking (never at the withdrawal itself: see docs/security.md), about their course alone."""
    now = uow.now()
    notice = {"_id": uow.new_id(), "participant_id": enrolment["participant_id"], "issued_at": now, "expires_at": now}
    await uow.save_link(NOTICES, notice)
    refused = SignInRefused(**event_ids(enrolment), reason="withdrawn", closed_at=enrolment["withdrawn_at"])
    await uow.emit(refused, enrolment["referral_id"])


# -- opening and closing a course


async def open_enrolment(
    uow: UnitOfWork,
    rules: Rules,
    *,
    referral_id: str,
    participant_id: str,
    cycle: int,
    provider: str,
    fca_id: str | None,
    language: str,
    email_key: str | None = None,
) -> bool:
    """Create the account (once per parent) and this cycle's enrolment, and send the first link.
    Returns False when the enrolment already exists (a repeated event changes nothing) or the
    referral was withdrawn (the withdrawal overtook this event)."""
    mine = await uow.enrolments_of(participant_id)  # one read for both questions below
    if any(e["cycle"] == cycle for e in mine) or await uow.withdrawn(referral_id, participant_id):
        return False
    now = uow.now()
    await uow.keep_account(participant_id, language, email_key)
    # A new cycle replaces an older one still running: one clock per parent.
    for older in (e for e in mine if e["cycle"] < cycle and e["status"] == "active"):
        await uow.save_enrolment(older | {"status": "superseded", "reminder_due": None})
    deadline = first_deadline(now, rules.learning_window)
    enrolment = {
        "_id": uow.new_id(),
        "referral_id": referral_id,
        "participant_id": participant_id,
        "cycle": cycle,
        "provider": provider,
        "fca_id": fca_id,
        "language": language,
        "status": "active",
        "issued_at": now,
        "deadline": deadline,
        "reminder_due": next_reminder(deadline, rules.reminders, now),
        "activated_at": None,
        "link_expires_at": None,
        "modules_completed": 0,
        "completed_at": {},
        "positions": {},
        "learning_completed_at": None,
        "extensions": [],
        "created_at": now,
    }
    await issue_activation(uow, rules, enrolment, reissue=False)
    return True


async def withdraw(uow: UnitOfWork, referral_id: str, participant_ids: list[str], at: datetime) -> None:
    """A withdrawn referral stops the clock: no reminders, no missed deadline, no sign-in.
    No participant ids: the whole referral."""
    # Each event type has its own consumer, so this may overtake the `referral.created` or
    # `referral.reordered` it withdraws: remembered, an older one arriving later opens nothing.
    await uow.record_withdrawal(referral_id, participant_ids, at)
    now = uow.now()
    await uow.end_sessions(now, "withdrawn", referral_id, participant_ids)  # signed out everywhere within a minute
    for enrolment in await uow.open_enrolments_of(referral_id, participant_ids):
        # The e-learning stays done, or missed (the court was told), on record; nothing more is asked, and
        # the parent is withdrawn for sign-in (`withdrawn`): a letter that the course is closed, no link.
        if enrolment["status"] in ("completed", "missed"):
            if not enrolment.get("withdrawn_at"):  # a second withdrawal keeps the first's time
                await uow.save_enrolment(enrolment | {"withdrawn_at": now})
            continue
        await uow.save_enrolment(enrolment | {"status": "withdrawn", "withdrawn_at": now, "reminder_due": None})
        for link in await uow.pending_links(ACTIVATIONS, {"enrolment_id": str(enrolment["_id"])}):
            await uow.save_link(ACTIVATIONS, link | {"state": "withdrawn", "closed_at": now})


# -- sessions: what activation and sign-in open, what the hub refreshes a parent's short token from


async def open_session(uow: UnitOfWork, rules: Rules, enrolment: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A session for the parent of this enrolment: its secret (the hub holds it, we keep only its
    hash) and the record. It ends at sign-out, a withdrawal, a re-order, or `parent_session_ttl`."""
    secret, now = new_token(), uow.now()
    session = {
        "_id": hash_token(secret),
        "participant_id": enrolment["participant_id"],
        "referral_id": enrolment["referral_id"],
        "created_at": now,
        "expires_at": now + rules.parent_session_ttl,
        "ended_at": None,
        "end_reason": None,
    }
    await uow.save_session(session)
    return secret, session


async def current_session(uow: UnitOfWork, secret: str) -> dict[str, Any]:
    """The session this secret opens, if it has not ended; else refused (the hub signs the parent out)."""
    session = await uow.session(hash_token(secret))
    if session is None or session["ended_at"] is not None or uow.now() >= session["expires_at"]:
        raise Refused("session", session and (session["end_reason"] or "expired"))
    return session


async def reorder(uow: UnitOfWork, rules: Rules, **enrolment: Any) -> bool:
    """The court re-ordered the course: a new enrolment (`open_enrolment`), and the parent's sessions
    end, so the next sign-in starts from the new course's welcome letter."""
    opened = await open_enrolment(uow, rules, **enrolment)
    if opened:
        await uow.end_sessions(uow.now(), "reordered", enrolment["referral_id"], [enrolment["participant_id"]])
    return opened


async def end_session(uow: UnitOfWork, secret: str) -> None:
    """Sign-out: the session ends, and with it every refresh. Ending one already ended changes nothing."""
    session = await uow.session(hash_token(secret))
    if session is not None and session["ended_at"] is None:
        await uow.save_session(session | {"ended_at": uow.now(), "end_reason": "signed-out"})


# -- what a parent does


async def activate(uow: UnitOfWork, token: str) -> dict[str, Any]:
    """Use a single-use link from the welcome letter; the enrolment it opens."""
    link = await spend_link(uow, ACTIVATIONS, token)
    enrolment = await _open_or_refuse(uow, link["enrolment_id"])
    if enrolment["status"] not in OPEN:
        raise Refused("course", enrolment["status"])
    if enrolment["activated_at"] is None:
        enrolment["activated_at"] = uow.now()
        await uow.save_enrolment(enrolment)
        await uow.mark_account_activated(enrolment["participant_id"])
        await uow.emit(AccountActivated(**event_ids(enrolment)), enrolment["referral_id"])
    return enrolment


async def sign_in(uow: UnitOfWork, token: str) -> dict[str, Any]:
    """Use a sign-in link from the email: the parent's latest enrolment, if open and activated."""
    link = await spend_link(uow, SIGN_INS, token)
    enrolment = await uow.enrolment_of(link["participant_id"])
    if enrolment is None or enrolment["status"] not in SIGN_IN or withdrawn(enrolment):
        raise Refused("course", "withdrawn" if enrolment is None or withdrawn(enrolment) else enrolment["status"])
    if enrolment["activated_at"] is None and enrolment["status"] != "missed":  # re-ordered since the link was sent
        raise Refused("activation-needed")
    return enrolment


def refuse_unless_open(enrolment: dict[str, Any], number: int, now: datetime) -> None:
    if reason := refusal(enrolment["status"], enrolment["modules_completed"], number, enrolment["deadline"], now):
        raise Refused("course", reason, deadline=enrolment["deadline"])


def grade(activity: Activity, answers: dict[str, str]) -> Verdict:
    """The activity's verdict; refused unless it passed (the feedback says what to look at again)."""
    verdict = check_activity(activity, answers)
    if verdict.unknown:
        raise Refused("answers", "answers-unknown", unknown=verdict.unknown)
    if verdict.missing:
        raise Refused("answers", "answers-missing", missing=verdict.missing, verdict=verdict)
    if not verdict.passed:
        raise Refused("answers", "answers-incorrect", verdict=verdict)
    return verdict


async def complete_module(uow: UnitOfWork, enrolment_id: str, number: int) -> tuple[int, bool]:
    """Complete module `number` (its activity passed): modules complete in order, once each, and the
    eighth completes the e-learning. Returns the modules completed, and whether this one already was."""
    enrolment = await _open_or_refuse(uow, enrolment_id)
    now = uow.now()
    refuse_unless_open(enrolment, number, now)
    if number <= enrolment["modules_completed"]:
        return enrolment["modules_completed"], True
    enrolment["modules_completed"] = number
    enrolment["completed_at"][str(number)] = now
    finished = number == MODULE_COUNT
    if finished:
        enrolment |= {"status": "completed", "learning_completed_at": now, "reminder_due": None}
    await uow.save_enrolment(enrolment)
    ids, referral_id = event_ids(enrolment), enrolment["referral_id"]
    await uow.emit(ModuleCompleted(**ids, module=number, modules_completed=number), referral_id)
    if finished:
        await uow.emit(LearningCompleted(**ids, completed_at=now), referral_id)
    return number, False


# -- what an FCA or provider does


async def reissue(uow: UnitOfWork, rules: Rules, enrolment_id: str) -> dict[str, Any]:
    """A new link to the parent (also a way back in after activation); the deadline does not move."""
    enrolment = await _open_or_refuse(uow, enrolment_id)
    if enrolment["status"] not in OPEN:
        raise Refused("enrolment", enrolment["status"])
    await issue_activation(uow, rules, enrolment, reissue=True)
    return enrolment


async def extend(uow: UnitOfWork, rules: Rules, enrolment_id: str, days: int, reason: str) -> dict[str, Any]:
    """More days for an open course; reminders are re-armed for the new deadline."""
    enrolment = await _open_or_refuse(uow, enrolment_id)
    now = uow.now()
    if enrolment["status"] != "active" or now >= enrolment["deadline"]:
        raise Refused("enrolment", "missed" if enrolment["status"] == "active" else enrolment["status"])
    deadline = extended(enrolment["deadline"], days, rules.extension_unit)
    enrolment |= {"deadline": deadline, "reminder_due": next_reminder(deadline, rules.reminders, now)}
    enrolment["extensions"].append({"days": days, "reason": reason, "deadline": deadline, "at": now})
    await uow.save_enrolment(enrolment)
    extended_ = LearningExtended(**event_ids(enrolment), deadline=deadline, days=days)
    await uow.emit(extended_, enrolment["referral_id"])
    return enrolment


# -- the clock (sweeps call these for each due item)


async def expire_activation(uow: UnitOfWork, link_id: str) -> bool:
    """An unused link past its time expires once; the FCA and provider hear of a course not yet activated."""
    link = await uow.link(ACTIVATIONS, link_id)
    now = uow.now()
    if link is None or link["state"] != "pending" or link["expires_at"] > now:
        return False  # another replica, a use or a re-issue got there first
    await uow.save_link(ACTIVATIONS, link | {"state": "expired", "closed_at": now})
    enrolment = await uow.enrolment(link["enrolment_id"])
    # A sign-in link sent after activation expires quietly: the account is not overdue.
    if enrolment and enrolment["status"] == "active" and enrolment["activated_at"] is None:
        await uow.emit(ActivationExpired(**event_ids(enrolment), expired_at=link["expires_at"]), link["referral_id"])
    return True


async def remind(uow: UnitOfWork, rules: Rules, enrolment_id: str) -> bool:
    """`learning.deadline_approaching` when a reminder is due and the deadline still ahead."""
    enrolment = await uow.enrolment(enrolment_id)
    now = uow.now()
    if enrolment is None or enrolment["status"] != "active" or not enrolment.get("reminder_due"):
        return False
    deadline = enrolment["deadline"]
    if enrolment["reminder_due"] > now or deadline <= now:  # not yet; or moot: `miss` takes over
        return False
    enrolment["reminder_due"] = next_reminder(deadline, rules.reminders, now)
    await uow.save_enrolment(enrolment)
    approaching = DeadlineApproaching(
        **event_ids(enrolment),
        deadline=deadline,
        days_left=days_left(deadline, now),
        modules_completed=enrolment["modules_completed"],
    )
    await uow.emit(approaching, enrolment["referral_id"])
    return True


async def miss(uow: UnitOfWork, enrolment_id: str) -> bool:
    """The window closed before the eighth module: `learning.deadline_missed`, once."""
    enrolment = await uow.enrolment(enrolment_id)
    now = uow.now()
    if enrolment is None or enrolment["status"] != "active" or enrolment["deadline"] > now:
        return False  # completed, extended or withdrawn meanwhile
    enrolment |= {"status": "missed", "missed_at": now, "reminder_due": None}
    await uow.save_enrolment(enrolment)
    missed = DeadlineMissed(
        **event_ids(enrolment), deadline=enrolment["deadline"], modules_completed=enrolment["modules_completed"]
    )
    await uow.emit(missed, enrolment["referral_id"])
    return True


async def answer_sign_in(uow: UnitOfWork, rules: Rules, email_key: str, requested_at: datetime) -> None:
    """A sign-in link to each parent with this email whose latest course is activated and open, or
    whose deadline passed (two parents may share an address), at most one per `sign_in_cooldown` and
    `sign_in_daily_cap` a day, so nobody can flood a parent's inbox through the form. A parent whose course was
    withdrawn gets, under the same limits, a letter saying so instead of a link (issue 26)."""
    for participant_id in await uow.account_ids(email_key):
        enrolment = await uow.enrolment_of(participant_id)
        if enrolment is None or (enrolment["status"] not in SIGN_IN and not withdrawn(enrolment)):
            continue
        day_ago = requested_at - timedelta(days=1)
        # Not activated yet (the welcome link unused, run out or lost; a re-ordered course too): the
        # welcome link is issued again, to the address on file, under the same limits (issue 26). Past a
        # missed deadline a welcome link would open nothing: a sign-in link, to see where they stand.
        kind, owner = (
            (NOTICES, {"participant_id": participant_id})
            if withdrawn(enrolment)
            else (SIGN_INS, {"participant_id": participant_id})
            if enrolment["activated_at"] is not None or enrolment["status"] == "missed"
            else (ACTIVATIONS, {"enrolment_id": str(enrolment["_id"])})
        )
        if await uow.links_issued_since(kind, owner, day_ago) >= rules.sign_in_daily_cap:
            continue
        if not await uow.claim_sign_in(participant_id, requested_at, requested_at - rules.sign_in_cooldown):
            continue
        if kind == NOTICES:
            await tell_course_closed(uow, enrolment)
        elif kind == SIGN_INS:
            await issue_sign_in(uow, rules, enrolment)
        else:
            await issue_activation(uow, rules, enrolment, reissue=True)
