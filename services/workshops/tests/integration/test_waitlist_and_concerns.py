"""The waiting list books freed or new seats under the same rules (co-parents apart); concerns
reach the FCA by ids and category only, and every read of the details is recorded."""

from datetime import timedelta

from ptfc.testing.plugin import bearer, eventually, running
from workshops.app import create_app


async def test_waiting_co_parents_get_seats_but_never_the_same_session(bus):
    app = create_app(bus.settings(), clock=bus.clock)
    async with running(app) as client:
        await bus.bookable(app, "r-q", bus.parent("ann", gender="female"), bus.parent("ben", gender="male"))
        # One session in each co-parent's half (each session is one parent's: domain.eligible).
        first = await bus.session_for(client, "ann", bus.weekend_start(), pattern="weekend")
        second = await bus.session_for(client, "ben", bus.weekend_start() + timedelta(days=1), pattern="weekend")
        for pid in ("ann", "ben"):
            await bus.join_weekend_waitlist(client, pid)
        both = await bus.tap.wait_for("workshop.booked", count=2)
        assert {(e.data["participant_id"], e.data["session_id"]) for e in both} == {("ann", first), ("ben", second)}
        assert await _waiting(app, 0)
        # Cancelling a session cancels its booking and puts the parent back in the queue for another.
        cancelled = await client.post(f"/sessions/{first}/cancel", headers=bus.STAFF)
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
        [told] = await bus.tap.wait_for("workshop.cancelled")
        assert told.data["reason"] == "session_cancelled" and told.data["session_id"] == first
        await eventually(lambda: _waiting(app, 1), timeout=10)
        assert len(await bus.events("workshop.booked")) == 2  # the only other session is the co-parent's


async def _waiting(app, count: int) -> bool:
    return await app.state.rt.store.db["waitlist"].count_documents({}) == count


async def test_a_concern_alerts_by_ids_and_only_the_fca_reads_the_details_each_read_recorded(bus):
    app = create_app(bus.settings())
    async with running(app) as client:
        await bus.bookable(app, "r-s", bus.parent("kim"))
        sid = (await client.post("/sessions", json=bus.session_body(), headers=bus.STAFF)).json()["id"]
        assert (await client.post("/me/booking", json={"session_id": sid}, headers=bus.me("kim"))).status_code == 201
        details = "Said something at the break that worries me about the children's safety."
        body = {"participant_id": "kim", "category": "child_at_risk", "details": details}
        raised = await client.post(f"/sessions/{sid}/concerns", json=body, headers=bus.ANN)
        assert raised.status_code == 201, raised.text
        cid = raised.json()["id"]
        nobody = {**body, "participant_id": "someone-else"}
        assert (await client.post(f"/sessions/{sid}/concerns", json=nobody, headers=bus.ANN)).status_code == 422

        [alert] = await bus.tap.wait_for("safeguarding.concern_raised")
        assert alert.data["concern_id"] == cid and alert.data["category"] == "child_at_risk"
        assert "worries" not in alert.model_dump_json()

        for who in (
            bus.ANN,
            bus.STAFF,
            bearer("ops", "ops-1"),
            bearer("cafcass", "fca-2"),
            bus.me("kim"),
        ):
            assert (await client.get(f"/concerns/{cid}", headers=who)).status_code == 404
            assert (await client.get(f"/concerns/{cid}/reads", headers=who)).status_code == 404
        fca = bearer("cafcass", "fca-1")
        # The FCA's list of the referral's concerns names this one without its details, and is not a read.
        listed = await client.get("/concerns", params={"referral_id": "r-s"}, headers=fca)
        assert [(c["id"], c["category"]) for c in listed.json()] == [(cid, "child_at_risk")]
        assert "worries" not in listed.text
        assert (
            await client.get("/concerns", params={"referral_id": "r-s"}, headers=bearer("cafcass", "fca-2"))
        ).json() == []
        for who in (bus.ANN, bus.STAFF, bearer("ops", "ops-1"), bus.me("kim")):
            assert (await client.get("/concerns", params={"referral_id": "r-s"}, headers=who)).status_code == 403
        assert (await client.get(f"/concerns/{cid}/reads", headers=fca)).json() == []
        read = await client.get(f"/concerns/{cid}", headers=fca)
        assert read.status_code == 200 and read.json()["details"] == details
        await client.get(f"/concerns/{cid}", headers=fca)
        reads = (await client.get(f"/concerns/{cid}/reads", headers=fca)).json()
        assert [r["reader"] for r in reads] == ["fca-1", "fca-1"] and all(r["at"] for r in reads)


async def test_the_coordinator_sees_who_waits_and_the_seat_the_allocator_would_give_before_it_books(bus):
    app = create_app(bus.settings(sweep_interval=timedelta(hours=1)), clock=bus.clock)  # no booking sweep meanwhile
    async with running(app) as client:
        await bus.bookable(app, "r-w", bus.parent("wyn"))
        await bus.join_weekend_waitlist(client, "wyn")
        path = "/providers/action-for-children/waitlist"
        [waiting] = (await client.get(path, headers=bus.STAFF)).json()
        assert (waiting["given_name"], waiting["patterns"], waiting["proposed_session_id"]) == (
            "Given-wyn",
            ["weekend"],
            None,  # no session yet
        )
        assert "wyn@parents.example" not in str(waiting)
        sid = await bus.session_for(client, "wyn", bus.weekend_start(), pattern="weekend")
        [waiting] = (await client.get(path, headers=bus.STAFF)).json()
        assert waiting["proposed_session_id"] == sid
        assert await bus.events("workshop.booked") == []  # shown, not applied: asking books nothing
        other = bearer("provider", "staff-fa", "family-action")
        assert (await client.get(path, headers=other)).status_code == 404
        for who in (bus.ANN, bus.me("wyn"), bearer("cafcass", "fca-1")):
            assert (await client.get(path, headers=who)).status_code == 403
