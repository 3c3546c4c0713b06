"""The write rules of referrals (intake, withdrawal, re-order, contact, chaser, following a parent)
against an in-memory unit of work: what is saved and what is emitted, with no servers."""

import copy
from datetime import timedelta

import pytest

from ptfc.events import CourseCompleted, CourseIncomplete, ReferralCreated, ReferralKeys, ReferralReordered
from ptfc.testing.referrals import person, referral_body
from referrals import domain
from referrals.schemas import NewReferral

from .fakes import FakeUnitOfWork, Timings

# A Manchester court order (Family Action's area) for Alex and Chris Jones, its case number in lower case.
FORM = referral_body(
    person("Alex", "Jones", "alex@example.org", "07700900001"),
    person("Chris", "Jones", "chris@example.org", "07700900002"),
    case_number="ma24p00123",
    court="Manchester Civil Justice Centre",
    region="Greater Manchester",
)
KEYS = ["key-alex", "key-chris"]
SEALING = ReferralKeys.development()


def form(**changes) -> NewReferral:
    return NewReferral.model_validate({**copy.deepcopy(FORM), **changes})


async def referred(uow: FakeUnitOfWork, **changes) -> tuple[dict, list[dict]]:
    return await domain.intake(uow, form(**changes), "fca-sam", KEYS, Timings(), SEALING)


async def refused(call) -> str:
    with pytest.raises(domain.Refused) as caught:
        await call
    return caught.value.reason


async def test_intake_keeps_no_contact_details_and_sets_each_parents_clocks():
    uow = FakeUnitOfWork()
    referral, _ = await referred(uow)
    assert referral["case_number"] == "MA24P00123" and referral["provider"] == "family-action"
    stored = list(uow.participants.values())
    assert [p["email_key"] for p in stored] == KEYS
    assert "alex@example.org" not in repr(stored) and "07700900001" not in repr(stored)
    alex, chris = stored
    assert alex["co_parent_id"] == chris["_id"] and chris["co_parent_id"] == alex["_id"]
    assert alex["contact_due_at"] == uow.clock + timedelta(days=1)
    assert alex["chaser_due_at"] == uow.clock + timedelta(days=14)
    [(created, correlation)] = uow.events
    assert isinstance(created, ReferralCreated) and correlation == referral["_id"]
    # v2: the contact details travel sealed, for notifications alone
    assert "alex@example.org" not in created.model_dump_json()
    contacts = created.contacts(SEALING.contact_seal_key)
    assert [p.email for p in contacts] == ["alex@example.org", "chris@example.org"]


async def test_intake_refuses_the_same_parent_twice_and_a_parent_already_in_a_cycle():
    uow = FakeUnitOfWork()
    twice = domain.intake(uow, form(), "fca-sam", ["same", "same"], Timings(), SEALING)
    assert await refused(twice) == "same-parent-twice"
    first, _ = await referred(uow)
    with pytest.raises(domain.Refused) as caught:
        await referred(uow)
    assert caught.value.reason == "parent-already-referred"
    assert caught.value.facts == {"existing_referral_id": first["_id"]}
    assert len(uow.referrals) == 1 and uow.emitted() == ["referral.created"]


async def test_intake_refuses_wales_before_writing_anything():
    uow = FakeUnitOfWork()
    assert await refused(referred(uow, region="Cardiff")) == "wales-out-of-scope"
    assert not uow.referrals and not uow.events


async def test_withdrawal_ends_each_open_cycle_incomplete_and_stops_the_clocks():
    uow = FakeUnitOfWork()
    referral, _ = await referred(uow)
    await domain.withdraw(uow, referral["_id"], "the parents reconciled")
    assert uow.referrals[referral["_id"]]["status"] == "withdrawn"
    for parent in uow.participants.values():
        assert parent["outcome"]["reason"] == "withdrawn" and not parent["active"]
        assert parent["contact_due_at"] is None and parent["chaser_due_at"] is None
        assert [e["event"] for e in parent["timeline"]][-2:] == ["course.incomplete", "referral.withdrawn"]
    assert uow.emitted() == ["referral.created", "referral.withdrawn", "course.incomplete", "course.incomplete"]
    assert await refused(domain.withdraw(uow, referral["_id"], "again")) == "already-withdrawn"


async def test_a_settled_outcome_is_not_decided_again_by_a_withdrawal():
    uow = FakeUnitOfWork()
    referral, (alex, _) = await referred(uow)
    await follow(uow, alex, "learning.deadline_missed", deadline=uow.clock, modules_completed=3)
    await domain.withdraw(uow, referral["_id"], "")
    incomplete = [e for e, _ in uow.events if isinstance(e, CourseIncomplete)]
    assert [(e.participant_id, e.reason) for e in incomplete] == [
        (alex["_id"], "elearning_deadline_missed"),
        (incomplete[1].participant_id, "withdrawn"),
    ]
    assert incomplete[1].participant_id != alex["_id"]


async def follow(uow: FakeUnitOfWork, parent: dict, event_type: str, **data) -> bool:
    ids = {"referral_id": parent["referral_id"], "participant_id": parent["_id"]}
    return await domain.follow(uow, event_type, {**ids, **data}, uow.now(), parent["referral_id"])


