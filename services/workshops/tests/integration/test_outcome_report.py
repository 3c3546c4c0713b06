"""The follow-up outcome measure per provider, region and month (issue 28): the parent's region,
heard from `referral.created`, goes with their call; a cell of fewer than 5 calls shows no count, rate
or score; a provider sees their own provider's rows, Cafcass every provider's, nobody else any."""

from datetime import timedelta

from bson import ObjectId

from ptfc.testing.plugin import bearer, running
from workshops.app import create_app

from .test_attendance import book_new, mark

FCA = bearer("cafcass", "fca-1")
ANSWERS = {"argue_in_front": 1, "discipline": 0, "verbal_hostility": 2, "complaints": 1, "money": 0}  # score 0.8


async def _made(app, provider: str, region: str, when, count: int) -> None:
    """`count` calls made, each reached with every answer 'sometimes' (score 2)."""
    calls = [
        {
            "_id": ObjectId(),
            "participant_id": f"p-{ObjectId()}",
            "referral_id": "r-other",
            "provider": provider,
            "region": region,
            "facilitator": "fac-ann",
            "status": "completed",
            "reached": True,
            "answers": dict.fromkeys(ANSWERS, 2),
            "completed_at": when,
        }
        for _ in range(count)
    ]
    await app.state.rt.store.db["followups"].insert_many(calls)


async def test_outcomes_per_provider_region_and_month_small_cells_suppressed(bus):
    app = create_app(bus.settings(attendance_window="PT1H", followup_one_in=1), clock=bus.clock)
    async with running(app) as client:
        # A real call: Ola (referred in Greater Manchester) attends both parts and is called.
        await bus.bookable(app, "r-o", bus.parent("ola"))
        assert (await client.put("/me/follow-up-consent", json={"consent": True}, headers=bus.me("ola"))).is_success
        sid, start = await book_new(bus, client, "ola")
        bus.clock.advance(start + timedelta(hours=2, minutes=50) - bus.clock.now())
        for part in (1, 2):
            assert (await mark(bus, client, sid, "ola", part, "attended")).status_code == 200
        await bus.tap.wait_for("followup.scheduled")
        [call] = (await client.get("/follow-ups", headers=bus.ANN)).json()["items"]
        body = {"reached": True, "answers": ANSWERS}
        assert (await client.post(f"/follow-ups/{call['id']}/outcome", json=body, headers=bus.ANN)).is_success
        made = (await app.state.rt.store.db["followups"].find_one({"participant_id": "ola"}))["completed_at"]
        month = made.strftime("%Y-%m")
        query = {"since": month, "until": month}

        # One call in its cell: the row is there, every number in it suppressed.
        [row] = (await client.get("/reports/follow-up-outcomes", params=query, headers=bus.STAFF)).json()["rows"]
        assert (row["provider"], row["region"], row["month"]) == ("action-for-children", "greater-manchester", month)
        assert [row[k] for k in ("calls_made", "reached", "reach_rate", "answered", "mean_score")] == [None] * 5

        # Four more calls in the same cell make five: counts, the rate and the mean score are shown.
        await _made(app, "action-for-children", "greater-manchester", made, 4)
        await _made(app, "action-for-children", "essex", made, 2)
        await _made(app, "family-action", "liverpool", made, 6)
        rows = (await client.get("/reports/follow-up-outcomes", params=query, headers=bus.STAFF)).json()["rows"]
        cells = {(r["provider"], r["region"]): r for r in rows}
        assert set(cells) == {("action-for-children", "essex"), ("action-for-children", "greater-manchester")}
        full = cells[("action-for-children", "greater-manchester")]
        assert (full["calls_made"], full["reached"], full["reach_rate"], full["answered"]) == (5, 5, 1.0, 5)
        assert full["mean_score"] == round((0.8 + 4 * 2) / 5, 2)
        assert cells[("action-for-children", "essex")]["calls_made"] is None  # 2: fewer than 5

        # Cafcass sees every provider's; another provider's staff only theirs; nobody else any.
        every = (await client.get("/reports/follow-up-outcomes", params=query, headers=FCA)).json()["rows"]
        assert {r["provider"] for r in every} == {"action-for-children", "family-action"}
        fa = bearer("provider", "staff-fa", "family-action")
        [theirs] = (await client.get("/reports/follow-up-outcomes", params=query, headers=fa)).json()["rows"]
        assert (theirs["provider"], theirs["calls_made"]) == ("family-action", 6)
        for who in (bus.ANN, bus.me("ola"), bearer("ops", "ops-1")):
            assert (await client.get("/reports/follow-up-outcomes", params=query, headers=who)).status_code == 403
        backwards = {"since": "2031-05", "until": "2031-01"}
        answer = await client.get("/reports/follow-up-outcomes", params=backwards, headers=bus.STAFF)
        assert (answer.status_code, answer.json()["type"].rsplit("/", 1)[-1]) == (422, "bad-range")
