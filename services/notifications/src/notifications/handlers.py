"""Event subscribers: each receives one event, keeps what it takes to reach people, and plans the
letters it asks for as pending deliveries in the same transaction as the inbox mark. Nothing is sent
here: the sender sweep (sweeps.py) does the SMTP I/O outside any transaction, so a redelivered event
plans nothing twice. Which event becomes which letter is letters.py (`LETTERS`); rendering them into
delivery rows is outgoing.py; every write is in store.py. Each handler is a module function given
`settings` and `letters` (outgoing.Letters) by `make_handlers` (ptfc.consumer.Handlers.bind)."""

import json
import logging
from dataclasses import asdict
from typing import Any, Union

from notifications import domain, store
from notifications.config import Settings
from notifications.domain import WEBHOOK_EVENTS, partner_view, webhook_delivery
from notifications.letters import (
    ParticipantEvent,
    contact_change_letters,
    plan_invitation,
    plan_messages,
    plan_reply,
    provider_heads_up,
)
from notifications.links import opened, stand_in
from notifications.outgoing import Letters
from ptfc.consumer import Handlers, Meta
from ptfc.events import (
    EVENTS,
    CourseCompleted,
    NotYetKnown,
    PlanReplyWaiting,
    PlanShared,
    ReferralContactChanged,
    ReferralCreated,
    ReferralReordered,
    ReferralWithdrawn,
    WorkshopBooked,
    WorkshopReminderDue,
)
from ptfc.store import Tx

log = logging.getLogger("notifications.handlers")
handlers = Handlers()

# Every event partners may receive by webhook (none with sealed material): one subscription each.
PartnerEvent = Union[tuple(EVENTS[t] for t in WEBHOOK_EVENTS)]  # type: ignore[valid-type]  # noqa: UP007


def make_handlers(settings: Settings) -> Handlers:
    return handlers.bind(settings=settings, letters=Letters(settings))


@handlers.on
async def for_partner_webhooks(data: PartnerEvent, meta: Meta, tx: Tx) -> None:  # type: ignore[valid-type]
    """Keeps the event as partners may see it (for replays) and plans a POST to each endpoint that wants it."""
    envelope = {**meta.__dict__, "event_id": str(meta.event_id)}  # partner_view writes the time as the stream does
    body = json.dumps(partner_view({**envelope, "data": data.model_dump(mode="json")}), separators=(",", ":"))
    event = {"_id": str(meta.event_id), "type": meta.type, "occurred_at": meta.occurred_at, "body": body}
    await store.keep_partner_event(tx, {**event, "received_at": tx.clock.now()})
    endpoints = await store.endpoints_for(tx, meta.type)
    await store.plan_webhooks(tx, [webhook_delivery(e, event, tx.clock.now(), None) for e in endpoints])


@handlers.on(prefetch=store.load_contacts)
async def remember_referral(data: ReferralCreated, meta: Meta, tx: Tx, settings: Settings, letters: Letters) -> None:
    """Keeps the contact details of each parent and the referral's professionals; heads-up to the provider."""
    referral = domain.referral_kept(data)
    await store.keep_referral(tx, data.referral_id, referral)
    known = store.referral_of({"_id": data.referral_id, **referral})
    planned = []
    for person in data.contacts(settings.contact_seal_key, settings.contact_seal_previous_keys):
        kept = await store.keep_contact(tx, person.participant_id, domain.contact_kept(data.referral_id, person))
        if kept is None:  # a parent already known: how to reach them changes only by referral.contact_changed
            log.warning("referral.created %s names a participant already known: contact kept", data.referral_id)
            continue
        planned.append(provider_heads_up(known, kept, letters.inboxes, meta.occurred_at))
    await letters.plan(tx, meta, planned, data.fca_id, data.referral_id)


@handlers.on
async def change_contact(
    data: ReferralContactChanged, meta: Meta, tx: Tx, settings: Settings, letters: Letters
) -> None:
    """The FCA changed how to reach a parent: the held contact changes, the old address is told
    (without the new one) and a new address is told it is now the one we use."""
    old = await store.contact(tx, data.participant_id)
    if old is None:
        raise NotYetKnown(f"participant {data.participant_id} not known yet")
    if old.referral_id != data.referral_id:  # how to reach a parent is their own referral's
        log.warning("referral.contact_changed %s names a parent of another referral: ignored", data.referral_id)
        return
    new = data.contact(settings.contact_seal_key, settings.contact_seal_previous_keys)
    changes = {k: v for k, v in (("email", new.email), ("phone", new.phone)) if v is not None}
    changed = await store.change_contact(tx, data.participant_id, changes)
    planned = contact_change_letters(old, changed, data.email_changed, data.phone_changed)
    found = await store.known(tx, data.referral_id, data.participant_id)
    await letters.plan(tx, meta, planned, found[0].fca_id if found else None, data.referral_id)


@handlers.on
async def stop_parent_messages(data: ReferralWithdrawn, meta: Meta, tx: Tx) -> None:
    """A withdrawn parent gets no more reminders; queued ones are skipped."""
    await store.withdraw_contacts(tx, data.referral_id, data.participant_ids)