async def test_the_outcome_is_completed_by_both_parts_in_either_order_once():
    uow = FakeUnitOfWork()
    referral, (alex, chris) = await referred(uow)
    at = uow.clock
    await follow(uow, alex, "workshop.attended", attended_at=at)
    await follow(uow, alex, "learning.completed", completed_at=at)
    await follow(uow, alex, "learning.completed", completed_at=at)
    completed = [e for e, _ in uow.events if isinstance(e, CourseCompleted)]
    assert [e.participant_id for e in completed] == [alex["_id"]]
    assert uow.referrals[referral["_id"]]["status"] == "active"  # Chris is still on the course
    await follow(uow, chris, "learning.deadline_missed", deadline=at, modules_completed=2)
    assert uow.referrals[referral["_id"]]["status"] == "incomplete"


async def test_an_event_for_an_unknown_parent_changes_nothing():
    uow = FakeUnitOfWork()
    _, (alex, _) = await referred(uow)
    before = copy.deepcopy(uow.participants)
    assert not await follow(uow, {**alex, "referral_id": "another-referral"}, "account.activated")
    assert uow.participants == before


async def test_only_an_incomplete_course_is_reordered_and_a_new_cycle_starts():
    uow = FakeUnitOfWork()
    referral, (alex, _) = await referred(uow)
    reorder = domain.reorder(uow, referral["_id"], alex["_id"], Timings())
    assert await refused(reorder) == "cycle-in-progress"
    await follow(uow, alex, "account.activated")
    await follow(uow, alex, "learning.deadline_missed", deadline=uow.clock, modules_completed=1)
    uow.clock += timedelta(days=30)
    parent = await domain.reorder(uow, referral["_id"], alex["_id"], Timings())
    assert parent["cycle"] == 2 and parent["active"] and parent["outcome"] is None and parent["progress"] == {}
    assert parent["past_cycles"][0]["outcome"]["reason"] == "elearning_deadline_missed"
    assert parent["contact_due_at"] == uow.clock + timedelta(days=1)
    assert parent["chaser_due_at"] is None  # activated before: the account exists
    reordered = uow.events[-1][0]
    assert isinstance(reordered, ReferralReordered) and reordered.cycle == 2
    assert uow.referrals[referral["_id"]]["status"] == "active"


async def test_a_reorder_is_refused_when_the_parent_is_already_in_another_cycle():
    uow = FakeUnitOfWork()
    referral, (alex, _) = await referred(uow)
    await follow(uow, alex, "learning.deadline_missed", deadline=uow.clock, modules_completed=0)
    other, _ = await domain.intake(uow, form(), "fca-sam", ["key-alex", "key-new"], Timings(), SEALING)
    with pytest.raises(domain.Refused) as caught:
        await domain.reorder(uow, referral["_id"], alex["_id"], Timings())
    assert caught.value.reason == "parent-already-referred"
    assert caught.value.facts["existing_referral_id"] == other["_id"]


async def test_a_withdrawn_referral_or_an_unknown_parent_is_not_reordered():
    uow = FakeUnitOfWork()
    referral, (alex, _) = await referred(uow)
    with pytest.raises(domain.Unknown):
        await domain.reorder(uow, referral["_id"], "no-such-parent", Timings())
    await domain.withdraw(uow, referral["_id"], "")
    assert await refused(domain.reorder(uow, referral["_id"], alex["_id"], Timings())) == "referral-withdrawn"


async def test_the_provider_call_is_marked_once_by_its_own_provider():
    uow = FakeUnitOfWork()
    _, (alex, _) = await referred(uow)
    with pytest.raises(domain.Unknown):
        await domain.mark_contacted(uow, "action-for-children", alex["_id"])
    first = await domain.mark_contacted(uow, "family-action", alex["_id"])
    uow.clock += timedelta(hours=1)
    again = await domain.mark_contacted(uow, "family-action", alex["_id"])
    assert again["contacted_at"] == first["contacted_at"] and again["contact_due_at"] is None


async def test_the_chaser_fires_once_when_due_and_never_after_activation():
    uow = FakeUnitOfWork()
    _, (alex, chris) = await referred(uow)
    await follow(uow, chris, "account.activated")
    assert not await domain.chase(uow, alex["_id"])  # not due yet
    uow.clock += timedelta(days=14)
    assert await domain.chase(uow, alex["_id"])
    assert not await domain.chase(uow, alex["_id"])
    assert not await domain.chase(uow, chris["_id"])
    [overdue] = [e for e, _ in uow.events if e.TYPE == "referral.activation_overdue"]
    assert overdue.participant_id == alex["_id"] and overdue.days_since_referral == 14


async def test_a_missed_deadline_reports_the_modules_done_even_before_their_own_events_arrive():
    uow = FakeUnitOfWork()
    _, (alex, _) = await referred(uow)
    await follow(uow, alex, "learning.deadline_missed", deadline=uow.clock, modules_completed=3)
    await follow(uow, alex, "module.completed", module=3, modules_completed=3)  # overtaken, arrives late
    [incomplete] = [e for e, _ in uow.events if isinstance(e, CourseIncomplete)]
    assert incomplete.modules_completed == 3
