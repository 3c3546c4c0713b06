"""The enrolment rules of learning (opening, activation, completion, extension, the clock,
withdrawal, sign-in) against an in-memory unit of work: what is saved and emitted, no servers."""

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest

from learning import domain
from ptfc.sealing import unseal

from .fakes import DAY, FakeUnitOfWork, Rules

RULES = Rules()


async def opened(uow: FakeUnitOfWork, participant: str = "p1", cycle: int = 1, referral: str = "r1") -> dict:
    assert await domain.open_enrolment(
        uow, RULES, referral_id=referral, participant_id=participant, cycle=cycle, provider="family-action",
        fca_id="fca-sam", language="en", email_key=f"key-{participant}",
    )  # fmt: skip
    return await uow.enrolment_of(participant, cycle)


def token_of(uow: FakeUnitOfWork) -> str:
    """The token in the latest link emitted, as notifications would open it."""
    event, _ = uow.events[-1]
    sealed = getattr(event, "sealed_activation_url", None) or event.sealed_sign_in_url
    return parse_qs(urlparse(unseal(RULES.link_seal_key, sealed)).query)["token"][0]


async def refused(call) -> str:
    """The reason the rule refused with (the problem's type, worded by refusals.WORDS)."""
    with pytest.raises(domain.Refused) as caught:
        await call
    return caught.value.reason


async def closed_as(call) -> str:
    """The status of the closed enrolment staff acted on, as the rule refused it."""
    with pytest.raises(domain.Refused) as caught:
        await call
    assert caught.value.reason == "enrolment-closed"
    return caught.value.facts["enrolment_status"]


async def ended(uow: FakeUnitOfWork, secret: str) -> str | None:
    """Why the session was ended, once the rule refuses it (the parent is told only that it ended)."""
    assert await refused(domain.current_session(uow, secret)) == "session-ended"
    return uow.sessions[domain.hash_token(secret)]["end_reason"]


async def test_opening_a_course_starts_the_ten_day_clock_and_sends_a_link_once():
    uow = FakeUnitOfWork()
    e = await opened(uow)
    assert e["deadline"] == uow.clock + 10 * DAY and e["reminder_due"] == uow.clock + 7 * DAY
    assert e["link_expires_at"] == uow.clock + timedelta(hours=72)
    assert uow.emitted() == ["account.activation_issued"]
    [link] = uow.links["activations"].values()
    assert token_of(uow) not in repr(uow.links)  # only the hash is stored
    assert link["_id"] == domain.hash_token(token_of(uow))
    again = domain.open_enrolment(
        uow, RULES, referral_id="r1", participant_id="p1", cycle=1, provider="family-action", fca_id=None, language="en"
    )
    assert not await again and len(uow.events) == 1


async def test_a_link_activates_once_and_a_reissued_one_replaces_it():
    uow = FakeUnitOfWork()
    e = await opened(uow)
    first = token_of(uow)
    await domain.reissue(uow, RULES, e["_id"])
    second = token_of(uow)
    assert await refused(domain.activate(uow, first)) == "activation-link-replaced"
    activated = await domain.activate(uow, second)
    assert activated["activated_at"] == uow.clock and uow.accounts["p1"]["activated_at"] == uow.clock
    assert await refused(domain.activate(uow, second)) == "activation-link-used"
    assert await refused(domain.activate(uow, "made-up")) == "activation-link-unknown"
    assert uow.emitted().count("account.activated") == 1


async def test_an_expired_link_is_refused_and_the_sweep_expires_it_once():
    uow = FakeUnitOfWork()
    await opened(uow)
    token = token_of(uow)
    uow.clock += timedelta(hours=72)
    assert await refused(domain.activate(uow, token)) == "activation-link-expired"  # pending, but past its time
    link_id = domain.hash_token(token)
    assert await domain.expire_activation(uow, link_id)
    assert not await domain.expire_activation(uow, link_id)
    assert uow.emitted()[-1] == "account.activation_expired" and uow.emitted().count("account.activation_expired") == 1


async def test_modules_complete_in_order_once_and_the_eighth_completes_the_elearning():
    uow = FakeUnitOfWork()
    e = await opened(uow)
    assert await refused(domain.complete_module(uow, e["_id"], 2)) == "module-locked"
    assert await domain.complete_module(uow, e["_id"], 1) == (1, False)
    assert await domain.complete_module(uow, e["_id"], 1) == (1, True)
    for number in range(2, 9):
        uow.clock += timedelta(hours=1)
        await domain.complete_module(uow, e["_id"], number)
    done = uow.enrolments[e["_id"]]
    assert done["status"] == "completed" and done["reminder_due"] is None
    assert done["learning_completed_at"] == uow.clock
    assert uow.emitted().count("module.completed") == 8 and uow.emitted()[-1] == "learning.completed"
    assert await domain.complete_module(uow, e["_id"], 3) == (8, True)  # read back, nothing new
    assert uow.emitted().count("module.completed") == 8


