"""A parent's session: what a welcome or sign-in link opens, what the hub refreshes the parent's
short token from, and sign-out."""

from typing import Any

from learning.domain.base import (
    ACTIVATIONS,
    OPEN,
    SIGN_IN,
    SIGN_INS,
    Rules,
    UnitOfWork,
    course_closed,
    event_ids,
    known_enrolment,
    withdrawn,
)
from learning.domain.links import hash_token, new_token, spend_link
from ptfc.events import AccountActivated
from ptfc.refusals import Refused


async def activate(uow: UnitOfWork, token: str) -> dict[str, Any]:
    """Use a single-use link from the welcome letter; the enrolment it opens."""
    link = await spend_link(uow, ACTIVATIONS, token)
    enrolment = await known_enrolment(uow, link["enrolment_id"])
    if enrolment["status"] not in OPEN:
        raise course_closed(enrolment["status"])
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
        raise course_closed("withdrawn" if enrolment is None or withdrawn(enrolment) else enrolment["status"])
    if enrolment["activated_at"] is None and enrolment["status"] != "missed":  # re-ordered since the link was sent
        raise Refused("activation-needed")
    return enrolment


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
        # Why it ended (signed out elsewhere, withdrawn) is not told: the secret's holder may not be the parent.
        raise Refused("session-ended")
    return session


async def end_session(uow: UnitOfWork, secret: str) -> None:
    """Sign-out: the session ends, and with it every refresh. Ending one already ended changes nothing."""
    session = await uow.session(hash_token(secret))
    if session is not None and session["ended_at"] is None:
        await uow.save_session(session | {"ended_at": uow.now(), "end_reason": "signed-out"})
