"""The 10-day clock with its durations shrunk to seconds: reminders, expiry and the missed
deadline each fire once, with two replicas sweeping and across a restart of the service."""

from datetime import timedelta

from learning import content
from learning.app import create_app
from ptfc.events import ReferralReordered, ReferralWithdrawn
from ptfc.testing.plugin import bearer, eventually, running

FCA = bearer("cafcass", "fca-1")
ONE_QUIZ = {q.id: q.answer for q in content.module(1).activity.questions}


async def test_reminders_expiry_and_missed_deadline_fire_once_across_replicas_and_a_restart(hub):
    s = hub.settings(
        activation_ttl=timedelta(seconds=4),
        learning_window=timedelta(seconds=8),
        reminders=[timedelta(seconds=6), timedelta(seconds=3)],
    )
    async with running(create_app(s)) as one, running(create_app(s)):  # two replicas share the work
        await hub.refer("r-clock", "pc", "pd")
        await hub.refer("r-gone", "pw")
        await hub.wait("account.activation_issued", "pw")
        await hub.publish(ReferralWithdrawn(referral_id="r-gone", participant_ids=["pw"]))
        me = await hub.sign_in(one, "pc")
        assert (await one.post("/me/modules/1/complete", json={"answers": ONE_QUIZ}, headers=me)).status_code == 200
        await hub.wait("learning.deadline_approaching", "pc")
    async with running(create_app(s)):  # a restart: the due times are in the store
        await hub.wait("learning.deadline_missed", "pc", timeout=20)
        await hub.wait("learning.deadline_missed", "pd", timeout=20)

    for pid, modules in (("pc", 1), ("pd", 0)):
        [issued] = await hub.events("account.activation_issued", pid)
        reminders = await hub.events("learning.deadline_approaching", pid)
        [missed] = await hub.events("learning.deadline_missed", pid)
        assert len(reminders) == 2, pid
        assert {e.data["deadline"] for e in [issued, missed, *reminders]} == {issued.data["deadline"]}
        assert missed.data["modules_completed"] == modules and missed.correlation_id == "r-clock"
    # pc activated in time; pd never did, so only pd's link expired.
    assert [e.data["participant_id"] for e in await hub.events("account.activation_expired")] == ["pd"]
    # The withdrawn parent's clock stopped: nothing after the welcome letter.
    assert {e.type for e in await hub.tap.all() if e.data.get("participant_id") == "pw"} == {
        "account.activation_issued"
    }


async def test_an_extension_moves_the_deadline_and_rearms_the_reminders(hub):
    s = hub.settings(
        learning_window=timedelta(seconds=6),
        reminders=[timedelta(seconds=4), timedelta(seconds=2)],
        extension_unit=timedelta(seconds=4),  # one "day" of extension
    )
    async with running(create_app(s)) as client:
        await hub.refer("r-ext", "pe")
        await hub.refer("r-wit", "pv", fca_id="fca-2")  # a witness on the original timetable
        me = await hub.sign_in(client, "pe")
        [enrolment] = (await client.get("/enrolments", params={"referral_id": "r-ext"}, headers=FCA)).json()["items"]
        url = f"/enrolments/{enrolment['enrolment_id']}/extensions"

        for body in ({"days": 0, "reason": "x"}, {"days": 31, "reason": "x"}, {"days": 2}, {"days": 1, "reason": ""}):
            assert (await client.post(url, json=body, headers=FCA)).status_code == 422, body
        body = {"days": 1, "reason": "Parent in hospital"}
        assert (await client.post(url, json=body, headers=bearer("cafcass", "fca-2"))).status_code == 404
        assert (
            await client.post(url, json=body, headers=bearer("provider", "s", "action-for-children"))
        ).status_code == 403
        retry = {**FCA, "Idempotency-Key": "ext-1"}
        extended = await client.post(url, json=body, headers=retry)
        assert extended.status_code == 201
        assert (await client.post(url, json=body, headers=retry)).json() == extended.json()
        new_deadline = extended.json()["deadline"]
        view = (await client.get(f"/enrolments/{enrolment['enrolment_id']}", headers=FCA)).json()
        assert view["deadline"] == new_deadline and view["extensions"][0]["reason"] == "Parent in hospital"

        await hub.wait("learning.deadline_missed", "pv")
        assert await hub.events("learning.deadline_missed", "pe") == []
        ok = await client.post("/me/modules/1/complete", json={"answers": ONE_QUIZ}, headers=me)
        assert ok.status_code == 200  # still inside the extended window

        [missed] = await hub.wait("learning.deadline_missed", "pe")
        late = await client.post("/me/modules/2/complete", json={"answers": {"r1": "a", "r2": "b"}}, headers=me)
        assert late.status_code == 409 and late.json()["type"].endswith("/deadline-passed")
        closed = await client.post(url, json={"days": 1, "reason": "too late"}, headers=FCA)
        assert closed.status_code == 409 and closed.json()["type"].endswith("/enrolment-closed")

    assert missed.data["modules_completed"] == 1
    [event] = await hub.events("learning.extended")
    assert event.data["days"] == 1 and event.correlation_id == "r-ext"
    assert "hospital" not in event.model_dump_json()  # what the adviser typed stays on the enrolment
    same = {e.data["deadline"] for e in [event, missed, *await hub.events("learning.deadline_approaching", "pe")]}
    assert len(same) == 1  # the reminders were for the new deadline
    assert len(await hub.events("learning.deadline_approaching", "pe")) == 2


async def test_a_reorder_opens_one_new_cycle_with_a_fresh_link(hub):
    async with running(create_app(hub.settings())) as client:
        await hub.refer("r-re", "pa")
        me = await hub.sign_in(client, "pa")
        reorder = ReferralReordered(referral_id="r-re", participant_id="pa", cycle=2, provider="action-for-children")
        envelope = await hub.publish(reorder)
        await hub.publish(None, envelope, msg_id="again")
        await hub.publish(reorder)  # a second event for the same cycle
        await hub.wait("account.activation_issued", "pa", count=2)
        await eventually(hub.settled)

        links = await hub.events("account.activation_issued", "pa")
        assert [e.data["cycle"] for e in links] == [1, 2]
        page = (await client.get("/enrolments", params={"referral_id": "r-re"}, headers=FCA)).json()
        assert [(e["cycle"], e["status"]) for e in page["items"]] == [(1, "superseded"), (2, "active")]
        await hub.sign_in(client, "pa", nth=2)
        course = (await client.get("/me/course", headers=me)).json()
        assert course["cycle"] == 2
        # The first cycle's record is kept and the parent is shown it (the hub's "Your earlier course").
        assert [(o["cycle"], o["status"], o["modules_completed"]) for o in course["earlier"]] == [(1, "superseded", 0)]
