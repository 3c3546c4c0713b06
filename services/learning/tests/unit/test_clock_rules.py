"""Rules of the clock each on its own, so that breaking any one of them fails a test (each was checked
by breaking it: tests/mutants/run.py, docs/rules.md)."""

from datetime import timedelta

from learning import domain
from learning.config import Settings

from .fakes import DAY, FakeUnitOfWork
from .test_write_rules import RULES, closed_as, opened, token_of


async def test_the_service_as_shipped_gives_72_hours_10_days_and_reminders_3_days_then_1_day_before():
    """The SPEC's numbers are the settings' defaults (tests elsewhere shrink them): the welcome link
    works 72 hours, the window is 10 days from the welcome letter, reminders come 3 days and 1 day before."""
    shipped = Settings(env="development")
    uow = FakeUnitOfWork()
    welcome = uow.clock
    e = await domain.open_enrolment(
        uow, shipped, referral_id="r1", participant_id="p1", cycle=1, provider="family-action",
        fca_id="fca-sam", language="en",
    )  # fmt: skip
    assert e
    [(issued, _)] = uow.events
    assert issued.expires_at == welcome + timedelta(hours=72) and issued.deadline == welcome + 10 * DAY
    reminders = []
    for _ in range(11 * 24):
        uow.clock += timedelta(hours=1)
        enrolment = await uow.enrolment_of("p1", 1)
        if await domain.remind(uow, shipped, enrolment["_id"]):
            reminders.append((uow.clock - welcome, uow.events[-1][0].days_left))
    assert reminders == [(7 * DAY, 3), (9 * DAY, 1)]


async def test_a_deadline_that_has_passed_is_not_extended_even_before_the_sweep_marks_it_missed():
    """The window closed a moment ago and the sweep has not run yet: the FCA's late extension is
    refused, the parent's course is missed, and the court hears so (no extension revives it)."""
    uow = FakeUnitOfWork()
    e = await opened(uow)
    uow.clock += 10 * DAY
    assert await closed_as(domain.extend(uow, RULES, e["_id"], 3, "asked too late")) == "missed"
    assert await domain.miss(uow, e["_id"])
    assert "learning.extended" not in uow.emitted() and "learning.deadline_missed" in uow.emitted()


async def test_a_link_re_issued_after_activation_expires_quietly():
    """A parent who activated, then was sent a new link they never used: when it runs out, nobody is
    told the account was not activated (no 'link expired' letter, no chaser to the FCA)."""
    uow = FakeUnitOfWork()
    e = await opened(uow)
    await domain.activate(uow, token_of(uow))
    await domain.reissue(uow, RULES, e["_id"])
    again = token_of(uow)
    uow.clock += timedelta(hours=72)
    assert await domain.expire_activation(uow, domain.hash_token(again))
    assert "account.activation_expired" not in uow.emitted()