@handlers.on
async def resume_parent_messages(data: ReferralReordered, meta: Meta, tx: Tx, letters: Letters) -> None:
    """A re-ordered course starts a new cycle: the parent is contacted again, maybe by another provider."""
    found = await store.resume_contact(
        tx, data.referral_id, data.participant_id, data.preferred_language, data.provider
    )
    if found is None:
        raise NotYetKnown(f"referral {data.referral_id} / participant {data.participant_id} not known yet")
    referral, contact = found
    # The provider calls the parent again for the new cycle: a fresh heads-up with the details.
    heads_up = provider_heads_up(referral, contact, letters.inboxes, meta.occurred_at)
    await letters.plan(tx, meta, [heads_up], referral.fca_id, data.referral_id)


@handlers.on(prefetch=store.load_contacts)
async def notify_participant(data: ParticipantEvent, meta: Meta, tx: Tx, settings: Settings, letters: Letters) -> None:
    """Plans the letters a parent's progress asks for (`letters.LETTERS`): to the parent, court, FCA
    or provider; keeps where their workshop is for the reminders, and the certificate's facts."""
    found = await store.known(tx, data.referral_id, data.participant_id)
    if found is None:
        raise NotYetKnown(f"referral {data.referral_id} / participant {data.participant_id} not known yet")
    referral, contact = found
    booking = None
    if isinstance(data, WorkshopBooked):  # the video link travels sealed for notifications alone
        booking = domain.Booking(mode=data.mode, video_link=opened(data.sealed_video_link, settings), venue=data.venue)
        await store.keep_booking(tx, data.booking_id, asdict(booking))
    if isinstance(data, WorkshopReminderDue):
        booking = await store.booking(tx, data.booking_id)
    if isinstance(data, CourseCompleted):  # the parent downloads it from the hub too (`/me/certificate.pdf`)
        facts = data.model_dump(include={"referral_id", "cycle", "elearning_completed_at", "workshop_attended_at"})
        await store.keep_certificate(tx, data.participant_id, facts)
    # A single-use link is rendered with a stand-in and put in at send (links.py).
    sealed = getattr(data, "sealed_activation_url", None) or getattr(data, "sealed_sign_in_url", None)
    link = stand_in(opened(sealed, settings) or "") if sealed else None
    about = {"referral": referral, "contact": contact, "inboxes": letters.inboxes, "booking": booking, "link": link}
    planned = plan_messages(data, meta.occurred_at, **about)
    await letters.plan(tx, meta, planned, referral.fca_id, referral.referral_id, sealed_link=sealed)


@handlers.on
async def invite_to_plan(data: PlanShared, meta: Meta, tx: Tx, settings: Settings, letters: Letters) -> None:
    """Sends the plan invitation: to a programme co-parent's address kept here, or to the sealed
    address the sharing party typed in. Neither party ever sees the other's address."""
    invitee: dict[str, Any] = {"plan_id": data.plan_id, "language": data.preferred_language}
    if data.invitee_participant_id:
        contact = await store.contact(tx, data.invitee_participant_id)
        if contact is None:
            raise NotYetKnown(f"participant {data.invitee_participant_id} not known yet")
        to = contact.email
        invitee |= {"participant_id": data.invitee_participant_id, "language": contact.language}
    elif data.sealed_invitee_email:
        to = invitee["email"] = opened(data.sealed_invitee_email, settings)
    else:
        raise ValueError("plan.shared names no invitee")
    await store.keep_invitee(tx, data.invitation_id, invitee)
    # The join link is single-use too: rendered with a stand-in, put in at send (links.py).
    invite_url = stand_in(opened(data.sealed_invite_url, settings) or "")
    planned = plan_invitation(data.invitation_id, to, invitee["language"], invite_url)
    await letters.plan(tx, meta, [planned], None, None, sealed_link=data.sealed_invite_url)


@handlers.on
async def tell_of_plan_reply(data: PlanReplyWaiting, meta: Meta, tx: Tx, letters: Letters) -> None:
    """Tells a parent that their co-parent replied in a plan, or that it is agreed, with no words of
    the plan: plans sends at most one a day per plan and parent, and none once they turned it off.
    The address is the one kept here: the programme parent's, or the one their invitation went to."""
    participant_id, to = data.recipient_participant_id, ""
    if data.recipient_invitation_id:
        invitee = await store.invitee(tx, data.recipient_invitation_id)
        if invitee is None:
            raise NotYetKnown(f"invitation {data.recipient_invitation_id} not known yet")
        participant_id, to = invitee.get("participant_id"), invitee.get("email") or ""
    contact = await store.contact(tx, participant_id) if participant_id else None
    if participant_id and contact is None:
        raise NotYetKnown(f"participant {participant_id} not known yet")
    if not (contact or to):
        raise ValueError("plan.reply_waiting names nobody notifications can write to")
    invitation = data.recipient_invitation_id or ""
    planned = plan_reply(data.reason, data.preferred_language, contact, invitation, to)
    await letters.plan(tx, meta, [planned], None, None)
