"""Each event handler of notifications run alone, in memory (`ptfc.testing.fakes.handle`: the event
through its contract, the fake unit of work; no NATS, no MongoDB, no mail server), and what people
then notice: which letters are planned, to whom, in which language, what is kept to reach them, and
that neither parent's letters ever carry the other's details. Sending them is the sender sweep's,
tested against a real mail server in tests/integration."""

import json

import pytest

from notifications.config import Settings
from notifications.handlers import for_partner_webhooks, handlers
from notifications.outgoing import Letters
from ptfc.events import ContactChange, NotYetKnown, ReferralContactChanged
from ptfc.handlers import Meta
from ptfc.sealing import seal
from ptfc.settings import DEV_CONTACT_SEAL_KEY, DEV_LINK_SEAL_KEY
from ptfc.testing.events import event, participant, referral_created
from ptfc.testing.fakes import handle

from .fakes import FakeUnitOfWork

SETTINGS = Settings()
LETTERS = Letters(SETTINGS)
ALEX = participant("p-a", "Alex", "Morgan", email="alex.m@parents.example", phone="07700900001")
BARTOSZ = participant("p-b", "Bartosz", "Wiśniewski", "pl", email="bartosz.w@parents.example", phone="07700900999")
AFC = SETTINGS.provider_inboxes["action-for-children"]
FA = SETTINGS.provider_inboxes["family-action"]


async def run(happened, uow: FakeUnitOfWork, handler=None, meta: Meta | None = None) -> Meta:
    """The handler of this event that plans letters (partners' webhooks take most types too: those
    are run by naming `for_partner_webhooks`), with what the app gives every handler: its settings
    and its letters. `meta=` what an earlier run returned: the same envelope delivered again past the inbox."""
    mine = [r.handler for r in handlers.registrations if r.model is type(happened)]
    handler = handler or next(h for h in mine if h is not for_partner_webhooks)
    return await handle(handlers, happened, uow, handler=handler, meta=meta, settings=SETTINGS, letters=LETTERS)


async def referred(uow: FakeUnitOfWork) -> None:
    """Referrals' `referral.created` of Alex and Bartosz, co-parents, for Action for Children."""
    await run(referral_created("r-1", ALEX, BARTOSZ), uow)


def progress(kind: str, **fields):
    """An event about Alex's course."""
    return event(kind, "r-1", "p-a", **fields)


def told(uow: FakeUnitOfWork, to: str) -> list[str]:
    return [row["template"] for row in uow.letters(to=to)]


def test_every_handler_has_its_tests_here():
    """A new subscription fails this until it is named here with a test of its own."""
    assert list(dict.fromkeys(r.handler.__name__ for r in handlers.registrations)) == [
        "for_partner_webhooks",
        "remember_referral",
        "change_contact",
        "stop_parent_messages",
        "resume_parent_messages",
        "notify_participant",
        "invite_to_plan",
        "tell_of_plan_reply",
    ]


# ---- remember_referral ---------------------------------------------------------------------------


async def test_a_referral_asks_the_provider_to_call_each_parent_with_that_parents_details_only():
    uow = FakeUnitOfWork()
    await referred(uow)
    heads_ups = uow.letters(to=AFC, template="provider_heads_up")
    assert [row["participant_id"] for row in heads_ups] == ["p-a", "p-b"]
    alex = next(row for row in heads_ups if row["participant_id"] == "p-a")
    assert "alex.m@parents.example" in alex["text"] and "07700900001" in alex["text"]
    assert not {"Bartosz", "bartosz.w@parents.example", "07700900999"} & set(alex["text"].split())
    assert (uow.contacts["p-a"]["email"], uow.contacts["p-b"]["language"]) == ("alex.m@parents.example", "pl")
    assert uow.referrals["r-1"]["fca_email"] == "fiona@cafcass.example"


async def test_a_referral_delivered_again_plans_nothing_twice_and_a_known_parent_keeps_their_address():
    uow = FakeUnitOfWork()
    await referred(uow)
    again = participant("p-a", "Alex", "Morgan", email="someone.else@elsewhere.example")
    await run(referral_created("r-2", again, provider="family-action"), uow)
    await referred(uow)  # the first event again
    assert len(uow.letters(template="provider_heads_up")) == 2  # one per parent, the first time only
    assert told(uow, FA) == []
    assert uow.contacts["p-a"]["email"] == "alex.m@parents.example"


# ---- change_contact ------------------------------------------------------------------------------


