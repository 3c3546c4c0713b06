"""Events in tests: one factory per event type, and one way to publish to JetStream.

`event(kind, ...)` fills what each event type requires with plausible values (its producer would);
`referral_created` and `participant` build the one event that carries contact details (sealed,
with the public development keys, as referrals seals them). `publish`
sends an event (or an envelope again, to redeliver it) as its owning service would, with
`Nats-Msg-Id` = event id unless a test passes another to get past JetStream's dedupe."""

from datetime import datetime
from typing import Any

import nats

from ptfc.events import (
    EVENTS,
    Envelope,
    EventData,
    ParticipantContact,
    Professional,
    ReferralCreated,
    ReferralKeys,
    ReferredParticipant,
    owner_of,
    seal_participants,
)

# Each event type's required fields besides the ids, as its producer fills them.
DEFAULTS: dict[str, dict[str, Any]] = {
    "referral.withdrawn": {"participant_ids": [], "reason": "case closed"},
    "referral.reordered": {"cycle": 2, "provider": "action-for-children"},
    "referral.contact_changed": {
        "reason": "parent_asked",
        "email_changed": True,
        "phone_changed": False,
        "sealed_contact": "sealed",
    },
    "referral.activation_overdue": {"provider": "action-for-children", "days_since_referral": 14},
    "course.completed": {
        "cycle": 1,
        "case_number": "MA24P00123",
        "elearning_completed_at": "2026-01-10T10:00:00Z",
        "workshop_attended_at": "2026-01-20T12:30:00Z",
    },
    "course.incomplete": {"cycle": 1, "case_number": "MA24P00123", "reason": "withdrawn"},
    "account.activation_issued": {
        "sealed_activation_url": "sealed",
        "expires_at": "2026-01-08T09:00:00Z",
        "deadline": "2026-01-15T09:00:00Z",
    },
    "account.sign_in_link_issued": {"sealed_sign_in_url": "sealed", "expires_at": "2026-01-08T09:30:00Z"},
    "account.sign_in_refused": {"reason": "withdrawn", "closed_at": "2026-01-07T11:00:00Z"},
    "account.activation_expired": {"expired_at": "2026-01-08T09:00:00Z"},
    "module.completed": {"module": 1, "modules_completed": 1},
    "learning.completed": {"completed_at": "2026-01-10T10:00:00Z"},
    "learning.deadline_approaching": {"deadline": "2026-01-15T09:00:00Z", "days_left": 3, "modules_completed": 2},
    "learning.deadline_missed": {"deadline": "2026-01-15T09:00:00Z", "modules_completed": 0},
    "learning.extended": {"deadline": "2026-01-20T09:00:00Z", "days": 5, "reason": "illness"},
    "workshop.booked": {"parts": [], "mode": "online"},
    "workshop.cancelled": {"reason": "referral_withdrawn"},
    "workshop.attended": {"attended_at": "2026-01-20T12:30:00Z"},
    "workshop.missed": {"misses": 1, "rebooking_offered": True},
    "workshop.reminder_due": {"starts_at": "2026-01-20T10:00:00Z"},
    "followup.scheduled": {"followup_id": "f1", "due_by": "2026-03-01T09:00:00Z"},
    "followup.completed": {"followup_id": "f1"},
    "safeguarding.concern_raised": {"concern_id": "c1", "raised_at": "2026-01-20T11:00:00Z"},
    "notification.sent": {
        "notification_id": "n1",
        "template": "court_outcome",
        "recipient_role": "court",
        "source_event_id": "e1",
    },
    "notification.failed": {
        "notification_id": "n1",
        "template": "court_outcome",
        "recipient_role": "court",
        "source_event_id": "e1",
        "reason": "mailbox unavailable",
    },
    # Plans are about a plan, not a referral: `referral_id` and `participant_id` are ignored.
    "plan.created": {"plan_id": "plan-1", "owner_id": "owner-1"},
    "plan.shared": {
        "plan_id": "plan-1",
        "invitation_id": "i1",
        "invitee_participant_id": "p-2",
        "sealed_invite_url": "sealed",
        "expires_at": "2026-01-08T09:00:00Z",
    },
    "plan.proposal_made": {"plan_id": "plan-1", "proposal_id": "pr1", "topic": "holidays"},
    "plan.item_agreed": {"plan_id": "plan-1", "topic": "holidays"},
    "plan.agreed": {"plan_id": "plan-1"},
    "plan.reply_waiting": {"plan_id": "plan-1", "reason": "proposal", "recipient_participant_id": "p-2"},
}
# The id of the record an event is about, by the producer's prefix.
RECORD_IDS = {"account": "enrolment_id", "module": "enrolment_id", "learning": "enrolment_id", "workshop": "booking_id"}


