"""Event subscribers: keep what it takes to reach people, and plan each message as a pending
delivery in the same transaction as the inbox mark. Nothing is sent here: the sender sweep
does the SMTP I/O outside any transaction, so a redelivered event plans nothing twice."""

import logging
from typing import Any

from bson import ObjectId
from pymongo import ReturnDocument

from notifications.attachments import Attachment, calendar, certificate
from notifications.config import Settings
from notifications.domain import (
    URGENT,
    Inboxes,
    Planned,
    plan_invitation,
    plan_messages,
    provider_heads_up,
)
from notifications.links import stand_in
from notifications.store import (
    BOOKINGS,
    CONTACTS,
    DELIVERIES,
    INVITEES,
    REFERRALS,
    attachments_doc,
    booking_of,
    contact_of,
    referral_of,
)
from notifications.templates import Renderer
from ptfc.consumer import Handlers, Meta
from ptfc.events import (
    ActivationExpired,
    ActivationIssued,
    ActivationOverdue,
    CourseCompleted,
    CourseIncomplete,
    DeadlineApproaching,
    FollowupScheduled,
    LearningCompleted,
    LearningExtended,
    PlanShared,
    ReferralCreated,
    ReferralReordered,
    ReferralWithdrawn,
    SafeguardingConcernRaised,
    SignInLinkIssued,
    WorkshopBooked,
    WorkshopCancelled,
    WorkshopMissed,
    WorkshopReminderDue,
)
from ptfc.sealing import unseal
from ptfc.store import Tx

log = logging.getLogger("notifications.handlers")

# The events that may ask for a message about one parent (`plan_messages` says which and to whom).
ParticipantEvent = (
    ActivationIssued
    | SignInLinkIssued
    | ActivationExpired
    | DeadlineApproaching
    | LearningExtended
    | LearningCompleted
    | WorkshopBooked
    | WorkshopReminderDue
    | WorkshopCancelled
    | WorkshopMissed
    | CourseCompleted
    | CourseIncomplete
    | FollowupScheduled
    | SafeguardingConcernRaised
    | ActivationOverdue
)


class NotYetKnown(LookupError):
    """An event about a parent whose `referral.created` has not arrived yet: retried later."""


class Planner:
    """Turns planned messages into delivery rows: rendered once, so a resend is the same message."""

    def __init__(self, settings: Settings) -> None:
        self.renderer = Renderer(settings.local_timezone)
        self.inboxes = Inboxes(settings.provider_inboxes, settings.courts_inbox)
        self.common = {
            "support_email": settings.support_email,
            "support_phone": settings.support_phone,
            "hub_url": settings.hub_url,
        }

    def attachments(self, planned: Planned, tx: Tx) -> list[Attachment]:
        files = []
        for kind in planned.attachments:
            if kind == "ics":
                files.append(calendar(planned.context, tx.clock.now()))
            elif kind == "certificate":
                files.append(certificate(planned.context, lambda v: self.renderer.day(v, "en")))
        return files

    async def record(
        self,
        tx: Tx,
        event: Meta,
        planned: list[Planned],
        fca_id: str | None,
        referral_id: str | None,
        sealed_link: str | None = None,  # the link, as sealed on the bus: put in at send (links.py)
    ) -> None:
        now = tx.clock.now()
        for p in planned:
            message = self.renderer.render(p.template, p.language, {**self.common, **p.context})
            oid = ObjectId()
            doc: dict[str, Any] = {
                "_id": oid,
                "notification_id": str(oid),
                "correlation_id": event.correlation_id,
                "referral_id": referral_id,
                "participant_id": p.subject_id if p.role != "invitee" else None,
                "fca_id": fca_id,  # which FCA may read this log
                "source_event_id": str(event.event_id),
                "source_type": event.type,
                "template": p.template,
                "recipient_role": p.role,
                "to": p.to,
                "language": p.language,
                "subject": message.subject,
                "text": message.text,
                "html": message.html,
                "attachments": attachments_doc(self.attachments(p, tx)),
                "urgent": p.template in URGENT,
                "status": "skipped" if p.skip_reason else "pending",
                "skip_reason": p.skip_reason,
                "attempts": 0,
                "due_at": now,
                "created_at": now,
                "sent_at": None,
                "failed_at": None,
                "last_error": None,
                "resend_of": None,
                "sealed_link": sealed_link,
            }
            # Upsert on the unique key: planning the same message again is a no-op, never an abort.
            await tx.db[DELIVERIES].update_one(
                {"key": p.key(str(event.event_id))}, {"$setOnInsert": doc}, upsert=True, session=tx.session
            )


