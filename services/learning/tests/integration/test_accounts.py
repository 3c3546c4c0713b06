"""Accounts and activation links, against real JetStream and the MongoDB server."""

import asyncio
from datetime import timedelta

from learning.app import create_app
from learning.handlers import handlers
from ptfc.clock import FakeClock
from ptfc.events import Envelope, ReferralReordered, ReferralWithdrawn
from ptfc.handlers import Meta
from ptfc.testing.plugin import bearer, eventually, running

FCA = bearer("cafcass", "fca-1")
OTHER_FCA = bearer("cafcass", "fca-2")
PROVIDER = bearer("provider", "staff-1", provider="action-for-children")
OTHER_PROVIDER = bearer("provider", "staff-2", provider="family-action")


async def parked(client) -> list:
    return (await client.get("/ops/dead-letters", headers=bearer("ops", "ops-1"))).json()["items"]


async def test_one_account_and_one_link_per_parent_however_often_the_referral_arrives(hub):
    s = hub.settings()
    async with running(create_app(s)) as client:
        envelope = await hub.refer("r-1", "pa", "pb")
        await hub.publish(None, envelope, msg_id="redelivered")  # same event, not deduped by JetStream
        await hub.publish(hub.referral("r-1", ["pa", "pb"]))  # a new event for the same referral
        await hub.wait("account.activation_issued", "pa")
        await eventually(hub.settled)

        issued = await hub.events("account.activation_issued")
        assert sorted(e.data["participant_id"] for e in issued) == ["pa", "pb"]
        assert {e.correlation_id for e in issued} == {"r-1"}
        first = issued[0].data
        assert first["deadline"] > first["expires_at"] and first["reissue"] is False

        page = (await client.get("/enrolments", params={"referral_id": "r-1"}, headers=FCA)).json()
        assert [(e["participant_id"], e["status"], e["activation"]) for e in page["items"]] == [
            ("pa", "active", "pending"),
            ("pb", "active", "pending"),
        ]
        # Responses carry ids and progress, never the contact details the referral held.
        for secret in ("pa@parents.example", "Given-pa", "Family-pa", "07700900123", "fiona@cafcass.example"):
            assert secret not in str(page)

        assert (await client.get("/enrolments", params={"referral_id": "r-1"}, headers=PROVIDER)).json()["items"]
        for stranger in (OTHER_FCA, OTHER_PROVIDER):
            assert (await client.get("/enrolments", params={"referral_id": "r-1"}, headers=stranger)).json() == {
                "items": [],
                "next_cursor": None,
            }
            one = await client.get(f"/enrolments/{page['items'][0]['enrolment_id']}", headers=stranger)
            assert one.status_code == 404


async def test_a_link_activates_once(hub):
    s = hub.settings()
    async with running(create_app(s)) as client:
        await hub.refer("r-2", "pa")
        token = await hub.token("pa")

        first = await client.post("/activate", json={"token": token})
        assert first.status_code == 200
        session = {"Authorization": f"Bearer {first.json()['access_token']}"}
        assert (await client.get("/me/course", headers=session)).json()["modules_completed"] == 0

        again = await client.post("/activate", json={"token": token})
        assert again.status_code == 409 and again.json()["type"].endswith("/activation-link-used")
        unknown = await client.post("/activate", json={"token": "not-a-token-we-sent"})
        assert unknown.status_code == 404 and unknown.json()["type"].endswith("/activation-link-unknown")

        await hub.wait("account.activated", "pa")
        [enrolment] = (await client.get("/enrolments", params={"referral_id": "r-2"}, headers=FCA)).json()["items"]
        assert enrolment["activation"] == "activated"
    assert len(await hub.events("account.activated")) == 1


