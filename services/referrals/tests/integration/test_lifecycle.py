"""Withdrawal, the court's re-order of an incomplete course, and the 14-day activation chaser."""

from datetime import timedelta

from bson import ObjectId

from ptfc.testing.plugin import bearer, eventually
from referrals.sweeps import chase_activations

from .conftest import FCA, REQUEST

MANCHESTER = bearer("court", "clerk-m", court="Manchester Civil Justice Centre")
FAMILY_ACTION = bearer("provider", "staff-fa", provider="family-action")


async def test_withdrawal_stops_everything_and_is_incomplete_only_for_the_undecided(kit, tap):
    referral_id, (alex, chris) = await kit.referred()
    await kit.send("learning.completed", referral_id, alex)
    await kit.send("workshop.attended", referral_id, alex)
    await tap.wait_for("course.completed")

    path = f"/referrals/{referral_id}/withdraw"
    for who in (bearer("parent", "alex"), FAMILY_ACTION):
        assert (await kit.client.post(path, json={"reason": "x"}, headers=who)).status_code == 403
    assert (await kit.client.post(path, json={"reason": "x"}, headers=bearer("cafcass", "other"))).status_code == 404
    assert (await kit.client.post(path, json={}, headers=FCA)).status_code == 422

    headers = {**FCA, "Idempotency-Key": "w1"}
    done = await kit.client.post(path, json={"reason": "parties reconciled"}, headers=headers)
    again = await kit.client.post(path, json={"reason": "parties reconciled"}, headers=headers)
    assert done.status_code == again.status_code == 200 and done.json() == again.json()
    assert done.json()["status"] == "withdrawn"
    twice = await kit.client.post(path, json={"reason": "again"}, headers=MANCHESTER)
    assert twice.status_code == 409 and twice.json()["type"].endswith("/already-withdrawn")

    [withdrawn] = await tap.wait_for("referral.withdrawn")
    assert sorted(withdrawn.data["participant_ids"]) == sorted([alex, chris])
    assert "reconciled" not in withdrawn.model_dump_json()  # what the adviser typed stays on the referral
    [incomplete] = await tap.wait_for("course.incomplete")
    assert incomplete.data["participant_id"] == chris and incomplete.data["reason"] == "withdrawn"
    assert len(await tap.of("course.completed")) == 1

    kit.clock.advance(timedelta(days=15))  # no contact call and no chaser for a withdrawn referral
    due = await kit.client.get("/providers/family-action/contacts-due", headers=FAMILY_ACTION)
    assert due.json()["items"] == []
    assert await chase_activations(kit.app.state.rt) == 0
    view = await kit.view(referral_id, MANCHESTER)
    assert view["withdrawal_reason"] == "parties reconciled"
    assert [p["status"] for p in view["participants"]] == ["completed", "incomplete"]


async def test_the_court_reorders_an_incomplete_course_as_a_new_cycle(kit, tap):
    referral_id, (alex, chris) = await kit.referred()
    reorder = f"/referrals/{referral_id}/participants/{alex}/reorder"
    in_progress = await kit.client.post(reorder, headers=MANCHESTER)
    assert in_progress.status_code == 409 and in_progress.json()["type"].endswith("/cycle-in-progress")

    await kit.send("learning.deadline_missed", referral_id, alex)
    await tap.wait_for("course.incomplete")
    for who in (bearer("parent", "alex"), FAMILY_ACTION):
        assert (await kit.client.post(reorder, headers=who)).status_code == 403
    assert (await kit.client.post(f"{reorder}x", headers=MANCHESTER)).status_code == 404
    bad = await kit.client.post(reorder, json={"reason": "x", "cycle": 9}, headers=MANCHESTER)
    assert bad.status_code == 422

    headers = {**MANCHESTER, "Idempotency-Key": "r1"}
    first = await kit.client.post(reorder, json={"reason": "re-ordered at hearing"}, headers=headers)
    retry = await kit.client.post(reorder, json={"reason": "re-ordered at hearing"}, headers=headers)
    assert first.status_code == retry.status_code == 200 and first.json() == retry.json()
    assert first.json()["cycle"] == 2
    [reordered] = await tap.wait_for("referral.reordered")
    assert reordered.correlation_id == referral_id
    assert (reordered.data["participant_id"], reordered.data["cycle"]) == (alex, 2)
    assert (reordered.data["provider"], reordered.data["preferred_language"]) == ("family-action", "en")
    # While cycle 2 runs, this parent cannot be referred again for the case, nor re-ordered again.
    assert (await kit.refer()).status_code == 409
    assert (await kit.client.post(reorder, headers=FCA)).json()["type"].endswith("/cycle-in-progress")

    await kit.send("learning.completed", referral_id, alex)
    await kit.send("workshop.attended", referral_id, alex)
    [completed] = await tap.wait_for("course.completed")
    assert completed.data["participant_id"] == alex and completed.data["cycle"] == 2
    parent = await kit.parent(referral_id, alex)
    assert parent["cycle"] == 2 and parent["status"] == "completed"
    assert parent["past_cycles"][0]["outcome"]["reason"] == "elearning_deadline_missed"
    done = await kit.client.post(reorder, headers=MANCHESTER)
    assert done.status_code == 409 and done.json()["type"].endswith("/course-completed")
    chris_reorder = f"/referrals/{referral_id}/participants/{chris}/reorder"
    assert (await kit.client.post(chris_reorder, headers=bearer("court", "c", court="Leeds"))).status_code == 404


