"""Booking: only after the e-learning, one at a time, never beyond capacity, never with a
co-parent, and a refusal that never tells where the co-parent is."""

import asyncio

from ptfc.events import ReferralWithdrawn
from ptfc.sealing import unseal
from ptfc.testing.plugin import bearer, eventually, running
from workshops.app import create_app


async def new_session(bus, client, **kw) -> str:
    created = await client.post("/sessions", json=bus.session_body(**kw), headers=bus.STAFF)
    assert created.status_code == 201, created.text
    return created.json()["id"]


async def test_booking_waits_for_the_e_learning_and_holds_one_booking_at_a_time(bus):
    app = create_app(bus.settings())
    async with running(app) as client:
        await bus.refer("r-1", bus.parent("p1"))
        s1, s2 = await new_session(bus, client), await new_session(bus, client)

        async def known():
            answer = await client.post("/me/booking", json={"session_id": s1}, headers=bus.me("p1"))
            return answer if answer.status_code != 404 else None

        early = await eventually(known, timeout=20)
        assert early.status_code == 409 and early.json()["type"].endswith("/learning-not-complete")

        await bus.learned("r-1", "p1")
        await bus.ready(app, "p1")
        booked = await client.post("/me/booking", json={"session_id": s1}, headers=bus.me("p1"))
        assert booked.status_code == 201, booked.text
        assert booked.json()["video_link"] == "https://video.example/abc"
        second = await client.post("/me/booking", json={"session_id": s2}, headers=bus.me("p1"))
        assert second.status_code == 409 and second.json()["type"].endswith("/already-booked")
        [event] = await bus.tap.wait_for("workshop.booked")
        assert event.data["participant_id"] == "p1" and event.data["session_id"] == s1
        assert event.version == 2 and event.data["has_video_link"] is True and len(event.data["parts"]) == 2
        # Partners read this event: the link travels sealed for notifications, never in clear.
        assert "video.example" not in event.model_dump_json() and "video_link" not in event.data
        assert unseal(bus.settings().link_seal_key, event.data["sealed_video_link"]) == "https://video.example/abc"

        # A parent sees only their own booking; another parent has none, and staff see seats, not names.
        assert (await client.get("/me/booking", headers=bus.me("p1"))).json()["id"] == booked.json()["id"]
        await bus.refer("r-2", bus.parent("p2"))
        await eventually(lambda: _known(app, "p2"), timeout=20)
        other = await client.get("/me/booking", headers=bus.me("p2"))
        assert other.status_code == 404 and "p1" not in other.text
        assert (await client.get(f"/sessions/{s1}", headers=bus.STAFF)).json()["booked"] == 1

        # Cancelling frees the seat and is told.
        cancelled = await client.delete("/me/booking", headers=bus.me("p1"))
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
        assert (await client.get(f"/sessions/{s1}", headers=bus.STAFF)).json()["booked"] == 0
        [gone] = await bus.tap.wait_for("workshop.cancelled")
        assert gone.data["reason"] == "parent_cancelled"


async def _known(app, pid: str) -> bool:
    return await app.state.rt.store.db["parents"].find_one({"_id": pid}) is not None


async def test_a_co_parents_session_is_not_offered_and_refused_exactly_like_a_full_one(bus):
    app = create_app(bus.settings())
    async with running(app) as client:
        await bus.refer(
            "r-co", bus.parent("alex", gender="female"), bus.parent("chris", gender="male", availability=["evening"])
        )
        await bus.refer("r-x", bus.parent("sam"))
        await bus.learned("r-co", "alex", "chris")
        await bus.learned("r-x", "sam")
        await bus.ready(app, "alex", "chris", "sam")
        # Each session is one co-parent's (domain.eligible): Alex's, and two of Chris's.
        theirs = await bus.session_for(client, "alex")
        full = await bus.session_for(client, "chris", capacity=1)
        free = await bus.session_for(client, "chris")
        before = await client.get("/me/sessions", headers=bus.me("chris"))
        co_before = await client.post("/me/booking", json={"session_id": theirs}, headers=bus.me("chris"))
        assert (
            await client.post("/me/booking", json={"session_id": theirs}, headers=bus.me("alex"))
        ).status_code == 201
        assert (await client.post("/me/booking", json={"session_id": full}, headers=bus.me("sam"))).status_code == 201

        offered = (await client.get("/me/sessions", headers=bus.me("chris"))).json()["items"]
        assert [s["id"] for s in offered] == [free]
        assert all("video_link" not in s and "booked" not in s for s in offered)
        # Alex's booking changed nothing Chris sees: the list lost only the session Sam filled ...
        assert [s["id"] for s in before.json()["items"]] == [full, free]

        co = await client.post("/me/booking", json={"session_id": theirs}, headers=bus.me("chris"))
        assert (co.status_code, co.content) == (co_before.status_code, co_before.content)  # ... nor the refusal
        upper = await client.post("/me/booking", json={"session_id": theirs.upper()}, headers=bus.me("chris"))
        assert (upper.status_code, upper.content) == (co.status_code, co.content)  # the id in capitals too
        packed = await client.post("/me/booking", json={"session_id": full}, headers=bus.me("chris"))
        unknown = await client.post("/me/booking", json={"session_id": "0" * 24}, headers=bus.me("chris"))
        assert co.status_code == packed.status_code == unknown.status_code == 409
        assert co.json() == packed.json() == unknown.json()
        assert co.json()["type"].endswith("/session-unavailable")
        assert co.headers["content-type"] == packed.headers["content-type"]
        assert (await client.post("/me/booking", json={"session_id": free}, headers=bus.me("chris"))).status_code == 201