def make_handlers(settings: Settings) -> Handlers:
    handlers = Handlers()
    planner = Planner(settings)

    @handlers.on
    async def remember_referral(data: ReferralCreated, event: Meta, tx: Tx) -> None:
        """Keeps the contact details of each parent and the referral's professionals; heads-up to the provider."""
        referral = {
            "case_number": data.case_number,
            "court": data.court,
            "court_email": data.court_email,
            "fca_id": data.fca_id,
            "fca_name": data.fca.name,
            "fca_email": data.fca.email,
            "provider": data.provider,
        }
        await tx.db[REFERRALS].update_one(
            {"_id": data.referral_id}, {"$set": referral}, upsert=True, session=tx.session
        )
        known_here = []
        for person in data.contacts(settings.contact_seal_key, settings.contact_seal_previous_keys):
            # Only the referral that created a parent may change how to reach them: a later
            # referral.created naming the same participant must not redirect their mail.
            owner = await tx.db[CONTACTS].find_one(
                {"_id": person.participant_id}, {"referral_id": 1}, session=tx.session
            )
            if owner is not None and owner.get("referral_id") not in (None, data.referral_id):
                log.warning("referral %s names a participant of another referral: contact kept", data.referral_id)
                continue
            known_here.append(person)
            # Only what reaching the parent needs; gender, availability and children stay out.
            contact = {
                "referral_id": data.referral_id,
                "given_name": person.given_name,
                "family_name": person.family_name,
                "email": person.email,
                "phone": person.phone,
                "language": person.preferred_language,
                "interpreter": person.adjustments.interpreter,
                "in_person": person.adjustments.in_person,
            }
            await tx.db[CONTACTS].update_one(
                {"_id": person.participant_id},
                {"$set": contact, "$setOnInsert": {"withdrawn": False}},
                upsert=True,
                session=tx.session,
            )
        known = referral_of({"_id": data.referral_id, **referral})
        planned = []
        for person in known_here:
            contact = contact_of(await tx.db[CONTACTS].find_one({"_id": person.participant_id}, session=tx.session))
            planned.append(provider_heads_up(known, contact, planner.inboxes, event.occurred_at))
        await planner.record(tx, event, planned, data.fca_id, data.referral_id)

    @handlers.on
    async def stop_parent_messages(data: ReferralWithdrawn, event: Meta, tx: Tx) -> None:
        """A withdrawn parent gets no more reminders; queued ones are skipped."""
        ids = data.participant_ids
        for pid in ids:
            # Upsert: a withdrawal handled before its referral.created must still hold when that arrives.
            await tx.db[CONTACTS].update_one(
                {"_id": pid},
                {"$set": {"withdrawn": True}, "$setOnInsert": {"referral_id": data.referral_id}},
                upsert=True,
                session=tx.session,
            )
        await tx.db[DELIVERIES].update_many(
            {"participant_id": {"$in": ids}, "recipient_role": "parent", "status": "pending", "attempts": 0},
            {"$set": {"status": "skipped", "skip_reason": "referral_withdrawn"}},
            session=tx.session,
        )

    @handlers.on
    async def resume_parent_messages(data: ReferralReordered, event: Meta, tx: Tx) -> None:
        """A re-ordered course starts a new cycle: the parent is contacted again, maybe by another provider."""
        after = ReturnDocument.AFTER
        contact_doc = await tx.db[CONTACTS].find_one_and_update(
            {"_id": data.participant_id},
            {"$set": {"withdrawn": False, "language": data.preferred_language}},
            return_document=after,
            session=tx.session,
        )
        referral_doc = await tx.db[REFERRALS].find_one_and_update(
            {"_id": data.referral_id}, {"$set": {"provider": data.provider}}, return_document=after, session=tx.session
        )
        # The provider calls the parent again for the new cycle: a fresh heads-up with the details.
        if contact_doc is None or "email" not in contact_doc or referral_doc is None:
            raise NotYetKnown(f"referral {data.referral_id} / participant {data.participant_id} not known yet")
        heads_up = provider_heads_up(
            referral_of(referral_doc), contact_of(contact_doc), planner.inboxes, event.occurred_at
        )
        await planner.record(tx, event, [heads_up], referral_doc["fca_id"], data.referral_id)

    @handlers.on
    async def notify_participant(data: ParticipantEvent, event: Meta, tx: Tx) -> None:
        """Plans the messages a parent's progress asks for: to the parent, court, FCA or provider."""
        contact_doc = await tx.db[CONTACTS].find_one({"_id": data.participant_id}, session=tx.session)
        referral_doc = await tx.db[REFERRALS].find_one({"_id": data.referral_id}, session=tx.session)
        if contact_doc is None or "email" not in contact_doc or referral_doc is None:
            raise NotYetKnown(f"referral {data.referral_id} / participant {data.participant_id} not known yet")
        booking = None
        if isinstance(data, WorkshopBooked):
            where = {"mode": data.mode, "video_link": data.video_link, "venue": data.venue}
            await tx.db[BOOKINGS].update_one({"_id": data.booking_id}, {"$set": where}, upsert=True, session=tx.session)
        if isinstance(data, WorkshopReminderDue):
            booking = booking_of(await tx.db[BOOKINGS].find_one({"_id": data.booking_id}, session=tx.session))
        referral = referral_of(referral_doc)
        sealed = getattr(data, "sealed_activation_url", None) or getattr(data, "sealed_sign_in_url", None)
        planned = plan_messages(
            data,
            event.occurred_at,
            referral=referral,
            contact=contact_of(contact_doc),
            inboxes=planner.inboxes,
            booking=booking,
            link=stand_in(unseal(settings.link_seal_key, sealed, settings.link_seal_previous_keys)) if sealed else None,
        )
        await planner.record(tx, event, planned, referral.fca_id, referral.referral_id, sealed_link=sealed)

    @handlers.on
    async def invite_to_plan(data: PlanShared, event: Meta, tx: Tx) -> None:
        """Sends the plan invitation to the address the sharing parent typed in."""
        invitee = {"plan_id": data.plan_id, "email": data.invitee_email, "language": data.preferred_language}
        await tx.db[INVITEES].update_one(
            {"_id": data.invitation_id}, {"$set": invitee}, upsert=True, session=tx.session
        )
        await planner.record(tx, event, [plan_invitation(data)], None, None)

    return handlers