async def test_the_clock_reminds_three_days_then_one_day_before_then_marks_the_deadline_missed():
    uow = FakeUnitOfWork()
    e = await opened(uow)
    assert not await domain.remind(uow, RULES, e["_id"])  # not due yet
    uow.clock += 7 * DAY
    assert await domain.remind(uow, RULES, e["_id"]) and not await domain.remind(uow, RULES, e["_id"])
    uow.clock += 2 * DAY
    assert await domain.remind(uow, RULES, e["_id"])
    assert [ev.days_left for ev in uow.of("learning.deadline_approaching")] == [3, 1]
    assert not await domain.miss(uow, e["_id"])
    uow.clock += DAY
    assert await domain.miss(uow, e["_id"]) and not await domain.miss(uow, e["_id"])
    assert uow.enrolments[e["_id"]]["status"] == "missed"
    assert await refused(domain.complete_module(uow, e["_id"], 1)) == "deadline-passed"


async def test_an_extension_moves_the_deadline_and_rearms_the_reminders():
    uow = FakeUnitOfWork()
    e = await opened(uow)
    uow.clock += 8 * DAY
    extended = await domain.extend(uow, RULES, e["_id"], 5, "illness")
    assert extended["deadline"] == e["deadline"] + 5 * DAY
    assert extended["reminder_due"] == extended["deadline"] - 3 * DAY
    uow.clock += 3 * DAY  # past the first deadline
    assert not await domain.miss(uow, e["_id"])
    uow.clock += 5 * DAY
    assert await domain.miss(uow, e["_id"])
    assert await closed_as(domain.extend(uow, RULES, e["_id"], 1, "late")) == "missed"


async def test_withdrawal_stops_the_clock_and_the_links_even_before_the_course_opens():
    uow = FakeUnitOfWork()
    e = await opened(uow)
    token = token_of(uow)
    await domain.withdraw(uow, "r1", [], uow.clock)
    assert uow.enrolments[e["_id"]]["status"] == "withdrawn"
    assert await refused(domain.activate(uow, token)) == "activation-link-withdrawn"
    uow.clock += 11 * DAY
    assert not await domain.miss(uow, e["_id"]) and not await domain.remind(uow, RULES, e["_id"])
    # A re-order of the withdrawn referral that arrives late opens nothing.
    late = domain.open_enrolment(
        uow, RULES, referral_id="r1", participant_id="p1", cycle=2, provider="family-action", fca_id=None, language="en"
    )
    assert not await late


async def test_a_new_cycle_supersedes_the_one_still_running():
    uow = FakeUnitOfWork()
    first = await opened(uow)
    second = await opened(uow, cycle=2)
    assert uow.enrolments[first["_id"]]["status"] == "superseded"
    assert second["status"] == "active"


async def test_a_sign_in_link_goes_only_to_an_activated_parent_at_most_once_a_minute():
    """Before activation the welcome link is issued again instead (issue 26); after it, a sign-in
    link, and one request a minute at most gets one, whatever kind of link it is."""
    uow = FakeUnitOfWork()
    await opened(uow)
    welcomes = uow.emitted().count("account.activation_issued")
    await domain.answer_sign_in(uow, RULES, "key-p1", uow.clock)
    assert "account.sign_in_link_issued" not in uow.emitted()
    assert uow.emitted().count("account.activation_issued") == welcomes + 1
    await domain.activate(uow, token_of(uow))
    await domain.answer_sign_in(uow, RULES, "key-p1", uow.clock + timedelta(seconds=30))  # within the minute
    assert "account.sign_in_link_issued" not in uow.emitted()
    await domain.answer_sign_in(uow, RULES, "key-p1", uow.clock + timedelta(seconds=61))
    await domain.answer_sign_in(uow, RULES, "key-p1", uow.clock + timedelta(seconds=90))
    assert uow.emitted().count("account.sign_in_link_issued") == 1
    enrolment = await domain.sign_in(uow, token_of(uow))
    assert enrolment["participant_id"] == "p1"


