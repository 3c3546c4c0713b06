"""Each event handler of workshops run alone, in memory (`ptfc.testing.fakes.handle`: the event
through its contract, the fake unit of work; no NATS, no MongoDB), and what the parent or staff
then notice: who is known and with which needs, who may book, which booking a withdrawal cancels,
where a re-ordered course starts. The consumer's own part (the inbox, retries, parking) is tested
once, in shared/tests."""

import pytest

from ptfc.events import Adjustments, NotYetKnown
from ptfc.testing.events import event, participant, referral_created
from ptfc.testing.fakes import handle
from workshops import domain
from workshops.handlers import handlers

from .fakes import FakeUnitOfWork
from .test_write_rules import T, new_session, refused, session_for


async def run(happened, uow: FakeUnitOfWork) -> None:
    await handle(handlers, happened, uow, settings=T)  # the settings, as the app gives them


async def referred(uow: FakeUnitOfWork, *pids: str, learned: bool = True, referral_id: str = "r-1") -> None:
    """Referrals' `referral.created` for these parents (co-parents of each other), as workshops
    receives it, then each one's `learning.completed` unless `learned` is False."""
    parents = [participant(pid, given=pid.title(), family="Jones") for pid in pids]
    await run(referral_created(referral_id, *parents, provider="family-action"), uow)
    for pid in pids if learned else ():
        await run(event("learning.completed", referral_id, pid, cycle=1), uow)


def test_every_handler_has_its_tests_here():
    """A new subscription fails this until it is named here with a test of its own."""
    assert [r.name for r in handlers.registrations] == ["know_parents", "learning_done", "withdraw", "reorder"]


async def test_a_referred_parent_is_known_with_their_needs_and_co_parent_but_no_contact_details():
    uow = FakeUnitOfWork()
    needs = Adjustments(interpreter="pl", in_person=True, support_needs="a hearing loop")
    alex = participant("alex", "Alex", "Jones", gender="female", adjustments=needs, availability=["weekend"])
    await run(referral_created("r-1", alex, participant("chris"), provider="family-action"), uow)
    kept = uow.parents["alex"]
    assert (kept["referral_id"], kept["provider"], kept["co_parents"]) == ("r-1", "family-action", ["chris"])
    assert (kept["given_name"], kept["gender"], kept["availability"]) == ("Alex", "female", ["weekend"])
    assert (kept["interpreter"], kept["in_person"], kept["support_needs"]) == ("pl", True, "a hearing loop")
    assert uow.parents["chris"]["co_parents"] == ["alex"]
    assert not {"Jones", "07700900123", "alex.jones.alex@parents.example"} & {str(v) for v in kept.values()}
    assert uow.events == []


async def test_the_referral_delivered_again_after_a_re_order_undoes_nothing():
    uow = FakeUnitOfWork()
    await referred(uow, "alex", "chris")
    await run(event("referral.reordered", "r-1", "alex", cycle=2, provider="action-for-children"), uow)
    before = {pid: dict(p) for pid, p in uow.parents.items()}
    await referred(uow, "alex", "chris", learned=False)  # cycle 1, family-action, as first sent
    assert uow.parents == before and (before["alex"]["cycle"], before["alex"]["provider"]) == (2, "action-for-children")


async def test_a_referral_withdrawn_before_it_arrived_opens_no_booking():
    uow = FakeUnitOfWork()
    await run(event("referral.withdrawn", "r-1", participant_ids=[]), uow)
    await referred(uow, "alex")
    assert await refused(domain.book(uow, "alex", await new_session(uow), T)) == "course-closed"


async def test_a_parent_may_book_once_their_e_learning_is_complete():
    uow = FakeUnitOfWork()
    await referred(uow, "alex", learned=False)
    sid = await new_session(uow)
    assert await refused(domain.book(uow, "alex", sid, T)) == "learning-not-complete"
    done = event("learning.completed", "r-1", "alex", cycle=1)
    await run(done, uow)
    assert uow.parents["alex"]["learning_completed_at"] == done.completed_at
    await domain.book(uow, "alex", sid, T)
    assert uow.emitted() == ["workshop.booked"]


async def test_a_completion_of_a_course_not_yet_re_ordered_waits_for_the_re_order():
    """The consumer tries a `NotYetKnown` again soon; the first cycle's completion no longer counts."""
    uow = FakeUnitOfWork()
    await referred(uow, "alex")
    second = event("learning.completed", "r-1", "alex", cycle=2)
    with pytest.raises(NotYetKnown):
        await run(second, uow)
    await run(event("referral.reordered", "r-1", "alex", cycle=2, provider="family-action"), uow)
    assert uow.parents["alex"]["learning_completed_at"] is None
    await run(second, uow)
    assert uow.parents["alex"]["learning_completed_at"] == second.completed_at


async def test_a_withdrawn_referral_cancels_the_booking_frees_the_seat_and_ends_the_waiting():
    uow = FakeUnitOfWork()
    await referred(uow, "alex", "chris")
    sid = await session_for(uow, "alex")
    await domain.book(uow, "alex", sid, T)
    await domain.join_waitlist(uow, "chris", ["daytime"], ["online"])
    await run(event("referral.withdrawn", "r-1", participant_ids=[]), uow)
    assert uow.sessions[sid]["booked"] == 0 and uow.waitlist == {}
    [(cancelled, correlation)] = [(e, c) for e, c in uow.events if e.TYPE == "workshop.cancelled"]
    assert (cancelled.participant_id, cancelled.reason, correlation) == ("alex", "referral_withdrawn", "r-1")
    assert await refused(domain.book(uow, "chris", await session_for(uow, "chris"), T)) == "course-closed"


async def test_withdrawing_one_parent_leaves_the_co_parents_booking_as_it_was():
    uow = FakeUnitOfWork()
    await referred(uow, "alex", "chris")
    for pid in ("alex", "chris"):
        await domain.book(uow, pid, await session_for(uow, pid), T)
    chris = uow.bookings[uow.parents["chris"]["booking_id"]]
    await run(event("referral.withdrawn", "r-1", participant_ids=["alex"]), uow)
    assert [e.participant_id for e in uow.of("workshop.cancelled")] == ["alex"]
    assert uow.bookings[chris["_id"]] == chris and uow.parents["chris"]["withdrawn"] is False


async def test_a_re_ordered_course_starts_again_with_its_provider_and_e_learning():
    uow = FakeUnitOfWork()
    await referred(uow, "alex")
    old = await new_session(uow)  # a family-action session
    again = event("referral.reordered", "r-1", "alex", cycle=2, provider="action-for-children", preferred_language="pl")
    await run(again, uow)
    kept = uow.parents["alex"]
    assert (kept["cycle"], kept["provider"], kept["language"], kept["misses"]) == (2, "action-for-children", "pl", 0)
    assert await refused(domain.book(uow, "alex", old, T)) == "learning-not-complete"
    await run(event("learning.completed", "r-1", "alex", cycle=2), uow)
    assert await refused(domain.book(uow, "alex", old, T)) == "session-unavailable"  # another provider's
    await run(again, uow)  # the same re-order again: nothing changes
    assert uow.parents["alex"]["learning_completed_at"] is not None


async def test_a_re_order_of_a_parent_not_known_yet_waits_for_the_referral():
    uow = FakeUnitOfWork()
    with pytest.raises(NotYetKnown):
        await run(event("referral.reordered", "r-1", "alex", cycle=2), uow)
    assert uow.parents == {}
