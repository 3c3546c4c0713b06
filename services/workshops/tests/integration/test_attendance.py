"""Attendance: both parts attended is `workshop.attended` once (then final); a miss is sent when
the session closes, offers one rebooking, and a second miss ends in `course.incomplete`."""

from datetime import timedelta

from ptfc.events import LearningCompleted, ReferralReordered
from ptfc.testing.plugin import bearer, eventually, running
from ptfc.testing.referrals import referral_body
from referrals.app import create_app as referrals_app
from referrals.config import Settings as ReferralsSettings
from workshops.app import create_app

FCA = bearer("cafcass", "fca-sam-patel")


def start_after(bus, days: int):
    return (bus.clock.now() + timedelta(days=days)).replace(hour=10, minute=0, second=0, microsecond=0)


async def book_new(bus, client, pid: str, days: int = 5) -> tuple[str, object]:
    start = start_after(bus, days)
    sid = await bus.session_for(client, pid, start)
    booked = await client.post("/me/booking", json={"session_id": sid}, headers=bus.me(pid))
    assert booked.status_code == 201, booked.text
    return sid, start


async def mark(bus, client, sid: str, pid: str, part: int, status: str):
    body = {"participant_id": pid, "part": part, "status": status}
    return await client.post(f"/sessions/{sid}/attendance", json=body, headers=bus.ANN)


async def test_both_parts_attended_is_sent_once_then_final_and_consent_gates_the_call(bus):
    app = create_app(bus.settings(attendance_window="PT1H", followup_one_in=1, min_cell=1), clock=bus.clock)
    async with running(app) as client:
        await bus.bookable(app, "r-a", bus.parent("yes"), bus.parent("no"))
        assert (
            await client.put("/me/follow-up-consent", json={"consent": True}, headers=bus.me("yes"))
        ).status_code == 200
        sid, start = await book_new(bus, client, "yes")
        other, other_start = await book_new(bus, client, "no", days=6)

        # Before the cut-off the parent may cancel online; past it (by this service's clock), not.
        assert (await client.get("/me/booking", headers=bus.me("yes"))).json()["cancellable"] is True
        early = await mark(bus, client, sid, "yes", 1, "attended")
        assert early.status_code == 409 and early.json()["type"].endswith("/part-not-started")
        bus.clock.advance(start + timedelta(hours=2, minutes=50) - bus.clock.now())
        stranger = await client.post(
            f"/sessions/{sid}/attendance",
            json={"participant_id": "yes", "part": 1, "status": "attended"},
            headers=bearer("facilitator", "fac-bob", "action-for-children"),
        )
        assert stranger.status_code == 404
        assert (await mark(bus, client, sid, "yes", 1, "attended")).json()["status"] == "booked"
        # Part 1 done: the parent's own booking says which part (the hub's "part 1 attended").
        mine = (await client.get("/me/booking", headers=bus.me("yes"))).json()
        assert (mine["status"], mine["parts"], mine["cancellable"]) == ("booked", {"1": "attended"}, False)
        done = await mark(bus, client, sid, "yes", 2, "attended")
        assert done.status_code == 200 and done.json()["status"] == "attended"
        assert (await mark(bus, client, sid, "yes", 2, "attended")).status_code == 200  # the same again: once
        late = await mark(bus, client, sid, "yes", 1, "missed")
        assert late.status_code == 409 and late.json()["type"].endswith("/attendance-final")
        # The parent's own page: attended (it was a 404, and the hub offered a booking again).
        mine = await client.get("/me/booking", headers=bus.me("yes"))
        assert mine.status_code == 200 and mine.json()["status"] == "attended" and mine.json()["misses"] == 0
        assert mine.json()["parts"] == {"1": "attended", "2": "attended"}
        gone = await client.delete("/me/booking", headers=bus.me("yes"))
        assert gone.status_code == 404 and gone.json()["type"].endswith("/no-booking")
        [attended] = await bus.tap.wait_for("workshop.attended")
        assert attended.data["participant_id"] == "yes"

        # The co-parent did not consent: attended, but no call.
        bus.clock.advance(other_start + timedelta(hours=2, minutes=50) - bus.clock.now())
        for part in (1, 2):
            assert (await mark(bus, client, other, "no", part, "attended")).status_code == 200
        await bus.tap.wait_for("workshop.attended", count=2)
        [call] = await bus.tap.wait_for("followup.scheduled")
        assert call.data["participant_id"] == "yes"
        assert [e.data["participant_id"] for e in await bus.events("followup.scheduled")] == ["yes"]
        bus.clock.advance(timedelta(hours=2))  # both sessions close: nobody missed
        await eventually(lambda: _closed(app, sid, other), timeout=10)
        assert await bus.events("workshop.missed") == []

        # The facilitator records the call; the provider sees aggregates only.
        [row] = (await client.get("/follow-ups", headers=bus.ANN)).json()["items"]
        answers = {"argue_in_front": 1, "discipline": 0, "verbal_hostility": 2, "complaints": 1, "money": 0}
        bad = await client.post(
            f"/follow-ups/{row['id']}/outcome", json={"reached": True, "answers": {}}, headers=bus.ANN
        )
        assert bad.status_code == 422
        body = {"reached": True, "answers": answers}
        outcome = await client.post(f"/follow-ups/{row['id']}/outcome", json=body, headers=bus.ANN)
        assert outcome.status_code == 200 and outcome.json()["status"] == "completed"
        await bus.tap.wait_for("followup.completed")
        stats = (await client.get(f"/providers/{'action-for-children'}/follow-up-outcomes", headers=bus.STAFF)).json()
        assert stats["calls_made"] == 1 and stats["reach_rate"] == 1.0
        assert stats["items"]["verbal_hostility"]["counts"]["2"] == 1
        assert "yes" not in str(stats)
        other_provider = bearer("provider", "s", "family-action")
        url = "/providers/action-for-children/follow-up-outcomes"
        assert (await client.get(url, headers=other_provider)).status_code == 404


