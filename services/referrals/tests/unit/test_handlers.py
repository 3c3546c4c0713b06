"""The event handler of referrals run alone, once per event type it takes, in memory
(`ptfc.testing.fakes.handle`: the event through its contract, the fake unit of work; no NATS, no
MongoDB), and what the FCA and the court then notice: the parent's status and timeline, and the
outcome told once. The consumer's own part (the inbox, retries, parking) is tested once, in
shared/tests."""

from datetime import timedelta

from ptfc.testing.events import event
from ptfc.testing.fakes import handle
from referrals import views
from referrals.handlers import handlers

from .fakes import FakeUnitOfWork
from .test_write_rules import referred


async def run(uow: FakeUnitOfWork, parent: dict, kind: str, **fields) -> None:
    """Another service's `kind` event about `parent`, as referrals receives it."""
    await handle(handlers, event(kind, parent["referral_id"], parent["_id"], **fields), uow)


def seen(uow: FakeUnitOfWork, parent: dict) -> tuple[str, int]:
    """The parent's status and modules done, as the FCA reads them on the referral."""
    shown = views.participant(uow.participants[parent["_id"]])
    return shown.status, shown.modules_completed


def timeline(uow: FakeUnitOfWork, parent: dict) -> list[tuple[str, dict]]:
    return [(e["event"], e["detail"]) for e in uow.participants[parent["_id"]]["timeline"]]


def test_every_handler_has_its_tests_here():
    """A new subscription fails this until it is named here with a test of its own."""
    assert [r.name for r in handlers.registrations] == [
        "follow-account_activation_issued",
        "follow-account_activated",
        "follow-account_activation_expired",
        "follow-module_completed",
        "follow-learning_completed",
        "follow-learning_deadline_missed",
        "follow-learning_extended",
        "follow-workshop_booked",
        "follow-workshop_cancelled",
        "follow-workshop_attended",
        "follow-workshop_missed",
        "follow-notification_sent",
    ]


async def test_a_welcome_letter_shows_the_parent_invited_with_their_deadline_but_not_the_link():
    uow = FakeUnitOfWork()
    _, (alex, chris) = await referred(uow)
    deadline = uow.clock + timedelta(days=10)
    await run(uow, alex, "account.activation_issued", deadline=deadline, sealed_activation_url="sealed-link")
    assert seen(uow, alex) == ("invited", 0) and seen(uow, chris) == ("referred", 0)
    told = {"deadline": deadline.isoformat(), "reissue": False}
    assert timeline(uow, alex)[-1] == ("account.activation_issued", told)
    assert "sealed-link" not in repr(uow.participants) and uow.emitted() == ["referral.created"]


async def test_an_activated_account_shows_the_e_learning_started_and_is_never_chased():
    uow = FakeUnitOfWork()
    _, (alex, _) = await referred(uow)
    await run(uow, alex, "account.activation_issued")
    await run(uow, alex, "account.activated")
    stored = uow.participants[alex["_id"]]
    assert seen(uow, alex) == ("elearning_in_progress", 0)
    assert stored["activated_ever"] and stored["chaser_due_at"] is None


async def test_an_expired_welcome_link_goes_on_the_timeline_and_changes_nothing_else():
    uow = FakeUnitOfWork()
    _, (alex, _) = await referred(uow)
    await run(uow, alex, "account.activation_issued")
    before = {k: v for k, v in uow.participants[alex["_id"]].items() if k != "timeline"}
    await run(uow, alex, "account.activation_expired")
    after = uow.participants[alex["_id"]]
    assert timeline(uow, alex)[-1] == ("account.activation_expired", {})
    assert {k: v for k, v in after.items() if k != "timeline"} == before and seen(uow, alex) == ("invited", 0)


async def test_each_module_done_shows_in_the_count_and_a_late_one_never_lowers_it():
    uow = FakeUnitOfWork()
    _, (alex, _) = await referred(uow)
    await run(uow, alex, "module.completed", module=3, modules_completed=3)
    await run(uow, alex, "module.completed", module=2, modules_completed=2)  # overtaken by module 3's
    assert seen(uow, alex) == ("referred", 3)
    assert timeline(uow, alex)[-2][1] == {"module": 3, "modules_completed": 3}


