"""Taking a referral: the case number, the intake rules in the order a caseworker would want to
hear them, one active cycle per parent and case, and the referral, its parents and
`referral.created` written together."""

import re
from datetime import datetime
from typing import Any

from ptfc.events import ParticipantContact, ReferralCreated, ReferralKeys, seal_participants
from referrals.domain.base import Refused, Timings, UnitOfWork, entry
from referrals.domain.routing import place_key, refuse_wales, route

CASE_NUMBER = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z][0-9]{5}$")  # ASCII only: \d matches any script's digits


def case_number(raw: str) -> str:
    """Family court case numbers look like `MA24P00123`; lower case is accepted and upper-cased."""
    value = raw.strip().upper()
    if not CASE_NUMBER.fullmatch(value):
        raise Refused(
            "invalid-case-number",
            "A case number has two letters, two digits, a letter and five digits, e.g. MA24P00123.",
        )
    return value


def check_intake(court_declined: bool, safeguarding_concerns: bool, court: str, region: str) -> str:
    """Every intake rule in the order a caseworker would want to hear them; returns the provider."""
    refuse_wales(court, region)
    if safeguarding_concerns:
        raise Refused(
            "safeguarding-concerns",
            "The course is not for cases with current safeguarding concerns.",
        )
    if court_declined:
        raise Refused("court-declined", "The court declined the course.")
    return route(region)


def already_referred(referral_id: str | None) -> Refused:
    """The referral is named only when given: the routes leave it out for a caller who may not
    read it (another FCA learns nothing of it; refusals.named_for)."""
    if referral_id is None:
        return Refused(
            "parent-already-referred",
            "A parent of this case is already in an active cycle.",
        )
    return Refused(
        "parent-already-referred",
        f"A parent of this case is already in an active cycle under referral {referral_id}.",
        existing_referral_id=referral_id,
    )


async def refuse_active_parent(uow: UnitOfWork, case: str, email_keys: list[str], except_id: Any = None) -> None:
    """One active cycle per parent and case (the store's unique index backs this up under races)."""
    if found := await uow.active_referral_of(case, email_keys, except_id):
        raise already_referred(found)


def new_cycle_clocks(now: datetime, timings: Timings, activated_ever: bool) -> dict[str, Any]:
    """A new cycle's due times: the provider's call, and the chaser unless the parent ever activated."""
    return {
        "contact_due_at": now + timings.contact_delay,
        "contacted_at": None,
        "chaser_due_at": None if activated_ever else now + timings.activation_chaser_after,
    }


# What of the referral form the referral and `referral.created` keep as given.
AS_GIVEN = {"court", "court_email", "source", "stage", "region"}


async def intake(
    uow: UnitOfWork, form: Any, fca_id: str, email_keys: list[str], timings: Timings, keys: ReferralKeys
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Take a referral (`form`, a validated `schemas.NewReferral`): every intake rule, then the
    referral, one participant per parent and `referral.created` (the only event with contact
    details, sealed with `keys`: each parent's contact for notifications, a profile for workshops,
    a keyed hash of the email for learning's sign-in)."""
    case = case_number(form.case_number)
    provider = check_intake(form.court_declined, form.safeguarding_concerns, form.court, form.region)
    if len(set(email_keys)) != len(email_keys):
        raise Refused("same-parent-twice", "Each parent needs their own email address.")
    await refuse_active_parent(uow, case, email_keys)
    now = uow.now()
    referral = {
        "_id": uow.new_id(),
        **form.model_dump(include=AS_GIVEN),
        "case_number": case,
        "court_key": place_key(form.court),
        "provider": provider,
        "fca_id": fca_id,
        "fca": form.fca.model_dump(),
        "children_ages": [c.age for c in form.children],
        "status": "active",
        "created_at": now,
        "withdrawn_at": None,
    }
    # Unguessable (random, not a counter): parents send their id to workshops and plans, and a
    # co-parent's must not follow from one's own. Sorted, so the parents keep the order given.
    ids = sorted(uow.random_id() for _ in form.parents)
    parents = [
        new_parent(referral, pid, next((other for other in ids if other != pid), None), person, key, timings)
        for pid, person, key in zip(ids, form.parents, email_keys, strict=True)
    ]
    await uow.add(referral, parents)
    await uow.emit(created(form, referral, ids, keys), str(referral["_id"]))
    return referral, parents


def new_parent(
    referral: dict[str, Any], pid: Any, co_parent: Any, person: Any, email_key: str, timings: Timings
) -> dict[str, Any]:
    """One parent of a new referral (`person`, a validated `schemas.Parent`), in their first cycle."""
    now = referral["created_at"]
    return {
        "_id": pid,
        "referral_id": str(referral["_id"]),
        "case_number": referral["case_number"],
        "provider": referral["provider"],
        "email_key": email_key,
        # Not the email or phone: only notifications keeps those (from referral.created).
        "person": person.model_dump(exclude={"email", "phone"}),
        "co_parent_id": str(co_parent) if co_parent is not None else None,  # kept apart by every rule
        "active": True,
        "activated_ever": False,
        "cycle": 1,
        "cycle_started_at": now,
        "progress": {},
        "outcome": None,
        "past_cycles": [],
        **new_cycle_clocks(now, timings, activated_ever=False),
        "timeline": [entry("referral.created", 1, now)],
    }


def created(form: Any, referral: dict[str, Any], ids: list[Any], keys: ReferralKeys) -> ReferralCreated:
    """`referral.created`: the referral as stored, and each parent's contact sealed with `keys` (v2)."""
    contacts = [
        ParticipantContact(participant_id=str(pid), **p.model_dump()) for pid, p in zip(ids, form.parents, strict=True)
    ]
    told = {name: referral[name] for name in (*AS_GIVEN, "case_number", "provider", "fca_id", "fca", "children_ages")}
    return ReferralCreated(referral_id=str(referral["_id"]), **told, participants=seal_participants(contacts, keys))