async def test_twenty_parents_booking_six_seats_at_once_seat_exactly_six(bus):
    app = create_app(bus.settings(transaction_timeout="PT60S"))
    pids = [f"c{i}" for i in range(20)]
    async with running(app) as client:
        for pid in pids:
            await bus.refer(f"r-{pid}", bus.parent(pid))
        await bus.learned("x", *[])
        for pid in pids:
            await bus.learned(f"r-{pid}", pid)
        await bus.ready(app, *pids)
        sid = await new_session(bus, client)
        answers = await asyncio.gather(
            *(client.post("/me/booking", json={"session_id": sid}, headers=bus.me(pid)) for pid in pids)
        )
        codes = sorted(a.status_code for a in answers)
        assert codes == [201] * 6 + [409] * 14, [a.text for a in answers if a.status_code not in (201, 409)]
        assert all(a.json()["type"].endswith("/session-unavailable") for a in answers if a.status_code == 409)
        assert (await client.get(f"/sessions/{sid}", headers=bus.STAFF)).json()["booked"] == 6
        seated = await client.get(f"/sessions/{sid}/participants", headers=bus.ANN)
        assert len(seated.json()) == 6
        assert all(set(p) >= {"given_name", "language", "support_needs"} for p in seated.json())
        assert "@" not in seated.text and "07700" not in seated.text and "Family-" not in seated.text
        await bus.tap.wait_for("workshop.booked", count=6)
        assert len(await bus.events("workshop.booked")) == 6


async def test_a_withdrawal_frees_the_seat_for_the_next_parent(bus):
    app = create_app(bus.settings())
    async with running(app) as client:
        await bus.refer("r-w", bus.parent("w1"))
        await bus.refer("r-v", bus.parent("v1"))
        await bus.learned("r-w", "w1")
        await bus.learned("r-v", "v1")
        await bus.ready(app, "w1", "v1")
        sid = await new_session(bus, client, capacity=1)
        assert (await client.post("/me/booking", json={"session_id": sid}, headers=bus.me("w1"))).status_code == 201
        full = await client.post("/me/booking", json={"session_id": sid}, headers=bus.me("v1"))
        assert full.status_code == 409

        await bus.publish(ReferralWithdrawn(referral_id="r-w", participant_ids=[]), "referrals")
        [cancelled] = await bus.tap.wait_for("workshop.cancelled")
        assert cancelled.data["participant_id"] == "w1" and cancelled.data["reason"] == "referral_withdrawn"
        assert (await client.post("/me/booking", json={"session_id": sid}, headers=bus.me("v1"))).status_code == 201
        again = await client.post("/me/booking", json={"session_id": sid}, headers=bus.me("w1"))
        assert again.status_code == 409 and again.json()["type"].endswith("/course-closed")


async def test_staff_see_only_their_providers_sessions_and_facilitators_their_own(bus):
    async with running(create_app(bus.settings())) as client:
        sid = await new_session(bus, client)
        other = bearer("provider", "staff-9", "family-action")
        assert (await client.get(f"/sessions/{sid}", headers=other)).status_code == 404
        assert (await client.get("/sessions", headers=other)).json()["items"] == []
        assert (await client.get(f"/sessions/{sid}", headers=bus.ANN)).status_code == 200
        bob = bearer("facilitator", "fac-bob", "action-for-children")
        assert (await client.get(f"/sessions/{sid}", headers=bob)).status_code == 404
        assert (await client.get(f"/sessions/{sid}", headers=bus.me("p1"))).status_code == 404
        listed = await client.get("/sessions", params={"format": "online", "pattern": "daytime"}, headers=bus.STAFF)
        assert [s["id"] for s in listed.json()["items"]] == [sid]
        assert (await client.get("/sessions", params={"pattern": "weekend"}, headers=bus.STAFF)).json()["items"] == []


async def test_co_parents_booking_the_same_session_at_the_same_moment_never_share_it(bus):
    app = create_app(bus.settings(transaction_timeout="PT60S"))
    pairs = [(f"m{i}", f"f{i}") for i in range(4)]
    async with running(app) as client:
        for i, (a, b) in enumerate(pairs):
            await bus.refer(f"r-pair{i}", bus.parent(a), bus.parent(b))
            await bus.learned(f"r-pair{i}", a, b)
        await bus.ready(app, *[p for pair in pairs for p in pair])
        sessions = [await new_session(bus, client) for _ in pairs]
        racing = [
            client.post("/me/booking", json={"session_id": sid}, headers=bus.me(p))
            for sid, pair in zip(sessions, pairs, strict=True)
            for p in pair
        ]
        answers = await asyncio.gather(*racing)
        assert sorted(a.status_code for a in answers) == [201] * 4 + [409] * 4, [a.text for a in answers]
        for sid in sessions:
            seated = await client.get(f"/sessions/{sid}/participants", headers=bus.ANN)
            assert len(seated.json()) == 1


async def test_the_e_learning_may_be_heard_of_before_the_referral(bus):
    app = create_app(bus.settings(max_deliver=1))  # a handler that failed once would be parked
    async with running(app) as client:
        sid = await new_session(bus, client)
        await bus.learned("r-late", "late")
        await eventually(lambda: _known(app, "late"), timeout=20)
        early = await client.get("/me/sessions", headers=bus.me("late"))
        assert early.status_code == 404 and early.json()["type"].endswith("/not-referred")
        await bus.refer("r-late", bus.parent("late"))
        await bus.ready(app, "late")

        async def booked():
            answer = await client.post("/me/booking", json={"session_id": sid}, headers=bus.me("late"))
            return answer.status_code == 201

        await eventually(booked, timeout=20)