def event(kind: str, referral_id: str = "r-1", participant_id: str = "p-1", **fields: Any) -> EventData:
    """An event of type `kind` about one parent, with `fields` over the defaults (for
    `referral.created`, the one with contact details, see `referral_created`)."""
    if kind == "referral.created":
        return referral_created(referral_id, participant(participant_id), **fields)
    prefix = kind.split(".")[0]
    values = {"referral_id": referral_id, "participant_id": participant_id, **DEFAULTS.get(kind, {}), **fields}
    if prefix in RECORD_IDS:
        values.setdefault(RECORD_IDS[prefix], "x1")
    if prefix == "workshop":
        values.setdefault("session_id", "s1")
    return EVENTS[kind].model_validate(values)


def participant(
    pid: str, given: str = "Alex", family: str = "Jones", language: str = "en", phone: str = "07700900123", **more: Any
) -> ParticipantContact:
    email = more.pop("email", f"{given.lower()}.{family.lower()}.{pid}@parents.example")
    return ParticipantContact(
        participant_id=pid,
        given_name=given,
        family_name=family,
        email=email,
        phone=phone,
        preferred_language=language,
        **more,
    )


def referral_created(
    referral_id: str, *parents: ParticipantContact | ReferredParticipant, **changes: Any
) -> ReferralCreated:
    """`referral.created` (v2) for a Manchester court order, with `changes` over the defaults; each
    parent's contact details sealed as referrals seals them (`ReferralKeys.development()`)."""
    keys = ReferralKeys.development()
    sealed = [seal_participants([p], keys)[0] if isinstance(p, ParticipantContact) else p for p in parents]
    values: dict[str, Any] = {
        "referral_id": referral_id,
        "case_number": "MA24P00123",
        "court": "Manchester Family Court",
        "source": "court_order",
        "stage": "first_hearing",
        "region": "greater-manchester",
        "provider": "action-for-children",
        "fca_id": "fca-1",
        "fca": Professional(name="Fiona Adviser", email="fiona@cafcass.example"),
        "participants": sealed or seal_participants([participant("p-1")], keys),
    }
    return ReferralCreated(**(values | changes))


def correlation_of(event: EventData) -> str:
    """The correlation id its owner gives an event: the referral or plan it is about."""
    return getattr(event, "referral_id", None) or event.plan_id  # type: ignore[attr-defined]


async def publish(
    nats_url: str,
    event: EventData | Envelope,
    *,
    correlation_id: str | None = None,
    producer: str | None = None,
    at: datetime | None = None,
    msg_id: str | None = None,
) -> Envelope:
    """Publish an event as its owner would (its correlation id is the referral or plan it is
    about), or an envelope again to redeliver the same event; returns the envelope."""
    if isinstance(event, EventData):
        correlation = correlation_id or correlation_of(event)
        owner = producer or owner_of(event.TYPE)  # a consumer parks an event from anyone else
        event = Envelope.of(event, correlation_id=correlation, producer=owner, at=at)
    await publish_bytes(nats_url, event.type, event.model_dump_json().encode(), msg_id or str(event.event_id))
    return event


async def publish_bytes(nats_url: str, subject: str, body: bytes, msg_id: str | None = None) -> bool:
    """Publish any bytes (a malformed message too) to JetStream; True if it was a duplicate."""
    nc = await nats.connect(nats_url)
    try:
        headers = {"Nats-Msg-Id": msg_id} if msg_id else None
        ack = await nc.jetstream().publish(subject, body, headers=headers)
        return bool(ack.duplicate)
    finally:
        await nc.close()


async def all_handled(nats_url: str, service: str, streams: list[str]) -> bool:
    """Every consumer of `service` on these streams exists and has handled and acknowledged all."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        mine = [i for s in streams for i in await js.consumers_info(s) if i.name.startswith(f"{service}-")]
        return bool(mine) and all(i.num_pending == 0 and i.num_ack_pending == 0 for i in mine)
    finally:
        await nc.close()
