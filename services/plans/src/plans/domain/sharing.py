"""Sharing a plan: with the co-parent the referral names, with anyone by email (an expiring, single-use
link, at most a few a day to one person whoever asks), or read-only with the sharing parent's FCA; and
joining it through the invitation."""

from dataclasses import dataclass
from datetime import datetime

from plans.domain.base import Refused, Rules, UnitOfWork, Who, hash_token, link, new_id, new_token, saved
from plans.domain.history import history_entry
from plans.domain.parties import may_invite, member, new_party, party
from ptfc.events import PlanShared
from ptfc.lookup import email_key
from ptfc.sealing import seal


@dataclass
class Invitation:
    shared_with: str  # "co_parent", "email" or "fca"
    invitation_id: str | None = None
    expires_at: datetime | None = None
    emailed: bool = False  # False: an invitation sent recently still works, and no email went now


@dataclass
class Joined:
    plan_id: str
    party_token: str | None


async def share(uow: UnitOfWork, plan_id: str, who: Who, to: str, email: str | None, rules: Rules) -> Invitation:
    """Invite the co-parent (known by the referral), someone by email (sealed for notifications),
    or let the sharing parent's FCA read the plan."""
    plan = await uow.plan(plan_id)
    me = member(plan, who)
    # The referral is read now: it may have arrived after the plan was started.
    known = await uow.participant(me["participant_id"]) if me.get("participant_id") else None
    if to == "fca":
        if not known:
            raise Refused("not-on-programme")
        if known["fca_id"] not in plan["viewers"]:
            entry = history_entry(me, "shared_with_fca", uow.now())
            await saved(uow, plan, entry, viewers=[*plan["viewers"], known["fca_id"]])
        return Invitation(shared_with="fca")
    may_invite(plan)
    if to == "co_parent":
        if not known or not known["co_parents"]:
            raise Refused("no-co-parent")
        return await invite(uow, plan, me, known["co_parents"][0], None, rules)
    if not email:
        raise Refused("email-needed")
    return await invite(uow, plan, me, None, email, rules)


def recipient_of(invitee_id: str | None, email: str | None, rules: Rules) -> str:
    """Whom an invitation reaches, as plans counts them: a programme parent by id, anyone else by a
    keyed hash of the address (ptfc.lookup), which reaches nobody and cannot be tested against guesses."""
    if invitee_id:
        return f"participant:{invitee_id}"
    return f"email:{email_key(rules.email_lookup_key, email or '')}"


async def invite(
    uow: UnitOfWork,
    plan: dict,
    me: dict,
    invitee_id: str | None,
    email: str | None,
    rules: Rules,
    asked_by_invitee: bool = False,
) -> Invitation:
    """A single-use, expiring link (a plan has one open invitation: a new one replaces the older),
    sealed on the bus with the address (if any) for notifications.

    Whoever asks, one person is sent at most `invitation_emails_per_recipient` invitations in
    `invitation_quiet_period`, so that a parent cannot flood the other's inbox, nor a stranger any
    address. Within that period, sharing the same plan with the same person again keeps the invitation
    already sent (it still works): replacing it without an email would leave them a dead link. The
    invitee asking again for their own (starting a plan of their own) is sent a new one, within the cap."""
    now = uow.now()
    shared_with = "co_parent" if invitee_id else "email"
    recipient = recipient_of(invitee_id, email, rules)
    recent = await uow.invitations_to(recipient, now - rules.invitation_quiet_period)
    capped = len(recent) >= rules.invitation_emails_per_recipient
    current = next(
        (i for i in recent if i["plan_id"] == plan["_id"] and i["state"] == "pending" and i["expires_at"] > now), None
    )
    if current and (capped or not asked_by_invitee):
        return Invitation(shared_with, current["invitation_id"], current["expires_at"], emailed=False)
    if capped:
        raise Refused("invitation-limit", retry_after=int(rules.invitation_quiet_period.total_seconds()))
    token, invitation_id = new_token(), new_id()
    expires_at = now + rules.invitation_ttl
    await uow.add_invitation(
        {
            "_id": hash_token(token),
            "invitation_id": invitation_id,
            "plan_id": plan["_id"],
            "invitee_participant_id": invitee_id,
            "recipient": recipient,
            "state": "pending",
            "created_by": me["party_id"],
            "created_at": now,
            "expires_at": expires_at,
        }
    )
    await saved(uow, plan, history_entry(me, "shared", now, invitee=shared_with), invited_until=expires_at)
    event = PlanShared(
        plan_id=plan["_id"],
        invitation_id=invitation_id,
        invitee_participant_id=invitee_id,
        sealed_invitee_email=seal(rules.link_seal_key, email) if email else None,
        sealed_invite_url=seal(rules.link_seal_key, link(rules, "join", token=token)),
        expires_at=expires_at,
        preferred_language=plan["language"],
    )
    await uow.emit(event, plan["_id"])
    return Invitation(shared_with=shared_with, invitation_id=invitation_id, expires_at=expires_at, emailed=True)


async def join(uow: UnitOfWork, who: Who, token: str, display_name: str, language: str | None = None) -> Joined:
    """Use an invitation, once and before it expires. Someone without an account gets their own
    secret plan token, shown this once."""
    now = uow.now()
    invitation = await uow.invitation(hash_token(token))
    if invitation is None:
        raise Refused("invitation-unknown")
    if invitation["state"] != "pending":
        raise Refused("invitation-used" if invitation["state"] == "used" else "invitation-replaced")
    if invitation["expires_at"] <= now:
        raise Refused("invitation-expired")
    if invitation["invitee_participant_id"] and invitation["invitee_participant_id"] != who.participant_id:
        raise Refused("invitation-for-someone-else")
    plan = await uow.plan(invitation["plan_id"])
    if plan is None:
        raise Refused("invitation-unknown")
    may_invite(plan)
    if who.participant_id and party(plan, participant_id=who.participant_id):
        raise Refused("already-a-party")
    secret = None if who.participant_id else new_token()
    hashed = hash_token(secret) if secret else None
    joined = new_party(
        "invitee",
        display_name,
        now,
        participant_id=who.participant_id,
        token_hash=hashed,
        language=language or plan["language"],
        invitation_id=invitation["invitation_id"],
    )
    await uow.save_invitation({**invitation, "state": "used", "used_at": now})
    await saved(uow, plan, history_entry(joined, "joined", now), parties=[*plan["parties"], joined])
    return Joined(plan_id=plan["_id"], party_token=secret)
