"""What a coordinator decides for their provider's parents (issue 28): who makes a follow-up call,
and approving the seat the allocator proposes for a waiting parent (booked now, not at the sweep's
next run). Another provider's records are not found; other roles are refused."""

from datetime import UTC, datetime, timedelta

from bson import ObjectId

from ptfc.testing.plugin import bearer, running
from workshops.app import create_app

BO = bearer("facilitator", "fac-bo", "action-for-children")
FA_STAFF = bearer("provider", "staff-fa", "family-action")


async def _call(app, participant_id: str, session_id: str, facilitator: str, status: str = "scheduled") -> str:
    """A follow-up call as workshops schedules one once a consenting parent attended."""
    call = {
        "_id": ObjectId(),
        "participant_id": participant_id,
        "referral_id": "r-f",
        "provider": "action-for-children",
        "session_id": session_id,
        "facilitator": facilitator,
        "due_by": datetime.now(UTC) + timedelta(weeks=6),
        "status": status,
        "created_at": datetime.now(UTC),
    }
    await app.state.rt.store.db["followups"].insert_one(call)
    return str(call["_id"])


async def _names(client, headers) -> list[str]:
    return [c["given_name"] for c in (await client.get("/follow-ups", headers=headers)).json()["items"]]


async def test_a_coordinator_gives_a_call_to_another_facilitator_of_their_provider_only(bus):
    app = create_app(bus.settings())
    async with running(app) as client:
        await bus.bookable(app, "r-f", bus.parent("fay"))
        body = {**bus.session_body(), "facilitators": ["fac-ann", "fac-bo"]}
        sid = (await client.post("/sessions", json=body, headers=bus.STAFF)).json()["id"]
        call = await _call(app, "fay", sid, "fac-ann")
        assert await _names(client, bus.ANN) == ["Given-fay"] and await _names(client, BO) == []

        path = f"/follow-ups/{call}/facilitator"
        given = await client.post(path, json={"facilitator": "fac-bo"}, headers=bus.STAFF)
        assert given.status_code == 200, given.text
        assert given.json()["facilitator"] == "fac-bo"
        assert await _names(client, BO) == ["Given-fay"] and await _names(client, bus.ANN) == []
        # Bo makes the call now; Ann no longer can.
        record = f"/follow-ups/{call}/outcome"
        assert (await client.post(record, json={"reached": False}, headers=bus.ANN)).status_code == 404

        # A name none of the provider's sessions has is refused, not a call sent to nobody.
        typo = await client.post(path, json={"facilitator": "fac-bob"}, headers=bus.STAFF)
        assert (typo.status_code, typo.json()["type"].rsplit("/", 1)[-1]) == (422, "not-a-facilitator")
        # Another provider's coordinator finds no such call; a facilitator or an FCA may not assign.
        assert (await client.post(path, json={"facilitator": "fac-bo"}, headers=FA_STAFF)).status_code == 404
        for who in (bus.ANN, BO, bearer("cafcass", "fca-1"), bus.me("fay")):
            assert (await client.post(path, json={"facilitator": "fac-ann"}, headers=who)).status_code == 403
        # A call made is not given away.
        assert (await client.post(record, json={"reached": False}, headers=BO)).status_code == 200
        made = await client.post(path, json={"facilitator": "fac-ann"}, headers=bus.STAFF)
        assert (made.status_code, made.json()["type"].rsplit("/", 1)[-1]) == (409, "followup-closed")


async def test_a_coordinator_approves_the_seat_the_allocator_proposes_and_only_that_one(bus):
    app = create_app(bus.settings(sweep_interval=timedelta(hours=1)), clock=bus.clock)  # no booking sweep meanwhile
    async with running(app) as client:
        await bus.bookable(app, "r-a", bus.parent("ava"))
        await bus.join_weekend_waitlist(client, "ava")
        sid = await bus.session_for(client, "ava", bus.weekend_start(), pattern="weekend")
        [waiting] = (await client.get("/providers/action-for-children/waitlist", headers=bus.STAFF)).json()
        assert waiting["proposed_session_id"] == sid

        path = "/providers/action-for-children/waitlist/ava/booking"
        other = (await client.post("/sessions", json=bus.session_body(), headers=bus.STAFF)).json()["id"]
        changed = await client.post(path, json={"session_id": other}, headers=bus.STAFF)  # not the one proposed
        assert (changed.status_code, changed.json()["type"].rsplit("/", 1)[-1]) == (409, "proposal-changed")
        fa = "/providers/family-action/waitlist/ava/booking"
        assert (await client.post(fa, json={"session_id": sid}, headers=FA_STAFF)).status_code == 404
        assert (await client.post(path, json={"session_id": sid}, headers=FA_STAFF)).status_code == 404
        for who in (bus.ANN, bus.me("ava"), bearer("cafcass", "fca-1")):
            assert (await client.post(path, json={"session_id": sid}, headers=who)).status_code == 403
        assert await bus.events("workshop.booked") == []

        approved = await client.post(path, json={"session_id": sid}, headers=bus.STAFF)
        assert approved.status_code == 201, approved.text
        [booked] = await bus.tap.wait_for("workshop.booked")
        assert (booked.data["participant_id"], booked.data["session_id"]) == ("ava", sid)
        assert (await client.get("/providers/action-for-children/waitlist", headers=bus.STAFF)).json() == []
        again = await client.post(path, json={"session_id": sid}, headers=bus.STAFF)  # no longer waiting
        assert again.status_code == 404
