"""Follow-up calls: consent, the reproducible sample of consenting parents, who makes the call,
and its outcome on the measure adapted from the O'Leary-Porter Scale."""

import hashlib
from datetime import datetime

from ptfc.events import FollowupCompleted, FollowupScheduled
from workshops.domain.base import Programme, Refused, UnitOfWork, Unknown
from workshops.domain.booking import me


def sampled(participant_id: str, one_in: int, salt: str) -> bool:
    """A reproducible 1-in-N sample: the same parent is always in or out for the same salt."""
    digest = hashlib.sha256(f"{salt}:{participant_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % max(one_in, 1) == 0


def assignee(participant_id: str, facilitators: list[str]) -> str:
    """The facilitator who makes this parent's call: spread evenly, the same on every run."""
    options = sorted(facilitators)
    return options[int(hashlib.sha256(participant_id.encode()).hexdigest(), 16) % len(options)]


# Items adapted from the O'Leary-Porter Scale (Porter & O'Leary, 1980), which asks how often a
# child sees or hears conflict between their parents; rated 0 (never) to 4 (very often).
# See services/workshops/README.md for the source and how the wording was adapted.
MEASURE: dict[str, str] = {
    "argue_in_front": "How often do you and the other parent argue in front of your child?",
    "discipline": "How often do you disagree about discipline in front of your child?",
    "verbal_hostility": "How often does your child hear you or the other parent speak with hostility about the other?",
    "complaints": "How often do you complain about the other parent to your child or where they can hear?",
    "money": "How often does your child hear you and the other parent argue about money?",
}
SCALE = range(0, 5)


def check_measure(answers: dict[str, int]) -> None:
    if set(answers) != set(MEASURE):
        raise Refused("measure-incomplete", f"Answer every item: {', '.join(MEASURE)}.")
    if any(v not in SCALE for v in answers.values()):
        raise Refused("measure-out-of-range", "Each answer is 0 (never) to 4 (very often).")


async def consent(uow: UnitOfWork, participant_id: str, given: bool) -> None:
    """Consent to a follow-up call, or withdraw it (a call already scheduled is then withdrawn)."""
    parent = await me(uow, participant_id)
    await uow.save_parent({**parent, "consent": given})
    if not given:
        for followup in await uow.followups_of(participant_id, "scheduled"):
            await uow.save_followup({**followup, "status": "withdrawn"})


async def schedule_followup(uow: UnitOfWork, session: dict, booking: dict, attended_at: datetime, t: Programme) -> None:
    """Consenting parents in the sample get a call within the window, by a facilitator of the session."""
    parent = await uow.parent(booking["participant_id"])
    if not parent or parent.get("consent") is not True:
        return
    if not sampled(parent["_id"], t.followup_one_in, t.followup_salt):
        return
    followup = {
        "_id": uow.new_id(),
        "participant_id": parent["_id"],
        "referral_id": parent["referral_id"],
        "provider": session["provider"],
        "region": parent.get("region"),  # for the outcome report per provider, region and month
        "session_id": str(session["_id"]),
        "facilitator": assignee(parent["_id"], session["facilitators"]),
        "due_by": attended_at + t.followup_within,
        "status": "scheduled",
        "created_at": attended_at,
    }
    await uow.add_followup(followup)
    event = FollowupScheduled(
        referral_id=parent["referral_id"],
        participant_id=parent["_id"],
        followup_id=str(followup["_id"]),
        due_by=followup["due_by"],
    )
    await uow.emit(event, parent["referral_id"])


async def record_call(
    uow: UnitOfWork,
    followup_id: str,
    facilitator: tuple[str | None, str],
    reached: bool,
    answers: dict[str, int] | None,
) -> tuple[dict, str]:
    """The outcome of a ~10-minute call, by the facilitator it is assigned to, known by (provider,
    subject): reached or not, and the measure's answers if reached. Answers the call and the
    parent's first name."""
    if reached:
        check_measure(answers or {})
    elif answers:
        raise Refused("answers-without-reach", "Send answers only for a call that reached the parent.")
    followup = await uow.followup(followup_id)
    if not followup or (followup["provider"], followup["facilitator"]) != facilitator:
        raise Unknown("follow-up")
    if followup["status"] != "scheduled":
        raise Refused("followup-recorded" if followup["status"] == "completed" else "followup-closed")
    followup = {**followup, "status": "completed", "reached": reached, "answers": answers, "completed_at": uow.now()}
    await uow.save_followup(followup)
    ids = {k: followup[k] for k in ("referral_id", "participant_id")}
    await uow.emit(FollowupCompleted(**ids, followup_id=followup_id), followup["referral_id"])
    parent = await uow.parent(followup["participant_id"])
    return followup, parent["given_name"] if parent else ""
