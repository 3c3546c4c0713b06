"""A webhook's body is the event as it travels on the stream: the same envelope, and the time in
the same form (`...Z`), so a partner reading both parses one format."""

from datetime import UTC, datetime

import pytest

from notifications.domain import partner_view
from ptfc.events import Envelope, WorkshopCancelled

AT = datetime(2026, 3, 2, 10, 0, 0, 123000, tzinfo=UTC)


@pytest.mark.parametrize("occurred_at", [AT, AT.isoformat(), "2026-03-02T10:00:00.123Z"])
def test_a_webhook_gives_the_time_as_the_stream_does(occurred_at):
    event = WorkshopCancelled(
        referral_id="r-1", booking_id="b-1", session_id="s-1", participant_id="p-1", reason="parent_cancelled"
    )
    on_stream = Envelope.of(event, correlation_id="r-1", producer="workshops", at=AT).model_dump(mode="json")
    view = partner_view({**on_stream, "occurred_at": occurred_at})
    assert view["occurred_at"] == on_stream["occurred_at"] == "2026-03-02T10:00:00.123000Z"