async def test_a_retried_activation_with_an_idempotency_key_signs_in_once(hub):
    app = create_app(hub.settings())
    async with running(app) as client:
        await hub.refer("r-3", "pa")
        body, key = {"token": await hub.token("pa")}, {"Idempotency-Key": "tap-1"}
        first = await client.post("/activate", json=body, headers=key)
        retry = await client.post("/activate", json=body, headers=key)
        assert first.status_code == 200 and first.json()["access_token"]
        # The session token is not kept at rest, so a replay cannot hand it out again (issue 10).
        assert retry.status_code == 409 and retry.json()["type"].endswith("/credential-not-replayed")
        kept = await app.state.rt.store.db.idempotency.find().to_list()
        assert kept and first.json()["access_token"] not in str(kept)
        await hub.wait("account.activated", "pa")
    assert len(await hub.events("account.activated")) == 1


async def test_an_expired_link_says_how_to_get_a_new_one_and_expires_once(hub):
    clock = FakeClock()
    async with running(create_app(hub.settings(), clock=clock)) as client:
        await hub.refer("r-4", "pa")
        token = await hub.token("pa")
        clock.advance(timedelta(hours=72))

        expired = await client.post("/activate", json={"token": token})
        assert expired.status_code == 410
        problem = expired.json()
        assert problem["type"].endswith("/activation-link-expired") and "new link" in problem["detail"]

        [event] = await hub.wait("account.activation_expired", "pa")
        assert event.correlation_id == "r-4"
        [enrolment] = (await client.get("/enrolments", params={"referral_id": "r-4"}, headers=FCA)).json()["items"]
        assert enrolment["activation"] == "expired"

        # The FCA sends a new link; it works, the expired one still does not.
        reissued = await client.post(f"/enrolments/{enrolment['enrolment_id']}/activation", headers=FCA)
        assert reissued.status_code == 201
        await hub.sign_in(client, "pa", nth=2)
        assert (await client.post("/activate", json={"token": token})).status_code == 410
    assert len(await hub.events("account.activation_expired")) == 1


async def test_reissue_invalidates_the_older_link_and_only_the_fca_or_provider_may_reissue(hub):
    async with running(create_app(hub.settings())) as client:
        await hub.refer("r-5", "pa")
        old = await hub.token("pa")
        [enrolment] = (await client.get("/enrolments", params={"referral_id": "r-5"}, headers=FCA)).json()["items"]
        url = f"/enrolments/{enrolment['enrolment_id']}/activation"

        for stranger in (OTHER_FCA, OTHER_PROVIDER):
            assert (await client.post(url, headers=stranger)).status_code == 404
        assert (await client.post(url, headers=bearer("parent", "pa"))).status_code == 403
        issued = await client.post(url, headers=PROVIDER)
        assert issued.status_code == 201 and "token" not in str(issued.json())  # the link goes to the parent only

        replaced = await client.post("/activate", json={"token": old})
        assert replaced.status_code == 410 and replaced.json()["type"].endswith("/activation-link-replaced")
        await hub.sign_in(client, "pa", nth=2)
        [event] = [e for e in await hub.events("account.activation_issued") if e.data["reissue"]]
        assert event.data["enrolment_id"] == enrolment["enrolment_id"]


async def test_bad_activation_requests_get_clear_problems(hub):
    async with running(create_app(hub.settings())) as client:
        for body in ({}, {"token": ""}, {"token": "x" * 201}, {"token": 5}, {"token": "t", "email": "a@b.c"}):
            answer = await client.post("/activate", json=body)
            assert answer.status_code == 422, body
            assert answer.headers["content-type"] == "application/problem+json"
        broken = await client.post("/activate", content=b"{not json", headers={"content-type": "application/json"})
        assert broken.status_code == 400 and broken.json()["type"].endswith("/malformed-json")
        huge = await client.post("/activate", json={"token": "x" * 100_000})
        assert huge.status_code == 413 and huge.json()["type"].endswith("/body-too-large")

        async def streamed(chunks):  # no Content-Length: the size is only known by reading
            for chunk in chunks:
                yield chunk

        big = [b'{"token": "', *[b"x" * 1000] * 100, b'"}']
        json_type = {"content-type": "application/json"}
        chunked = await client.post("/activate", content=streamed(big), headers=json_type)
        assert chunked.status_code == 413
        small = await client.post("/activate", content=streamed([b'{"token": ', b'"abc"}']), headers=json_type)
        assert small.status_code == 404  # a small streamed body still reaches the route