async def test_a_withdrawn_parent_who_asks_for_a_link_is_told_the_course_is_closed_under_the_same_limits():
    """No link (the withdrawal closed the course), but a letter saying so and since when, at most one
    a minute and `sign_in_daily_cap` a day; a parent whose e-learning was done first is withdrawn too."""
    uow = FakeUnitOfWork()
    await domain.activate(uow, (await opened(uow), token_of(uow))[1])
    done = await opened(uow, participant="p2", referral="r2")
    await domain.activate(uow, token_of(uow))
    uow.enrolments[done["_id"]] |= {"status": "completed"}  # the e-learning finished before the withdrawal
    await domain.answer_sign_in(uow, RULES, "key-p2", uow.clock)  # a link while the course is open
    early = token_of(uow)
    withdrawn_at = uow.clock + timedelta(minutes=10)  # the link still in its time
    uow.clock = withdrawn_at
    await domain.withdraw(uow, "r1", [], uow.clock)
    await domain.withdraw(uow, "r2", ["p2"], uow.clock)
    assert await refused(domain.sign_in(uow, early)) == "course-withdrawn"

    for pid in ("p1", "p2"):
        uow.events.clear()
        for minutes in (2, 2.5, 4):  # the second within the minute: nothing
            await domain.answer_sign_in(uow, RULES, f"key-{pid}", withdrawn_at + timedelta(minutes=minutes))
        assert uow.emitted() == ["account.sign_in_refused"] * 2, pid
        told, _ = uow.events[-1]
        assert (told.participant_id, told.reason, told.closed_at) == (pid, "withdrawn", withdrawn_at)
        for n in range(RULES.sign_in_daily_cap):  # a day's cap, as for links
            await domain.answer_sign_in(uow, RULES, f"key-{pid}", withdrawn_at + timedelta(minutes=10 + 2 * n))
        assert len(uow.events) == RULES.sign_in_daily_cap


async def test_a_parent_whose_deadline_passed_or_whose_course_is_done_still_signs_in():
    """A missed deadline closes the e-learning, not the parent's hub: they are still a parent of the
    referral, with a plan to use and a state to read (the court and FCA told; issue 26). So a link,
    also to one who never used the welcome letter, and it signs them in; a finished course too."""
    uow = FakeUnitOfWork()
    missed = await opened(uow)
    await domain.activate(uow, token_of(uow))
    never_started = await opened(uow, participant="p2", referral="r2")
    done = await opened(uow, participant="p3", referral="r3")
    await domain.activate(uow, token_of(uow))
    for number in range(1, 9):
        await domain.complete_module(uow, done["_id"], number)
    uow.clock += 11 * DAY
    for e in (missed, never_started):
        assert await domain.miss(uow, e["_id"])
    for pid in ("p1", "p2", "p3"):
        uow.events.clear()
        await domain.answer_sign_in(uow, RULES, f"key-{pid}", uow.clock)
        assert uow.emitted() == ["account.sign_in_link_issued"], pid  # a link, not the welcome letter again
        enrolment = await domain.sign_in(uow, token_of(uow))
        assert (enrolment["participant_id"], enrolment["status"]) == (pid, "completed" if pid == "p3" else "missed")
    # The e-learning itself stays closed to the missed parent.
    assert await refused(domain.complete_module(uow, missed["_id"], 1)) == "deadline-passed"

    # A referral withdrawn after the deadline passed closes the hub too: the letter saying so, not a link.
    uow.clock += DAY
    await domain.withdraw(uow, "r1", [], uow.clock)
    uow.events.clear()
    await domain.answer_sign_in(uow, RULES, "key-p1", uow.clock)
    assert uow.emitted() == ["account.sign_in_refused"]
    [told] = uow.of("account.sign_in_refused")
    assert (told.reason, told.closed_at) == ("withdrawn", uow.clock)


async def test_a_session_ends_at_sign_out_withdrawal_re_order_and_its_time():
    """Each way a parent's session ends: after it, the hub can no longer refresh their token."""
    uow = FakeUnitOfWork()
    e = await opened(uow)
    secret, _ = await domain.open_session(uow, RULES, e)
    assert secret not in repr(uow.sessions)  # only its hash is kept
    assert (await domain.current_session(uow, secret))["participant_id"] == "p1"
    await domain.end_session(uow, secret)
    assert await ended(uow, secret) == "signed-out"
    assert await refused(domain.current_session(uow, "made-up")) == "session-ended"

    other, _ = await domain.open_session(uow, RULES, e)
    uow.clock += timedelta(hours=8)
    assert await refused(domain.current_session(uow, other)) == "session-ended"

    withdrawn, _ = await domain.open_session(uow, RULES, e)
    await domain.withdraw(uow, "r1", [], uow.clock)  # the whole referral
    assert await ended(uow, withdrawn) == "withdrawn"

    uow2 = FakeUnitOfWork()
    first = await opened(uow2)
    kept_by_co_parent, _ = await domain.open_session(uow2, RULES, await opened(uow2, participant="p2"))
    old, _ = await domain.open_session(uow2, RULES, first)
    ids = {"referral_id": "r1", "provider": "family-action", "fca_id": None, "language": "en"}
    assert await domain.reorder(uow2, RULES, participant_id="p1", cycle=2, **ids)
    assert await ended(uow2, old) == "reordered"
    assert await domain.current_session(uow2, kept_by_co_parent)  # only the re-ordered parent's