async def test_a_late_event_of_the_old_cycle_does_not_decide_the_new_one(kit, tap):
    referral_id, (alex, _) = await kit.referred()
    old_miss = kit.envelope("workshop.missed", referral_id, alex, misses=2, rebooking_offered=False)
    await kit.send("learning.deadline_missed", referral_id, alex)
    await tap.wait_for("course.incomplete")
    assert (await kit.client.post(f"/referrals/{referral_id}/participants/{alex}/reorder", headers=FCA)).is_success
    await kit.publish(old_miss)  # happened in cycle 1, delivered in cycle 2
    await eventually(lambda: kit.handled(old_miss))
    assert len(await tap.of("course.incomplete")) == 1
    parent = await kit.parent(referral_id, alex)
    assert parent["status"] == "referred"
    assert [e["cycle"] for e in parent["timeline"] if e["event"] == "workshop.missed"] == [1]


async def test_a_parent_not_activated_after_fourteen_days_is_chased_once(kit, tap):
    referral_id, (alex, chris) = await kit.referred()
    activated = await kit.send("account.activated", referral_id, chris)
    await eventually(lambda: kit.handled(activated))
    kit.clock.advance(timedelta(days=13))
    assert await chase_activations(kit.app.state.rt) == 0
    assert await kit.db.outbox.count_documents({"subject": "referral.activation_overdue"}) == 0

    kit.clock.advance(timedelta(days=1))
    [chaser] = await tap.wait_for("referral.activation_overdue")  # the service's own sweep found it
    assert chaser.data["participant_id"] == alex and chaser.data["provider"] == "family-action"
    assert chaser.data["days_since_referral"] == 14 and chaser.correlation_id == referral_id
    assert await chase_activations(kit.app.state.rt) == 0
    kit.clock.advance(timedelta(days=30))
    assert await chase_activations(kit.app.state.rt) == 0
    assert len(await tap.of("referral.activation_overdue")) == 1
    timeline = (await kit.parent(referral_id, alex))["timeline"]
    assert "referral.activation_overdue" in [e["event"] for e in timeline]


async def test_no_chaser_when_the_activation_arrives_in_time(kit):
    body = {**REQUEST, "parents": REQUEST["parents"][:1]}
    referral_id, (alex,) = await kit.referred(body)
    activated = await kit.send("account.activated", referral_id, alex)
    await eventually(lambda: kit.handled(activated))
    kit.clock.advance(timedelta(days=20))
    assert await chase_activations(kit.app.state.rt) == 0
    # The outbox, not the stream: a chaser the background sweep raised is there the moment it commits.
    assert await kit.db.outbox.count_documents({"subject": "referral.activation_overdue"}) == 0


async def test_a_parent_whose_chase_fails_does_not_hold_up_the_others(kit, tap):
    _, (alex, chris) = await kit.referred()
    # A damaged record makes Alex's chase fail; Alex comes first in the sweep's order.
    await kit.db.participants.update_one({"_id": ObjectId(alex)}, {"$set": {"cycle_started_at": "damaged"}})
    kit.clock.advance(timedelta(days=14))
    [chaser] = await tap.wait_for("referral.activation_overdue")
    assert chaser.data["participant_id"] == chris
    assert (await kit.db.participants.find_one({"_id": ObjectId(alex)}))["chaser_due_at"] is not None  # still due
