from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from ptfc.events import EVENTS, STREAMS, Envelope, ModuleCompleted, stream_for


def test_envelope_round_trips_through_json():
    sent = Envelope.of(
        ModuleCompleted(referral_id="r1", participant_id="p1", enrolment_id="e1", module=3, modules_completed=3),
        correlation_id="r1",
        producer="learning",
        at=datetime(2026, 3, 1, 9, tzinfo=UTC),
    )
    received = Envelope.model_validate_json(sent.model_dump_json())
    assert received == sent
    assert received.payload() == ModuleCompleted(
        referral_id="r1", participant_id="p1", enrolment_id="e1", module=3, modules_completed=3
    )


def test_consumers_ignore_fields_they_do_not_know():
    raw = {
        "event_id": "0b6f3c1e-3e0b-4c35-8d7c-5f8e7c1f2a10",
        "type": "plan.agreed",
        "version": 1,
        "occurred_at": "2026-03-01T09:00:00Z",
        "correlation_id": "p1",
        "producer": "plans",
        "data": {"plan_id": "p1", "added_later": {"x": 1}},
        "trace": "new-envelope-field",
    }
    envelope = Envelope.model_validate(raw)
    assert envelope.payload().model_dump() == {"plan_id": "p1"}


def test_a_payload_missing_a_field_breaks_its_contract():
    envelope = Envelope(
        type="module.completed",
        occurred_at=datetime.now(UTC),
        correlation_id="r",
        producer="x",
        data={"referral_id": "r"},
    )
    with pytest.raises(ValidationError):
        envelope.payload()


def test_every_event_of_the_catalogue_has_a_model_and_a_stream():
    catalogue = {
        "referral.created",
        "referral.withdrawn",
        "referral.reordered",
        "course.completed",
        "course.incomplete",
        "account.activation_issued",
        "account.activated",
        "account.activation_expired",
        "module.completed",
        "learning.completed",
        "learning.deadline_approaching",
        "learning.deadline_missed",
        "learning.extended",
        "workshop.booked",
        "workshop.cancelled",
        "workshop.reminder_due",
        "workshop.attended",
        "workshop.missed",
        "followup.scheduled",
        "followup.completed",
        "safeguarding.concern_raised",
        "plan.created",
        "plan.shared",
        "plan.proposal_made",
        "plan.item_agreed",
        "plan.agreed",
        "notification.sent",
        "notification.failed",
    }
    assert catalogue <= set(EVENTS)
    owners = {name for name, _ in STREAMS.values()}
    assert {stream_for(t) for t in EVENTS} == owners
