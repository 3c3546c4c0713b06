"""Single-use links: the welcome letter's activation link, the sign-in link a parent asks for, and
the letter a withdrawn parent gets instead; how a token is made, kept (only its hash) and spent."""

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from learning.domain.base import (
    ACTIVATIONS,
    NOTICES,
    OPEN,
    SIGN_IN,
    SIGN_INS,
    Rules,
    UnitOfWork,
    enrolment_closed,
    event_ids,
    known_enrolment,
    withdrawn,
)
from ptfc.events import ActivationIssued, SignInLinkIssued, SignInRefused
from ptfc.refusals import Refused
from ptfc.sealing import seal


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Only this hash is stored: a copy of the database cannot activate anyone's account."""
    return hashlib.sha256(token.encode()).hexdigest()


def hub_link(hub_url: str, page: str, token: str) -> str:
    """A Parent Hub page (`activate` or `sign-in`) with a single-use token in its query."""
    return f"{hub_url}/{page}?{urlencode({'token': token})}"


# Why a link does not work, by its kind and state (None: unknown); any other state has expired. A
# welcome link closed by a withdrawal is gone (410), told apart from a course withdrawn since (409).
LINK_REFUSALS: dict[str, dict[str | None, str]] = {
    ACTIVATIONS: {
        None: "activation-link-unknown",
        "used": "activation-link-used",
        "superseded": "activation-link-replaced",
        "withdrawn": "activation-link-withdrawn",
        "expired": "activation-link-expired",
    },
    SIGN_INS: {None: "sign-in-link-unknown", "used": "sign-in-link-used", "expired": "sign-in-link-expired"},
}


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
    reasons = LINK_REFUSALS[kind]
    if link is None:
        raise Refused(reasons[None])
    if link["state"] != "pending" or now >= link["expires_at"]:
        raise Refused(reasons.get(link["state"], reasons["expired"]))
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


async def reissue(uow: UnitOfWork, rules: Rules, enrolment_id: str) -> dict[str, Any]:
    """A new link to the parent (also a way back in after activation); the deadline does not move."""
    enrolment = await known_enrolment(uow, enrolment_id)
    if enrolment["status"] not in OPEN:
        raise enrolment_closed(enrolment["status"])
    await issue_activation(uow, rules, enrolment, reissue=True)
    return enrolment


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