async def test_withdrawal_closes_the_course_and_its_links(hub):
    async with running(create_app(hub.settings())) as client:
        await hub.refer("r-6", "pa", "pb")
        session = await hub.sign_in(client, "pa")
        pending = await hub.token("pb")
        await hub.publish(ReferralWithdrawn(referral_id="r-6", participant_ids=[]))

        async def withdrawn():
            return (await client.get("/me/course", headers=session)).json()["status"] == "withdrawn"

        await eventually(withdrawn)
        assert (await client.get("/me/course", headers=session)).json()["withdrawn"] is True
        refused = await client.post("/me/modules/1/progress", json={"section": 1}, headers=session)
        assert refused.status_code == 409 and refused.json()["type"].endswith("/course-withdrawn")
        link = await client.post("/activate", json={"token": pending})
        assert link.status_code == 410 and link.json()["type"].endswith("/activation-link-withdrawn")
        assert link.json()["title"] == "This course is no longer needed"  # the link is gone, not the course


async def test_a_withdrawal_that_overtakes_the_referral_still_stops_the_course(hub):
    """Each event type has its own consumer: the withdrawal may be handled before what it withdraws."""
    async with running(create_app(hub.settings())) as client:
        late_referral = Envelope.of(hub.referral("r-7", ["pa"]), correlation_id="r-7", producer="referrals")
        await hub.publish(ReferralWithdrawn(referral_id="r-7", participant_ids=[]))
        await eventually(hub.settled)
        await hub.publish(None, late_referral)  # made before the withdrawal, handled after it
        await eventually(hub.settled)
        assert (await client.get("/enrolments", params={"referral_id": "r-7"}, headers=FCA)).json()["items"] == []
        assert await hub.events("account.activation_issued", "pa") == []
        assert await parked(client) == []  # handled, not failed


async def test_a_re_order_overtaken_by_a_withdrawal_opens_nothing(hub):
    async with running(create_app(hub.settings())) as client:
        await hub.refer("r-8", "pa")
        await hub.wait("account.activation_issued", "pa")
        reorder = ReferralReordered(referral_id="r-8", participant_id="pa", cycle=2, provider="action-for-children")
        overtaken = Envelope.of(reorder, correlation_id="r-8", producer="referrals")
        await hub.publish(ReferralWithdrawn(referral_id="r-8", participant_ids=["pa"]))
        await eventually(hub.settled)
        await hub.publish(None, overtaken)
        await eventually(hub.settled)
        page = (await client.get("/enrolments", params={"referral_id": "r-8"}, headers=FCA)).json()
        assert [(e["cycle"], e["status"]) for e in page["items"]] == [(1, "withdrawn")]
        assert len(await hub.events("account.activation_issued", "pa")) == 1
        assert await parked(client) == []


async def test_a_referral_and_its_withdrawal_handled_at_the_same_moment_leave_no_open_course(hub):
    """Their transactions overlap: one must see the other, or a withdrawn parent's clock runs."""
    settings = hub.settings()
    app = create_app(settings)
    by_subject = {r.subject: r.handler for r in handlers.bind(settings=settings).registrations}
    referral = Envelope.of(hub.referral("r-9", ["pa"]), correlation_id="r-9", producer="referrals")
    withdrawal = Envelope.of(
        ReferralWithdrawn(referral_id="r-9", participant_ids=["pa"]),
        correlation_id="r-9",
        producer="referrals",
    )
    async with running(app) as client:
        store = app.state.rt.store
        withdrawing = asyncio.Event()

        async def enrol(tx):
            await by_subject["referral.created"](referral.payload(), Meta.of(referral), tx)
            withdrawing.set()
            await asyncio.sleep(0.3)  # still uncommitted while the withdrawal runs

        async def withdraw(tx):
            await withdrawing.wait()
            await by_subject["referral.withdrawn"](withdrawal.payload(), Meta.of(withdrawal), tx)

        await asyncio.gather(store.run(enrol), store.run(withdraw))
        page = (await client.get("/enrolments", params={"referral_id": "r-9"}, headers=FCA)).json()
        assert [e["status"] for e in page["items"]] in ([], ["withdrawn"])
