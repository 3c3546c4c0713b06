"""Which event asks for which messages, to whom, in which language."""

from dataclasses import replace
from datetime import timedelta
from typing import get_args

from notifications.domain import retry_delay
from notifications.letters import LETTERS, ParticipantEvent, plan_invitation, plan_messages, provider_heads_up
from ptfc.events import WorkshopCancelled

from .samples import BOOKING, EVENTS, INBOXES, NOW, REFERRAL, A


def planned(event, contact=A):
    return [
        (p.template, p.role, p.to)
        for p in plan_messages(event, NOW, referral=REFERRAL, contact=contact, inboxes=INBOXES, booking=BOOKING)
    ]


def test_each_event_goes_to_the_right_people():
    by_type = {}
    for event in EVENTS:
        by_type.setdefault(event.TYPE, set()).update(planned(event))
    parent = lambda t: {(t, "parent", A.email)}  # noqa: E731
    assert by_type["account.activation_issued"] == parent("welcome")
    assert by_type["account.sign_in_link_issued"] == parent("sign_in_link")
    assert by_type["workshop.booked"] == parent("workshop_booked")
    assert by_type["course.completed"] == {
        ("course_completed", "parent", A.email),
        ("completion_report", "court", "courts@justice.example"),  # no court email: the default inbox
        ("completion_report", "fca", "fiona@cafcass.example"),
    }
    assert by_type["course.incomplete"] == {
        ("incomplete_report", "court", "courts@justice.example"),
        ("incomplete_report", "fca", "fiona@cafcass.example"),
    }
    assert by_type["safeguarding.concern_raised"] == {("safeguarding_alert", "fca", "fiona@cafcass.example")}
    assert by_type["referral.activation_overdue"] == {
        ("activation_chaser", "fca", "fiona@cafcass.example"),
        ("activation_chaser", "provider", "fa@fa.example"),
    }


def test_every_event_of_the_letters_table_is_planned_here_and_the_handler_takes_exactly_those():
    assert set(LETTERS) == {type(e) for e in EVENTS}  # a new row of the table is a new sample here
    assert set(get_args(ParticipantEvent)) == set(LETTERS)


def test_court_reports_go_to_the_court_named_on_the_referral():
    named = replace(REFERRAL, court_email="clerk@court.example")
    [_, court, _] = plan_messages(EVENTS[10], NOW, referral=named, contact=A, inboxes=INBOXES)
    assert court.to == "clerk@court.example"


def test_a_parent_hears_in_their_language_and_professionals_in_english():
    polish = replace(A, language="pl")
    for event in EVENTS:
        for p in plan_messages(event, NOW, referral=REFERRAL, contact=polish, inboxes=INBOXES):
            assert p.language == ("pl" if p.role == "parent" else "en")


def test_a_withdrawn_parent_gets_no_messages_but_the_court_still_hears():
    """Except the one the parent asks for: the letter that their course is closed (issue 26)."""
    gone = replace(A, withdrawn=True)
    for event in EVENTS:
        for p in plan_messages(event, NOW, referral=REFERRAL, contact=gone, inboxes=INBOXES):
            stopped = p.role == "parent" and p.template != "course_closed"
            assert (p.skip_reason == "referral_withdrawn") == stopped, p.template
    [closed] = plan_messages(EVENTS[-1], NOW, referral=REFERRAL, contact=gone, inboxes=INBOXES)
    assert (closed.template, closed.role, closed.to, closed.skip_reason) == ("course_closed", "parent", A.email, None)


def test_a_session_cancelled_by_the_withdrawal_itself_says_nothing():
    cancelled = WorkshopCancelled(
        referral_id="r-1", participant_id="p-a", booking_id="b", session_id="s", reason="referral_withdrawn"
    )
    assert planned(cancelled) == []


def test_a_parent_who_cancels_their_own_booking_gets_a_confirmation_not_an_apology():
    ids = {"referral_id": "r-1", "participant_id": "p-a", "booking_id": "b", "session_id": "s"}
    assert planned(WorkshopCancelled(**ids, reason="parent_cancelled")) == [("booking_cancelled", "parent", A.email)]
    assert planned(WorkshopCancelled(**ids, reason="session_cancelled")) == [("workshop_cancelled", "parent", A.email)]


def test_one_key_per_event_template_and_recipient():
    keys = [
        p.key("e1")
        for event in EVENTS
        for p in plan_messages(event, NOW, referral=REFERRAL, contact=A, inboxes=INBOXES)
    ]
    # the two workshop.missed samples share a template and recipient: the same event id would give one message
    assert len(set(keys)) == len(keys) - 1


def test_provider_is_asked_to_call_the_next_day_and_the_invitee_in_their_language():
    heads_up = provider_heads_up(REFERRAL, A, INBOXES, NOW)
    assert heads_up.to == "fa@fa.example" and heads_up.context["contact_on"] == NOW + timedelta(days=1)
    invite = plan_invitation("i", "x@y.example", "ur", "https://p/i")
    assert (invite.role, invite.language, invite.to) == ("invitee", "ur", "x@y.example")


def test_retries_back_off_and_stop_growing():
    base = timedelta(minutes=1)
    assert [retry_delay(base, n) for n in (1, 2, 3)] == [base, 2 * base, 4 * base]
    assert retry_delay(base, 40) == timedelta(days=1)