def moved(referral_id: str, who, email: str) -> ReferralContactChanged:
    new = ContactChange(participant_id=who.participant_id, email=email, phone=None)
    sealed = seal(DEV_CONTACT_SEAL_KEY, new.model_dump_json())
    return event("referral.contact_changed", referral_id, who.participant_id, sealed_contact=sealed)


async def test_a_changed_address_is_told_to_the_old_one_confirmed_to_the_new_one_and_kept():
    uow = FakeUnitOfWork()
    await referred(uow)
    await run(moved("r-1", ALEX, "alex.new@parents.example"), uow)
    assert told(uow, "alex.m@parents.example") == ["contact_changed"]
    assert told(uow, "alex.new@parents.example") == ["contact_confirmed"]
    assert "alex.new@parents.example" not in uow.letters(template="contact_changed")[0]["text"]
    assert uow.contacts["p-a"]["email"] == "alex.new@parents.example"


async def test_a_contact_change_naming_a_parent_of_another_referral_changes_nothing():
    uow = FakeUnitOfWork()
    await referred(uow)
    await run(moved("r-other", ALEX, "impostor@elsewhere.example"), uow)
    assert uow.contacts["p-a"]["email"] == "alex.m@parents.example"
    assert uow.letters(template="contact_changed") == uow.letters(template="contact_confirmed") == []


async def test_a_contact_change_before_the_referral_is_tried_again_later():
    with pytest.raises(NotYetKnown):
        await run(moved("r-1", ALEX, "alex.new@parents.example"), FakeUnitOfWork())


# ---- stop_parent_messages and resume_parent_messages ---------------------------------------------


async def test_a_withdrawal_skips_the_parents_queued_letters_and_those_that_follow_but_not_the_courts():
    uow = FakeUnitOfWork()
    await referred(uow)
    await run(progress("learning.deadline_approaching"), uow)
    await run(event("referral.withdrawn", "r-1", participant_ids=["p-a"]), uow)
    await run(progress("learning.extended"), uow)
    await run(progress("course.incomplete", reason="withdrawn"), uow)
    parent = {row["template"]: row["status"] for row in uow.letters(participant_id="p-a", recipient_role="parent")}
    assert parent == {"deadline_reminder": "skipped", "deadline_extended": "skipped"}
    assert {row["status"] for row in uow.letters(template="incomplete_report")} == {"pending"}
    assert uow.contacts["p-b"]["withdrawn"] is False


async def test_a_re_ordered_course_asks_its_new_provider_to_call_and_the_parents_letters_resume():
    uow = FakeUnitOfWork()
    await referred(uow)
    await run(event("referral.withdrawn", "r-1", participant_ids=["p-a"]), uow)
    await run(event("referral.reordered", "r-1", "p-a", provider="family-action", preferred_language="pl"), uow)
    assert told(uow, FA) == ["provider_heads_up"]
    await run(progress("learning.completed"), uow)
    [done] = uow.letters(template="learning_complete")
    assert (done["status"], done["language"]) == ("pending", "pl")


async def test_a_re_order_before_the_referral_is_tried_again_later():
    with pytest.raises(NotYetKnown):
        await run(event("referral.reordered", "r-1", "p-a"), FakeUnitOfWork())


# ---- notify_participant --------------------------------------------------------------------------


async def test_a_welcome_letter_goes_to_the_parent_with_the_link_sealed_and_its_token_not_kept():
    uow = FakeUnitOfWork()
    await referred(uow)
    link = "https://hub.example/activate?token=secret-token-1"
    sealed = seal(DEV_LINK_SEAL_KEY, link)
    await run(progress("account.activation_issued", sealed_activation_url=sealed), uow)
    [welcome] = uow.letters(template="welcome")
    assert (welcome["to"], welcome["recipient_role"]) == ("alex.m@parents.example", "parent")
    assert "https://hub.example/activate?token=sealed" in welcome["text"]
    assert "secret-token-1" not in welcome["text"] + welcome["html"] and welcome["sealed_link"] == sealed


async def test_the_same_event_delivered_twice_plans_its_letters_once():
    uow = FakeUnitOfWork()
    await referred(uow)
    completed = progress("learning.completed")
    meta = await run(completed, uow)
    await run(completed, uow, meta=meta)
    assert told(uow, "alex.m@parents.example") == ["learning_complete"]