async def test_e_learning_and_the_workshop_done_tell_the_court_once_the_course_is_completed():
    uow = FakeUnitOfWork()
    referral, (alex, chris) = await referred(uow)
    await run(uow, alex, "learning.completed")
    assert seen(uow, alex) == ("elearning_complete", 8) and uow.emitted() == ["referral.created"]
    await run(uow, alex, "workshop.attended")
    await run(uow, alex, "workshop.attended")  # told again (another booking's record): not told twice
    [completed] = uow.of("course.completed")
    assert (completed.participant_id, completed.case_number) == (alex["_id"], "MA24P00123")
    assert seen(uow, alex) == ("completed", 8) and seen(uow, chris) == ("referred", 0)
    assert uow.referrals[referral["_id"]]["status"] == "active"  # Chris is still on the course


async def test_a_missed_e_learning_deadline_tells_the_court_how_many_modules_were_done():
    uow = FakeUnitOfWork()
    _, (alex, _) = await referred(uow)
    await run(uow, alex, "learning.deadline_missed", modules_completed=5)
    [incomplete] = uow.of("course.incomplete")
    assert (incomplete.reason, incomplete.modules_completed) == ("elearning_deadline_missed", 5)
    assert seen(uow, alex) == ("incomplete", 5)


async def test_an_extension_moves_the_parents_deadline():
    uow = FakeUnitOfWork()
    _, (alex, _) = await referred(uow)
    await run(uow, alex, "account.activation_issued", deadline=uow.clock + timedelta(days=10))
    later = uow.clock + timedelta(days=15)
    await run(uow, alex, "learning.extended", deadline=later, days=5)
    assert uow.participants[alex["_id"]]["progress"]["deadline"] == later
    assert timeline(uow, alex)[-1] == ("learning.extended", {"deadline": later.isoformat(), "days": 5})


async def test_a_booking_shows_the_workshop_booked_until_it_is_cancelled():
    uow = FakeUnitOfWork()
    _, (alex, _) = await referred(uow)
    await run(uow, alex, "learning.completed")
    await run(uow, alex, "workshop.booked", session_id="s-7")
    assert seen(uow, alex) == ("workshop_booked", 8)
    assert timeline(uow, alex)[-1] == ("workshop.booked", {"session_id": "s-7", "mode": "online", "rebooking": False})
    uow.clock += timedelta(hours=1)
    await run(uow, alex, "workshop.cancelled", session_id="s-7")
    assert seen(uow, alex) == ("elearning_complete", 8) and uow.emitted() == ["referral.created"]


async def test_a_missed_workshop_offers_rebooking_and_the_last_miss_tells_the_court():
    uow = FakeUnitOfWork()
    _, (alex, _) = await referred(uow)
    await run(uow, alex, "learning.completed")
    await run(uow, alex, "workshop.missed", misses=1, rebooking_offered=True)
    assert seen(uow, alex) == ("workshop_rebooking", 8) and not uow.of("course.incomplete")
    await run(uow, alex, "workshop.missed", misses=2, rebooking_offered=False)
    [incomplete] = uow.of("course.incomplete")
    assert incomplete.reason == "workshop_missed" and seen(uow, alex) == ("incomplete", 8)


async def test_a_letter_sent_goes_on_the_timeline_as_its_template_and_recipient_only():
    uow = FakeUnitOfWork()
    _, (alex, _) = await referred(uow)
    await run(uow, alex, "notification.sent", template="welcome", recipient_role="parent")
    assert timeline(uow, alex)[-1] == ("notification.sent", {"template": "welcome", "recipient_role": "parent"})
    assert seen(uow, alex) == ("referred", 0) and uow.emitted() == ["referral.created"]


async def test_an_event_about_a_parent_of_another_referral_changes_nothing():
    uow = FakeUnitOfWork()
    _, (alex, _) = await referred(uow)
    before = {pid: dict(p) for pid, p in uow.participants.items()}
    await run(uow, {**alex, "referral_id": "another-referral"}, "learning.deadline_missed")
    assert uow.participants == before and uow.emitted() == ["referral.created"]