async def _closed(app, *sids) -> bool:
    from bson import ObjectId

    sessions = app.state.rt.store.db["sessions"]
    return await sessions.count_documents({"_id": {"$in": [ObjectId(s) for s in sids]}, "status": "closed"}) == len(
        sids
    )


REFERRAL = referral_body(court="Manchester Civil Justice Centre")


async def test_a_first_miss_offers_a_rebooking_and_a_second_ends_the_course(bus):
    referrals = referrals_app(bus.make_settings(ReferralsSettings))
    app = create_app(bus.settings(attendance_window="PT1H"), clock=bus.clock)
    async with running(referrals) as ref, running(app) as client:
        created = await ref.post("/referrals", json=REFERRAL, headers=FCA)
        assert created.status_code == 201, created.text
        rid = created.json()["id"]
        alex, chris = (p["participant_id"] for p in created.json()["participants"])
        bus.co_parents[alex] = {chris}  # referred by the referrals service, not by bus.refer
        await bus.learned(rid, alex)
        await bus.ready(app, alex)

        sid, start = await book_new(bus, client, alex)
        bus.clock.advance(start + timedelta(minutes=30) - bus.clock.now())
        assert (await mark(bus, client, sid, alex, 1, "missed")).status_code == 200
        assert (await mark(bus, client, sid, alex, 1, "attended")).status_code == 200  # a correction, before close
        assert (await mark(bus, client, sid, alex, 1, "left_early")).status_code == 200
        bus.clock.advance(timedelta(hours=4))  # closes: part 2 never recorded either
        [first] = await bus.tap.wait_for("workshop.missed")
        assert first.data["misses"] == 1 and first.data["rebooking_offered"] is True
        assert first.data["parts_attended"] == []  # part 1 left early: not attended
        closed = await mark(bus, client, sid, alex, 2, "attended")
        assert closed.status_code == 409 and closed.json()["type"].endswith("/session-closed")
        mine = (await client.get("/me/booking", headers=bus.me(alex))).json()  # one rebooking left
        assert mine["status"] == "missed" and mine["misses"] == 1

        sid2, start2 = await book_new(bus, client, alex)  # the one rebooking

        async def rebooked_event() -> list:
            return [e for e in await bus.events("workshop.booked") if e.data["session_id"] == sid2]

        [rebooked] = await eventually(rebooked_event)
        assert rebooked.data["rebooking"] is True
        bus.clock.advance(start2 + timedelta(hours=3) - bus.clock.now())
        assert (await mark(bus, client, sid2, alex, 1, "attended")).status_code == 200
        assert (await mark(bus, client, sid2, alex, 2, "missed")).status_code == 200
        bus.clock.advance(timedelta(hours=2))
        second = (await bus.tap.wait_for("workshop.missed", count=2))[1]
        assert second.data["misses"] == 2 and second.data["rebooking_offered"] is False
        assert second.data["parts_attended"] == [1]  # the letter must not say she was not there at all
        [incomplete] = await bus.tap.wait_for("course.incomplete", timeout=20)
        assert incomplete.data["participant_id"] == alex and incomplete.data["reason"] == "workshop_missed"
        assert len(await bus.events("workshop.missed")) == 2
        third = await client.post("/me/booking", json={"session_id": sid2}, headers=bus.me(alex))
        assert third.status_code == 409 and third.json()["type"].endswith("/no-more-rebooking")
        mine = (await client.get("/me/booking", headers=bus.me(alex))).json()
        assert mine["status"] == "missed" and mine["misses"] == 2 and mine["id"] == rebooked.data["booking_id"]

        # The court re-orders the course: after the e-learning again, the parent may book again.
        again = ReferralReordered(referral_id=rid, participant_id=alex, cycle=2, provider="action-for-children")
        await bus.publish(again, "referrals")

        async def reopened():
            answer = await client.post("/me/booking", json={"session_id": sid2}, headers=bus.me(alex))
            return answer.json()["type"].endswith("/learning-not-complete")

        await eventually(reopened, timeout=20)
        assert (await client.get("/me/booking", headers=bus.me(alex))).status_code == 404  # a new cycle
        done = LearningCompleted(
            referral_id=rid, participant_id=alex, enrolment_id="e-2", cycle=2, completed_at=bus.clock.now()
        )
        await bus.publish(done, "learning")
        await bus.ready(app, alex)
        sid3, _ = await book_new(bus, client, alex)
        [fresh] = [e for e in await bus.events("workshop.booked") if e.data["session_id"] == sid3]
        assert fresh.data["rebooking"] is False