async def test_the_reminder_gives_the_place_kept_from_the_booking():
    uow = FakeUnitOfWork()
    await referred(uow)
    venue = "Family Hub, 1 High Street, Salford"
    await run(progress("workshop.booked", mode="in_person", venue=venue), uow)
    await run(progress("workshop.reminder_due"), uow)
    [reminder] = uow.letters(template="workshop_reminder")
    assert venue in reminder["text"] and uow.bookings["x1"]["venue"] == venue


async def test_a_completed_course_sends_the_certificate_reports_to_court_and_fca_and_keeps_its_dates():
    uow = FakeUnitOfWork()
    await referred(uow)
    await run(progress("course.completed"), uow)
    assert told(uow, "alex.m@parents.example") == ["course_completed"]
    assert [row["recipient_role"] for row in uow.letters(template="completion_report")] == ["court", "fca"]
    [letter] = uow.letters(template="course_completed")
    assert [a["filename"] for a in letter["attachments"]] == ["certificate.pdf"]
    assert uow.certificates["p-a"]["cycle"] == 1


async def test_a_parents_progress_before_their_referral_is_tried_again_later():
    with pytest.raises(NotYetKnown):
        await run(progress("learning.completed"), FakeUnitOfWork())


# ---- invite_to_plan and tell_of_plan_reply -------------------------------------------------------


def shared_with(**who):
    url = seal(DEV_LINK_SEAL_KEY, "https://plans.example/join?token=join-1")
    return event("plan.shared", invitation_id="i-1", sealed_invite_url=url, **who)


async def test_a_co_parent_is_invited_at_the_address_kept_here_in_their_language():
    uow = FakeUnitOfWork()
    await referred(uow)
    await run(shared_with(invitee_participant_id="p-b", preferred_language="en"), uow)
    [invitation] = uow.letters(template="plan_invitation")
    assert (invitation["to"], invitation["language"]) == ("bartosz.w@parents.example", "pl")
    assert "join-1" not in invitation["text"] and "Alex" not in invitation["text"]
    assert uow.invitees["i-1"] == {"_id": "i-1", "plan_id": "plan-1", "language": "pl", "participant_id": "p-b"}


async def test_someone_invited_by_email_is_written_to_at_that_address_and_it_is_kept_for_replies():
    uow = FakeUnitOfWork()
    typed = seal(DEV_LINK_SEAL_KEY, "friend@somewhere.example")
    await run(shared_with(invitee_participant_id=None, sealed_invitee_email=typed, preferred_language="pl"), uow)
    assert told(uow, "friend@somewhere.example") == ["plan_invitation"]
    await run(event("plan.reply_waiting", recipient_participant_id=None, recipient_invitation_id="i-1"), uow)
    assert told(uow, "friend@somewhere.example") == ["plan_invitation", "plan_reply"]


async def test_a_plan_reply_goes_to_the_programme_parent_with_no_word_of_the_plan():
    uow = FakeUnitOfWork()
    await referred(uow)
    await run(event("plan.reply_waiting", recipient_participant_id="p-b", preferred_language="pl"), uow)
    [reply] = uow.letters(template="plan_reply")
    assert (reply["to"], reply["language"]) == ("bartosz.w@parents.example", "pl")
    assert "holidays" not in reply["text"] and "Alex" not in reply["text"]


async def test_a_reply_for_an_invitation_not_yet_known_is_tried_again_later():
    with pytest.raises(NotYetKnown):
        await run(
            event("plan.reply_waiting", recipient_participant_id=None, recipient_invitation_id="i-9"), FakeUnitOfWork()
        )


# ---- for_partner_webhooks ------------------------------------------------------------------------


async def test_an_event_is_kept_as_partners_see_it_and_posted_to_each_endpoint_that_wants_it():
    uow = FakeUnitOfWork()
    uow.endpoints = {
        "e-1": {"_id": "e-1", "enabled": True, "event_types": ["course.completed"]},
        "e-2": {"_id": "e-2", "enabled": True, "event_types": ["learning.completed"]},
        "e-3": {"_id": "e-3", "enabled": False, "event_types": ["course.completed"]},
    }
    completed = event("course.completed", "r-1", "p-a")
    meta = await run(completed, uow, for_partner_webhooks)
    await run(completed, uow, for_partner_webhooks, meta=meta)  # delivered again: still one POST
    [kept] = uow.partner_events.values()
    assert json.loads(kept["body"])["data"]["participant_id"] == "p-a" and kept["type"] == "course.completed"
    assert [row["endpoint_id"] for row in uow.webhook_deliveries.values()] == ["e-1"]
    assert uow.deliveries == {}  # partners' copies are not letters
