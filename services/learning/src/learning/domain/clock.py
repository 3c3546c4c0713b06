"""The 10-day clock: the deadline, reminders before it, an FCA's extension, the missed deadline, and
the welcome link's 72 hours. The sweeps call the write rules for each due item."""

import math
from datetime import datetime, timedelta
from typing import Any

from learning.domain.base import ACTIVATIONS, Rules, UnitOfWork, enrolment_closed, event_ids, known_enrolment
from ptfc.events import ActivationExpired, DeadlineApproaching, DeadlineMissed, LearningExtended


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


async def extend(uow: UnitOfWork, rules: Rules, enrolment_id: str, days: int, reason: str) -> dict[str, Any]:
    """More days for an open course; reminders are re-armed for the new deadline."""
    enrolment = await known_enrolment(uow, enrolment_id)
    now = uow.now()
    if enrolment["status"] != "active" or now >= enrolment["deadline"]:
        raise enrolment_closed("missed" if enrolment["status"] == "active" else enrolment["status"])
    deadline = extended(enrolment["deadline"], days, rules.extension_unit)
    enrolment |= {"deadline": deadline, "reminder_due": next_reminder(deadline, rules.reminders, now)}
    enrolment["extensions"].append({"days": days, "reason": reason, "deadline": deadline, "at": now})
    await uow.save_enrolment(enrolment)
    extended_ = LearningExtended(**event_ids(enrolment), deadline=deadline, days=days)
    await uow.emit(extended_, enrolment["referral_id"])
    return enrolment


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
