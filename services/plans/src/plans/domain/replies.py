"""The reply emails: the other parent hears of a proposal waiting for them, or the plan agreed, at most once a
day per plan (the replies after the first go as one digest when the day is over), and never after they
turned these emails off."""

from datetime import timedelta

from plans.domain.base import UnitOfWork, Who
from plans.domain.parties import active, language_of, member
from ptfc.events import PlanReplyWaiting

REPLY_EMAIL_PERIOD = timedelta(days=1)


async def tell_the_other(uow: UnitOfWork, plan: dict, me: dict, reason: str, period: timedelta) -> None:
    """The other parent hears that there is a reply, without harassment: at most one email a day per
    plan (a digest: the first reply of the day is told at once, the replies after it in one email when
    the day since is over: send_held_reply), none once they turned these emails off, and none to a
    parent nobody can write to (no account, not invited by email). The event names them by id;
    notifications alone keeps the address."""
    now = uow.now()
    for other in (p for p in active(plan) if p["party_id"] != me["party_id"]):
        if not (other.get("participant_id") or other.get("invitation_id")):
            continue
        choice = await uow.reply_emails(plan["_id"], other["party_id"])
        if choice.get("off"):
            continue
        if choice.get("sent_at") and now - choice["sent_at"] < period:
            held = "agreed" if "agreed" in (reason, choice.get("held")) else "proposal"
            due = {"held": held, "due_at": choice["sent_at"] + period}
            await uow.keep_reply_emails(plan["_id"], other["party_id"], {**choice, **due})
            continue
        await uow.keep_reply_emails(
            plan["_id"], other["party_id"], {**choice, "sent_at": now, "held": None, "due_at": None}
        )
        await uow.emit(_reply_waiting(plan, other, reason), plan["_id"])


def _reply_waiting(plan: dict, other: dict, reason: str) -> PlanReplyWaiting:
    return PlanReplyWaiting(
        plan_id=plan["_id"],
        reason=reason,  # type: ignore[arg-type]
        recipient_participant_id=other.get("participant_id"),
        recipient_invitation_id=None if other.get("participant_id") else other.get("invitation_id"),
        preferred_language=language_of(plan, other),  # type: ignore[arg-type]
    )


async def send_held_reply(uow: UnitOfWork, plan_id: str, party_id: str) -> bool:
    """The day after the last reply email, the replies held back since go as one (the digest); none
    if the parent turned the emails off or left the plan meanwhile."""
    now, choice = uow.now(), await uow.reply_emails(plan_id, party_id)
    if not choice.get("held") or not choice.get("due_at") or choice["due_at"] > now:
        return False
    plan = await uow.plan(plan_id)
    other = next((p for p in active(plan) if p["party_id"] == party_id), None) if plan else None
    cleared = {**choice, "held": None, "due_at": None}
    if choice.get("off") or not other:
        await uow.keep_reply_emails(plan_id, party_id, cleared)
        return False
    await uow.keep_reply_emails(plan_id, party_id, {**cleared, "sent_at": now})
    await uow.emit(_reply_waiting(plan, other, choice["held"]), plan_id)  # type: ignore[arg-type]
    return True


async def choose_reply_emails(uow: UnitOfWork, plan_id: str, who: Who, on: bool) -> tuple[dict, dict]:
    """A parent turns the reply emails on or off, for this plan. Kept apart from the plan, so that it
    is no change the other parent sees (no new version, nothing in the history)."""
    plan = await uow.plan(plan_id)
    me = member(plan, who)
    choice = await uow.reply_emails(plan_id, me["party_id"])
    await uow.keep_reply_emails(plan_id, me["party_id"], {**choice, "off": not on})
    return plan, me  # type: ignore[return-value]
