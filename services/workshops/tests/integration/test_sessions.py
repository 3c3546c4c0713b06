"""Sessions as provider staff create and change them: shapes that cannot work are refused, each
with its own reason; changes keep the booked parents' seats."""

from datetime import timedelta

from ptfc.testing.plugin import running
from workshops.app import create_app


async def test_impossible_shapes_are_refused_each_with_its_own_problem(bus):
    async with running(create_app(bus.settings())) as client:
        example = bus.session_body()
        assert (await client.post("/sessions", json=example, headers=bus.STAFF)).status_code == 201
        monday = bus.day_at(10, 10, weekday=0)
        saturday_evening = bus.day_at(10, 18, weekday=5)
        one_part = dict(example, parts=example["parts"][:1])
        overlapping = bus.session_body(monday)
        overlapping["parts"][1]["starts_at"] = overlapping["parts"][0]["starts_at"]
        past = bus.session_body(bus.day_at(-3, 10))
        evenings = bus.session_body(saturday_evening, pattern="two_evenings")  # both parts on one evening
        for body, reason in [
            (dict(example, capacity=7), "capacity-too-large"),
            (one_part, "parts-not-two-halves"),
            (overlapping, "parts-overlap"),
            (past, "parts-in-past"),
            (bus.session_body(monday, pattern="weekend"), "weekend-not-on-weekend"),
            (evenings, "evenings-not-consecutive"),
            (dict(example, video_link=None), "video-link-required"),
            (dict(example, format="in_person", video_link=None), "venue-required"),
        ]:
            answer = await client.post("/sessions", json=body, headers=bus.STAFF)
            assert answer.status_code == 422 and answer.json()["type"].endswith(f"/{reason}"), (reason, answer.text)
        in_person = dict(example, format="in_person", video_link=None)
        in_person["venue"] = {"name": "Family Hub", "address": "1 High Street, Leeds", "postcode": "LS1 4AP"}
        made = await client.post("/sessions", json=in_person, headers=bus.STAFF)
        assert made.status_code == 201 and made.json()["venue"]["postcode"] == "LS1 4AP"
        assert made.json()["video_link"] is None
        assert (await client.post("/sessions", json=example, headers=bus.ANN)).status_code == 403


async def test_changes_keep_booked_seats_and_reminders_come_the_day_before_each_part(bus):
    app = create_app(bus.settings(), clock=bus.clock)
    async with running(app) as client:
        await bus.bookable(app, "r-p", bus.parent("pat"), bus.parent("lee"))
        start = bus.day_at(5, 10)
        sid = (await client.post("/sessions", json=bus.session_body(start), headers=bus.STAFF)).json()["id"]
        pat, lee = ("pat", "lee") if bus.eligible(sid, "pat") else ("lee", "pat")  # whose half it is books it
        assert (await client.post("/me/booking", json={"session_id": sid}, headers=bus.me(pat))).status_code == 201
        moved = bus.session_body(start + timedelta(days=1))["parts"]
        refused = await client.patch(f"/sessions/{sid}", json={"parts": moved}, headers=bus.STAFF)
        assert refused.status_code == 409 and refused.json()["type"].endswith("/session-has-bookings")
        changed = await client.patch(
            f"/sessions/{sid}", json={"capacity": 1, "facilitators": ["fac-ann", "fac-bob"]}, headers=bus.STAFF
        )
        assert changed.status_code == 200 and changed.json()["capacity"] == 1, changed.text
        offered = (await client.get("/me/sessions", headers=bus.me(lee))).json()["items"]
        assert offered == []
        too_small = await client.patch(f"/sessions/{sid}", json={"capacity": 7}, headers=bus.STAFF)
        assert too_small.status_code == 422

        bus.clock.advance(start - timedelta(hours=22) - bus.clock.now())  # the day before, after both parts' times
        reminders = await bus.tap.wait_for("workshop.reminder_due", count=2)
        assert {r.data["participant_id"] for r in reminders} == {pat}
        parts = [p["starts_at"] for p in bus.session_body(start)["parts"]]
        assert sorted(r.payload().starts_at.isoformat() for r in reminders) == parts
