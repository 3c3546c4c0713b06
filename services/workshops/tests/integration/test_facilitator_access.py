"""A facilitator is known by (provider, subject) (issue 24, finding 4): a token naming the right
facilitator but issued for another provider is answered on every facilitator route exactly as a
stranger is, and never reads the roster (support needs included)."""

from ptfc.testing.plugin import bearer, running
from workshops.app import create_app

FAMILY_ACTION = "family-action"
STAFF = bearer("provider", "staff-fa", FAMILY_ACTION)
ANN = bearer("facilitator", "fac-ann", FAMILY_ACTION)
ANN_ELSEWHERE = bearer("facilitator", "fac-ann", "action-for-children")  # the same subject, another provider
STRANGER = bearer("facilitator", "fac-zed", FAMILY_ACTION)


async def test_a_facilitator_of_another_provider_with_the_right_subject_is_a_stranger(bus):
    app = create_app(bus.settings())
    async with running(app) as client:
        await bus.bookable(app, "r-fa", bus.parent("dee"), provider=FAMILY_ACTION)
        created = await client.post("/sessions", json=bus.session_body(), headers=STAFF)
        assert created.status_code == 201, created.text
        sid = created.json()["id"]
        assert (await client.post("/me/booking", json={"session_id": sid}, headers=bus.me("dee"))).status_code == 201

        roster = await client.get(f"/sessions/{sid}/participants", headers=ANN)
        assert roster.status_code == 200 and [p["participant_id"] for p in roster.json()] == ["dee"]

        mark = {"participant_id": "dee", "part": 1, "status": "attended"}
        concern = {"participant_id": "dee", "category": "other", "details": "Worried."}
        routes = [
            ("GET", f"/sessions/{sid}", None),
            ("GET", f"/sessions/{sid}/participants", None),
            ("GET", "/sessions", None),
            ("GET", "/follow-ups", None),
            ("POST", f"/sessions/{sid}/attendance", mark),
            ("POST", f"/sessions/{sid}/concerns", concern),
        ]
        for method, path, body in routes:
            stranger = await client.request(method, path, json=body, headers=STRANGER)
            elsewhere = await client.request(method, path, json=body, headers=ANN_ELSEWHERE)
            assert (elsewhere.status_code, elsewhere.json()) == (stranger.status_code, stranger.json()), path
            assert "dee" not in elsewhere.text and "Given-dee" not in elsewhere.text
        assert (await client.get("/sessions", headers=ANN)).json()["items"][0]["id"] == sid
        assert (await client.get("/sessions", headers=ANN_ELSEWHERE)).json()["items"] == []
