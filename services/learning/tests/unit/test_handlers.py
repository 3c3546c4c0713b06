"""Each event handler of learning run alone, in memory (`ptfc.testing.fakes.handle`: the event
through its contract, the fake unit of work; no NATS, no MongoDB), and what a parent, their FCA or
another service then notices: the welcome letter sent once, a re-ordered course starting again, a new
sign-in address, a withdrawn course closed. The consumer's own part (the inbox, retries, parking) is
tested once, in shared/tests."""

import pytest

from learning import domain
from learning.handlers import handlers
from ptfc.events import NotYetKnown
from ptfc.testing.events import event, participant, referral_created
from ptfc.testing.fakes import handle

from .fakes import DAY, FakeUnitOfWork
from .test_write_rules import RULES, refused, token_of


async def run(happened, uow: FakeUnitOfWork) -> None:
    await handle(handlers, happened, uow, settings=RULES)  # the settings, as the app gives them


async def referred(uow: FakeUnitOfWork, *pids: str, referral_id: str = "r-1") -> None:
    """Referrals' `referral.created` for these parents, as learning receives it."""
    await run(referral_created(referral_id, *[participant(pid, language="pl") for pid in pids]), uow)


def test_every_handler_has_its_tests_here():
    """A new subscription fails this until it is named here with a test of its own."""
    names = [r.name for r in handlers.registrations]
    assert names == ["enrol_participants", "enrol_again", "change_sign_in_email", "stop_clock"]


async def test_a_referral_opens_each_parents_course_and_sends_one_welcome_letter_each():
    uow = FakeUnitOfWork()
    created = referral_created("r-1", participant("alex", language="pl"), participant("chris"))
    await run(created, uow)
    welcome = uow.of("account.activation_issued")
    assert [(e.participant_id, e.deadline, e.reissue) for e in welcome] == [
        ("alex", uow.clock + 10 * DAY, False),
        ("chris", uow.clock + 10 * DAY, False),
    ]
    assert {correlation for _, correlation in uow.events} == {"r-1"}
    alex = await uow.enrolment_of("alex")
    assert (alex["status"], alex["cycle"], alex["fca_id"], alex["language"]) == ("active", 1, "fca-1", "pl")
    # The address the parent signs in with: the keyed hash referrals computed, never the address.
    sign_in_key = created.participants[0].sign_in_key
    assert sign_in_key and uow.accounts["alex"]["email_key"] == sign_in_key
    assert "@" not in repr(uow.accounts) + repr(uow.enrolments)
    assert (await domain.activate(uow, token_of(uow)))["participant_id"] == "chris"  # the letter's link works


async def test_the_referral_delivered_again_sends_no_second_letter():
    uow = FakeUnitOfWork()
    await referred(uow, "alex")
    before = (dict(uow.enrolments), len(uow.events))
    await referred(uow, "alex")
    assert (uow.enrolments, len(uow.events)) == before


async def test_a_referral_whose_withdrawal_came_first_opens_nothing():
    """Each event type has its own consumer: the withdrawal may be handled before what it withdraws."""
    uow = FakeUnitOfWork()
    await run(event("referral.withdrawn", "r-1", participant_ids=[]), uow)
    await referred(uow, "alex")
    assert uow.enrolments == {} and uow.events == []


async def test_a_re_order_starts_a_new_course_with_the_same_fca_and_signs_the_parent_out():
    uow = FakeUnitOfWork()
    await referred(uow, "alex", "chris")
    uow.clock += 12 * DAY  # the first course missed its deadline; the court orders it again
    secret, _ = await domain.open_session(uow, RULES, await uow.enrolment_of("alex"))  # signed in to read it
    await run(event("referral.reordered", "r-1", "alex", cycle=2, preferred_language="ur"), uow)
    again = await uow.enrolment_of("alex")
    assert (again["cycle"], again["provider"], again["fca_id"]) == (2, "action-for-children", "fca-1")
    assert again["language"] == uow.accounts["alex"]["language"] == "ur"  # as the court's new order says
    assert again["deadline"] == uow.clock + 10 * DAY
    [letter] = [e for e in uow.of("account.activation_issued") if e.cycle == 2]
    assert letter.participant_id == "alex"
    assert await refused(domain.current_session(uow, secret)) == "session-ended"
    assert (await uow.enrolment_of("chris"))["cycle"] == 1  # the co-parent's course is untouched
    events = len(uow.events)
    await run(event("referral.reordered", "r-1", "alex", cycle=2), uow)  # delivered again
    assert len(uow.events) == events


async def test_a_re_order_of_another_referral_names_no_fca_from_the_earlier_one():
    """The FCA who followed one referral does not follow a parent's course under another."""
    uow = FakeUnitOfWork()
    await referred(uow, "alex", referral_id="r-1")
    await run(event("referral.reordered", "r-2", "alex", cycle=2), uow)
    assert (await uow.enrolment_of("alex"))["fca_id"] is None


async def test_a_changed_email_is_where_the_next_sign_in_link_goes():
    uow = FakeUnitOfWork()
    await referred(uow, "alex")
    await domain.activate(uow, token_of(uow))
    await run(event("referral.contact_changed", "r-1", "alex", sign_in_key="new-key"), uow)
    assert uow.accounts["alex"]["email_key"] == "new-key"
    await domain.answer_sign_in(uow, RULES, "new-key", uow.clock)
    assert uow.emitted()[-1] == "account.sign_in_link_issued"


async def test_a_phone_change_leaves_the_sign_in_address_and_an_unknown_parent_waits():
    uow = FakeUnitOfWork()
    await referred(uow, "alex")
    kept = uow.accounts["alex"]["email_key"]
    await run(event("referral.contact_changed", "r-1", "alex", sign_in_key=None), uow)
    assert uow.accounts["alex"]["email_key"] == kept
    with pytest.raises(NotYetKnown):  # the consumer tries again once the referral has arrived
        await run(event("referral.contact_changed", "r-1", "nobody-yet", sign_in_key="k"), uow)


async def test_a_withdrawal_closes_the_course_its_link_and_its_sign_in():
    uow = FakeUnitOfWork()
    await referred(uow, "alex", "chris")
    chris = token_of(uow)
    alex = await uow.enrolment_of("alex")
    secret, _ = await domain.open_session(uow, RULES, alex)
    await run(event("referral.withdrawn", "r-1", participant_ids=["chris"]), uow)
    assert (await uow.enrolment_of("chris"))["status"] == "withdrawn"
    assert await refused(domain.activate(uow, chris)) == "activation-link-withdrawn"
    assert (await domain.current_session(uow, secret))["participant_id"] == "alex"  # only the one withdrawn
    await run(event("referral.withdrawn", "r-1", participant_ids=[]), uow)  # then the whole referral
    assert await refused(domain.current_session(uow, secret)) == "session-ended"
    uow.clock += 11 * DAY
    assert not await domain.remind(uow, RULES, alex["_id"]) and not await domain.miss(uow, alex["_id"])
    assert "learning.deadline_missed" not in uow.emitted()
