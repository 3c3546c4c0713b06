"""Opening and closing a course: the account and enrolment a referral opens (with the first link),
a re-order's new enrolment, and a withdrawal stopping the clock."""

from datetime import datetime
from typing import Any

from learning.domain.base import ACTIVATIONS, Rules, UnitOfWork
from learning.domain.clock import first_deadline, next_reminder
from learning.domain.links import issue_activation


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


async def reorder(uow: UnitOfWork, rules: Rules, **enrolment: Any) -> bool:
    """The court re-ordered the course: a new enrolment (`open_enrolment`), and the parent's sessions
    end, so the next sign-in starts from the new course's welcome letter."""
    opened = await open_enrolment(uow, rules, **enrolment)
    if opened:
        await uow.end_sessions(uow.now(), "reordered", enrolment["referral_id"], [enrolment["participant_id"]])
    return opened


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
