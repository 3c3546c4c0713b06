"""The letters a parent's progress and their plans ask for: what each such event keeps (where a
workshop is, a certificate's dates, whom a plan invitation went to) and the letters it plans.
Which letters is letters.py (`LETTERS`); `post` (outgoing.Letters) makes them deliveries."""

from dataclasses import asdict
from typing import Any

from notifications import letters
from notifications.config import Settings
from notifications.domain.base import Post, UnitOfWork
from notifications.domain.records import Booking
from notifications.links import opened, stand_in
from ptfc.events import (
    CourseCompleted,
    EventData,
    NotYetKnown,
    PlanReplyWaiting,
    PlanShared,
    WorkshopBooked,
    WorkshopReminderDue,
)
from ptfc.handlers import Meta


async def booking_of(uow: UnitOfWork, data: EventData, settings: Settings) -> Booking | None:
    """Where the parent's workshop is: kept from `workshop.booked` (whose video link travels sealed
    for notifications alone), read back for its reminder."""
    if isinstance(data, WorkshopBooked):
        booking = Booking(mode=data.mode, video_link=opened(data.sealed_video_link, settings), venue=data.venue)
        await uow.keep_booking(data.booking_id, asdict(booking))
        return booking
    if isinstance(data, WorkshopReminderDue):
        return await uow.booking(data.booking_id)
    return None


async def tell_of_progress(
    uow: UnitOfWork,
    data: letters.ParticipantEvent,  # type: ignore[valid-type]
    meta: Meta,
    settings: Settings,
    post: Post,
) -> None:
    """Plans the letters a parent's progress asks for (`letters.LETTERS`): to the parent, court, FCA
    or provider; keeps where their workshop is for the reminders, and the certificate's facts."""
    found = await uow.known(data.referral_id, data.participant_id)
    if found is None:
        raise NotYetKnown(f"referral {data.referral_id} / participant {data.participant_id} not known yet")
    referral, contact = found
    booking = await booking_of(uow, data, settings)
    if isinstance(data, CourseCompleted):  # the parent downloads it from the hub too (`/me/certificate.pdf`)
        facts = data.model_dump(include={"referral_id", "cycle", "elearning_completed_at", "workshop_attended_at"})
        await uow.keep_certificate(data.participant_id, facts)
    # A single-use link is rendered with a stand-in and put in at send (links.py).
    sealed = getattr(data, "sealed_activation_url", None) or getattr(data, "sealed_sign_in_url", None)
    link = stand_in(opened(sealed, settings) or "") if sealed else None
    about = {"referral": referral, "contact": contact, "inboxes": post.inboxes, "booking": booking, "link": link}
    planned = letters.plan_messages(data, meta.occurred_at, **about)
    await post.plan(uow, meta, planned, referral.fca_id, referral.referral_id, sealed_link=sealed)


async def invite(uow: UnitOfWork, data: PlanShared, meta: Meta, settings: Settings, post: Post) -> None:
    """Sends the plan invitation: to a programme co-parent's address kept here, or to the sealed
    address the sharing party typed in. Neither party ever sees the other's address."""
    invitee: dict[str, Any] = {"plan_id": data.plan_id, "language": data.preferred_language}
    if data.invitee_participant_id:
        contact = await uow.contact(data.invitee_participant_id)
        if contact is None:
            raise NotYetKnown(f"participant {data.invitee_participant_id} not known yet")
        to = contact.email
        invitee |= {"participant_id": data.invitee_participant_id, "language": contact.language}
    elif data.sealed_invitee_email:
        to = invitee["email"] = opened(data.sealed_invitee_email, settings)
    else:
        raise ValueError("plan.shared names no invitee")
    await uow.keep_invitee(data.invitation_id, invitee)
    # The join link is single-use too: rendered with a stand-in, put in at send (links.py).
    invite_url = stand_in(opened(data.sealed_invite_url, settings) or "")
    planned = letters.plan_invitation(data.invitation_id, to, invitee["language"], invite_url)
    await post.plan(uow, meta, [planned], None, None, sealed_link=data.sealed_invite_url)


async def tell_of_plan_reply(uow: UnitOfWork, data: PlanReplyWaiting, meta: Meta, post: Post) -> None:
    """Tells a parent that their co-parent replied in a plan, or that it is agreed, with no words of
    the plan: plans sends at most one a day per plan and parent, and none once they turned it off.
    The address is the one kept here: the programme parent's, or the one their invitation went to."""
    participant_id, to = data.recipient_participant_id, ""
    if data.recipient_invitation_id:
        invitee = await uow.invitee(data.recipient_invitation_id)
        if invitee is None:
            raise NotYetKnown(f"invitation {data.recipient_invitation_id} not known yet")
        participant_id, to = invitee.get("participant_id"), invitee.get("email") or ""
    contact = await uow.contact(participant_id) if participant_id else None
    if participant_id and contact is None:
        raise NotYetKnown(f"participant {participant_id} not known yet")
    if not (contact or to):
        raise ValueError("plan.reply_waiting names nobody notifications can write to")
    invitation = data.recipient_invitation_id or ""
    planned = letters.plan_reply(data.reason, data.preferred_language, contact, invitation, to)
    await post.plan(uow, meta, [planned], None, None)
