"""What a delivery row holds, what each attempt to send leaves behind, and when a message may
be sent again: the sender's and the log's rules, with no servers."""

from datetime import timedelta

import pytest

from notifications import domain, letters

from .samples import INBOXES, NOW, REFERRAL, A

SOURCE = domain.Source("e1", "referral.created", REFERRAL.referral_id, REFERRAL.fca_id, REFERRAL.referral_id)
RENDERED = {"subject": "s", "text": "t", "html": "h", "attachments": []}
BACKOFF = timedelta(seconds=10)


def row() -> dict:
    heads_up = letters.provider_heads_up(REFERRAL, A, INBOXES, NOW)
    return domain.delivery(heads_up, SOURCE, "row-1", RENDERED, NOW)


def test_a_planned_message_is_one_row_per_source_template_and_recipient_readable_by_its_fca():
    r = row()
    assert r["key"] == f"e1:{r['template']}:provider:{A.participant_id}"
    assert r["status"] == "pending" and r["attempts"] == 0 and r["due_at"] == NOW
    assert r["fca_id"] == REFERRAL.fca_id and r["participant_id"] == A.participant_id


def test_a_transient_failure_is_retried_with_growing_delays_then_fails_for_good():
    first = domain.after_attempt(1, 3, BACKOFF, NOW, "busy", transient=True)
    second = domain.after_attempt(2, 3, BACKOFF, NOW, "busy", transient=True)
    assert not first.final and first.changes["due_at"] == NOW + BACKOFF
    assert second.changes["due_at"] == NOW + 2 * BACKOFF
    last = domain.after_attempt(3, 3, BACKOFF, NOW, "busy", transient=True)
    assert last.final and last.failed == "attempts exhausted: busy"


def test_a_permanent_failure_fails_at_once_and_a_success_is_sent():
    refused = domain.after_attempt(1, 3, BACKOFF, NOW, "no such mailbox")
    assert refused.final and refused.failed == "no such mailbox" and refused.changes["status"] == "failed"
    sent = domain.after_attempt(1, 3, BACKOFF, NOW)
    assert sent.final and sent.failed is None and sent.changes == {"status": "sent", "sent_at": NOW, "last_error": None}


def test_only_a_sent_or_failed_message_is_resent_as_a_new_notification():
    original = row()
    with pytest.raises(domain.Refused) as caught:
        domain.resend(original, "row-2", "fca-fiona", NOW)
    assert caught.value.reason == "not-finished"
    original |= {"status": "sent", "attempts": 1, "sent_at": NOW, "lease": "x"}
    copy = domain.resend(original, "row-2", "fca-fiona", NOW + timedelta(hours=1))
    assert copy["resend_of"] == "row-1" and copy["notification_id"] == "row-2" and "lease" not in copy
    assert copy["status"] == "pending" and copy["attempts"] == 0 and copy["text"] == original["text"]
    assert copy["key"] != original["key"]


def test_when_more_is_due_than_goes_at_once_an_alert_then_a_parents_letters_go_first():
    assert domain.rank("safeguarding_alert", "provider") < domain.rank("welcome", "parent")
    assert domain.rank("welcome", "parent") < domain.rank("provider_heads_up", "provider")
    assert domain.rank("plan_invitation", "invitee") == domain.rank("welcome", "parent")
    assert row()["rank"] == domain.rank("provider_heads_up", "provider")
