"""A parent's session ends when it should, for every service: signing out, a withdrawal and a re-order
end it, and the short token refreshed from it stops working within its lifetime."""

import asyncio
from datetime import timedelta

from learning.app import create_app
from ptfc.events import ReferralReordered, ReferralWithdrawn
from ptfc.testing.plugin import eventually, running


async def _activate(hub, client, referral_id: str, pid: str) -> dict:
    await hub.refer(referral_id, pid)
    answer = await client.post("/activate", json={"token": await hub.token(pid)})
    assert answer.status_code == 200, answer.text
    return answer.json()


def _bearer(session: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {session['access_token']}"}


async def test_a_signed_out_session_refreshes_no_more_and_its_token_runs_out(hub):
    async with running(create_app(hub.settings(parent_access_ttl=timedelta(seconds=2)))) as client:
        session = await _activate(hub, client, "r-s1", "pa")
        assert session["expires_in"] == 2 and session["refresh_token"] and session["session_expires_at"]
        secret = {"refresh_token": session["refresh_token"]}

        fresh = await client.post("/sessions/refresh", json=secret)
        assert fresh.status_code == 200 and fresh.json()["expires_in"] == 2 and "refresh_token" not in fresh.json()
        assert (await client.get("/me/course", headers=_bearer(fresh.json()))).status_code == 200

        assert (await client.post("/sessions/end", json=secret)).status_code == 204
        refused = await client.post("/sessions/refresh", json=secret)
        assert refused.status_code == 401 and refused.json()["type"].endswith("/session-ended")
        assert (await client.post("/sessions/end", json=secret)).status_code == 204  # ending again: the same

        await asyncio.sleep(2.2)  # the last token handed out runs out: signed out everywhere
        assert (await client.get("/me/course", headers=_bearer(fresh.json()))).status_code == 401


async def test_a_withdrawal_and_a_re_order_end_the_session(hub):
    async with running(create_app(hub.settings())) as client:
        alex = await _activate(hub, client, "r-s2", "pa")
        sam = await _activate(hub, client, "r-s3", "pb")

        await hub.publish(ReferralWithdrawn(referral_id="r-s2", participant_ids=[]))

        async def ended(session: dict) -> bool:
            answer = await client.post("/sessions/refresh", json={"refresh_token": session["refresh_token"]})
            return answer.status_code == 401

        await eventually(lambda: ended(alex))

        await hub.publish(ReferralReordered(referral_id="r-s3", participant_id="pb", cycle=2, provider="family-action"))
        await eventually(lambda: ended(sam))


async def test_an_unknown_secret_refreshes_nothing(hub):
    async with running(create_app(hub.settings())) as client:
        for body in ({"refresh_token": "made-up"}, {"refresh_token": ""}, {}):
            answer = await client.post("/sessions/refresh", json=body)
            assert answer.status_code in (401, 422) and answer.headers["content-type"] == "application/problem+json"
