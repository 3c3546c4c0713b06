"""The event handler of plans run alone, in memory (`ptfc.testing.fakes.handle`: the event through its
contract, the fake unit of work; no NATS, no MongoDB), and what a parent then notices: whom they can
share their plan with (their co-parent, their FCA), and that plans keeps nothing of their contact
details. The consumer's own part (the inbox, retries, parking) is tested once, in shared/tests."""

from plans import domain
from plans.handlers import handlers
from ptfc.events import PlanShared
from ptfc.testing.events import participant, referral_created
from ptfc.testing.fakes import handle

from .fakes import FakeUnitOfWork
from .test_write_rules import CHILDREN, MUM, RULES, refused

ALEX = participant("p-mum", "Alex", "Jones", email="alex@example.org", phone="07700900001")
CHRIS = participant("p-dad", "Chris", "Rowe", "pl", email="chris@example.org", phone="07700900002")
REFERRAL = referral_created("r-1", ALEX, CHRIS, fca_id="fca-sam")


async def started(uow: FakeUnitOfWork) -> str:
    done = await domain.start(uow, MUM, "Mum", "en", CHILDREN, ["living"], RULES)
    assert isinstance(done, domain.Started)
    return done.plan["_id"]


def test_every_handler_has_its_tests_here():
    """A new subscription fails this until it is named here with a test of its own."""
    assert [r.name for r in handlers.registrations] == ["remember_co_parents"]


async def test_a_referred_parent_shares_their_plan_with_their_co_parent_and_fca_and_no_contact_is_kept():
    uow = FakeUnitOfWork()
    await handle(handlers, REFERRAL, uow)
    assert uow.participants == {
        "p-mum": {"_id": "p-mum", "referral_id": "r-1", "fca_id": "fca-sam", "language": "en", "co_parents": ["p-dad"]},
        "p-dad": {"_id": "p-dad", "referral_id": "r-1", "fca_id": "fca-sam", "language": "pl", "co_parents": ["p-mum"]},
    }
    assert uow.events == []  # nothing to announce: plans only learns who is whose co-parent
    plan_id = await started(uow)
    assert (uow.plans[plan_id]["referral_id"], uow.plans[plan_id]["fca_id"]) == ("r-1", "fca-sam")
    await domain.share(uow, plan_id, MUM, "co_parent", None, RULES)
    assert [e.invitee_participant_id for e in uow.of("plan.shared") if isinstance(e, PlanShared)] == ["p-dad"]
    await domain.share(uow, plan_id, MUM, "fca", None, RULES)
    assert uow.plans[plan_id]["viewers"] == ["fca-sam"]
    kept = repr(uow.participants) + repr(uow.plans)
    for detail in ("Alex", "Jones", "Chris", "Rowe", "example.org", "07700900001", "07700900002"):
        assert detail not in kept


async def test_a_referral_that_arrives_after_the_plan_was_started_lets_the_parent_invite_the_co_parent():
    uow = FakeUnitOfWork()
    plan_id = await started(uow)
    assert await refused(domain.share(uow, plan_id, MUM, "co_parent", None, RULES)) == "no-co-parent"
    await handle(handlers, REFERRAL, uow)
    invitation = await domain.share(uow, plan_id, MUM, "co_parent", None, RULES)
    assert invitation.shared_with == "co_parent" and invitation.emailed
    assert [e.invitee_participant_id for e in uow.of("plan.shared") if isinstance(e, PlanShared)] == ["p-dad"]


async def test_the_referral_delivered_again_changes_nothing():
    uow = FakeUnitOfWork()
    await handle(handlers, REFERRAL, uow)
    before = {pid: dict(p) for pid, p in uow.participants.items()}
    await handle(handlers, REFERRAL, uow)
    assert uow.participants == before and uow.events == []
