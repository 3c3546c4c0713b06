"""Co-parent independence (issue 24): nothing one parent can see or time changes with what the
co-parent does. Alex books, cancels and books again across her sessions; after each step every
answer Chris can get (his list of sessions whole and page by page, his booking, his waiting list,
his consent, and his attempt to book each of Alex's sessions) is the same, byte for byte, as
before Alex did anything; and Chris's refusals take as long whether Alex is booked or not."""

import statistics
import time

from ptfc.testing.plugin import running
from workshops.app import create_app

UNKNOWN = "0" * 24


async def views(client, bus, pid: str, attempts: list[str]) -> list[tuple]:
    """Every answer `pid` can get from workshops without changing anything of theirs."""
    me = bus.me(pid)
    seen = []
    for params in ({}, {"pattern": "daytime"}, {"pattern": "weekend"}, {"format": "online"}):
        answer = await client.get("/me/sessions", params=params, headers=me)
        seen.append(("GET /me/sessions", str(params), answer.status_code, answer.content))
    cursor = None
    while True:  # page by page: the pages and their cursors too
        answer = await client.get(
            "/me/sessions", params={"limit": 2} | ({"cursor": cursor} if cursor else {}), headers=me
        )
        seen.append(("GET /me/sessions?limit=2", cursor, answer.status_code, answer.content))
        if not (cursor := answer.json().get("next_cursor")):
            break
    for path in ("/me/booking", "/me/waitlist", "/me/follow-up-consent"):
        answer = await client.get(path, headers=me)
        seen.append((f"GET {path}", None, answer.status_code, answer.content))
    for sid in [*attempts, UNKNOWN]:
        answer = await client.post("/me/booking", json={"session_id": sid}, headers=me)
        seen.append(("POST /me/booking", sid, answer.status_code, answer.content))
    return seen


async def sessions_of_both(bus, client, alex: str, chris: str, each: int) -> tuple[list[str], list[str]]:
    """At least `each` sessions in each co-parent's half, on different days and patterns."""
    halves: dict[str, list[str]] = {alex: [], chris: []}
    day = 0
    while min(len(h) for h in halves.values()) < each:
        day += 1
        weekend = day % 3 == 0
        start = bus.day_at(6 + day, 10, weekday=5 if weekend else None)
        body = bus.session_body(start, pattern="weekend" if weekend else "daytime")
        created = await client.post("/sessions", json=body, headers=bus.STAFF)
        assert created.status_code == 201, created.text
        sid = created.json()["id"]
        halves[alex if bus.eligible(sid, alex) else chris].append(sid)
    return halves[alex], halves[chris]


async def test_booking_cancelling_and_booking_again_changes_nothing_the_co_parent_sees(bus):
    app = create_app(bus.settings())
    async with running(app) as client:
        await bus.bookable(app, "r-ind", bus.parent("alex", gender="female"), bus.parent("chris", gender="male"))
        alexs, chriss = await sessions_of_both(bus, client, "alex", "chris", each=4)

        baseline = await views(client, bus, "chris", alexs)
        offered = [s["id"] for s in (await client.get("/me/sessions", headers=bus.me("chris"))).json()["items"]]
        assert offered == sorted(chriss) and not set(offered) & set(alexs)  # his half, all of it
        assert all(status == 409 for what, _, status, _ in baseline if what == "POST /me/booking")

        steps = []
        for sid in alexs:
            steps += [("book", sid), ("cancel", sid)]
        steps += [("book", alexs[0]), ("cancel", alexs[0]), ("book", alexs[-1])]
        for n, (step, sid) in enumerate(steps):
            if step == "book":
                answer = await client.post("/me/booking", json={"session_id": sid}, headers=bus.me("alex"))
                assert answer.status_code == 201, answer.text
            else:
                answer = await client.delete("/me/booking", headers=bus.me("alex"))
                assert answer.status_code == 200, answer.text
            now = await views(client, bus, "chris", alexs)
            changed = [(a[:3], b[:3]) for a, b in zip(baseline, now, strict=True) if a != b]
            assert now == baseline, f"after step {n} ({step} {sid}) Chris sees: {changed}"


async def test_a_refusal_takes_as_long_whether_or_not_the_co_parent_is_booked(bus):
    """200 refusals of Alex's session to Chris, alternating Alex booked and not: the two sets of
    times are one distribution within noise (medians within a generous factor, the middle halves
    overlapping). Interleaved, so a machine that slows down slows both alike."""
    app = create_app(bus.settings())
    async with running(app) as client:
        await bus.bookable(app, "r-time", bus.parent("alex"), bus.parent("chris"))
        alexs, _ = await sessions_of_both(bus, client, "alex", "chris", each=1)
        sid = alexs[0]  # "at least one" each: Alex's half may hold more by the time Chris's has one

        async def refusal() -> tuple[float, bytes]:
            started = time.perf_counter()
            answer = await client.post("/me/booking", json={"session_id": sid}, headers=bus.me("chris"))
            return time.perf_counter() - started, answer.content

        for _ in range(5):  # warm up
            await refusal()
        free, booked, bodies = [], [], set()
        for _ in range(100):
            took, body = await refusal()
            free.append(took)
            bodies.add(body)
            assert (
                await client.post("/me/booking", json={"session_id": sid}, headers=bus.me("alex"))
            ).status_code == 201
            took, body = await refusal()
            booked.append(took)
            bodies.add(body)
            assert (await client.delete("/me/booking", headers=bus.me("alex"))).status_code == 200

        assert len(bodies) == 1  # the same refusal, word for word
        q_free, q_booked = statistics.quantiles(free, n=4), statistics.quantiles(booked, n=4)
        ratio = statistics.median(booked) / statistics.median(free)
        assert 0.67 < ratio < 1.5, (ratio, q_free, q_booked)
        assert q_free[0] < q_booked[2] and q_booked[0] < q_free[2], (q_free, q_booked)
