"""The delivery log: FCAs see their own referrals' messages, operations see no personal data,
and a resend is one new message however often the request is retried."""

from notifications.app import create_app
from ptfc.testing.plugin import bearer, eventually, running

from .conftest import ALEX, referral
from .test_welcome import activation

OPS = bearer("ops", "ops-1")
FCA = bearer("cafcass", "fca-1")
OTHER_FCA = bearer("cafcass", "fca-2")


async def delivered(kit, app, client, referral_id: str) -> list[dict]:
    await kit.publish(referral(referral_id, ALEX))
    await kit.publish(activation(referral_id, ALEX.participant_id))
    await kit.mail_to(ALEX.email)
    await kit.until_settled(app)
    page = await client.get("/notifications", params={"correlation_id": referral_id}, headers=FCA)
    assert page.status_code == 200, page.text
    return page.json()["items"]


async def test_fca_reads_their_referrals_log_and_operations_see_no_personal_data(kit):
    app = create_app(kit.settings())
    async with running(app) as client:
        items = await delivered(kit, app, client, "r-log")
        assert {(n["template"], n["recipient_role"], n["status"]) for n in items} == {
            ("provider_heads_up", "provider", "sent"),
            ("welcome", "parent", "sent"),
        }
        welcome = next(n for n in items if n["template"] == "welcome")
        assert welcome["message"]["to"] == ALEX.email and "Dear Alex" in welcome["message"]["text"]
        assert welcome["sent_at"] and welcome["attempts"] == 1
        # The FCA sees a link was sent, never its single-use token: holding it is acting as the parent.
        assert "activate?token=[sent only to the recipient]" in welcome["message"]["text"]
        assert "tok-" not in str(items)

        ops = (await client.get("/notifications", params={"correlation_id": "r-log"}, headers=OPS)).json()
        assert len(ops["items"]) == 2
        assert all(n["message"] is None for n in ops["items"])
        assert ALEX.email not in str(ops) and "Alex" not in str(ops)
        one = await client.get(f"/notifications/{welcome['id']}", headers=OPS)
        assert one.status_code == 200 and one.json()["message"] is None

        others = await client.get("/notifications", params={"correlation_id": "r-log"}, headers=OTHER_FCA)
        assert others.status_code == 200 and others.json()["items"] == []
        hidden = await client.get(f"/notifications/{welcome['id']}", headers=OTHER_FCA)
        assert hidden.status_code == 404 and hidden.headers["content-type"] == "application/problem+json"
        organisation = {"provider": {"provider": "family-action"}, "court": {"court": "Leeds"}}
        for role in ("parent", "provider", "court", "public"):
            denied = await client.get(
                f"/notifications/{welcome['id']}", headers=bearer(role, "x", **organisation.get(role, {}))
            )
            assert denied.status_code == 403


async def test_log_pages_through_long_histories(kit):
    app = create_app(kit.settings())
    async with running(app) as client:
        await delivered(kit, app, client, "r-pages")
        first = (await client.get("/notifications?correlation_id=r-pages&limit=1", headers=OPS)).json()
        second = await client.get(
            f"/notifications?correlation_id=r-pages&limit=1&cursor={first['next_cursor']}", headers=OPS
        )
        assert first["items"][0]["id"] != second.json()["items"][0]["id"]


async def test_resend_delivers_the_same_message_again_once_per_idempotency_key(kit, tap):
    app = create_app(kit.settings())
    async with running(app) as client:
        items = await delivered(kit, app, client, "r-again")
        welcome = next(n for n in items if n["template"] == "welcome")
        key = {"Idempotency-Key": "resend-welcome-1"}
        first = await client.post(f"/notifications/{welcome['id']}/resend", headers={**FCA, **key})
        retry = await client.post(f"/notifications/{welcome['id']}/resend", headers={**FCA, **key})
        assert first.status_code == 202, first.text
        assert retry.status_code == 202 and retry.json()["id"] == first.json()["id"]
        assert first.json()["resend_of"] == welcome["id"] and first.json()["id"] != welcome["id"]
        await kit.mail_to(ALEX.email, count=2)
        await kit.until_settled(app)
        again = (await client.get(f"/notifications/{first.json()['id']}", headers=FCA)).json()
    letters = kit.mailbox.to(ALEX.email)
    assert len(letters) == 2 and letters[0]["Subject"] == letters[1]["Subject"]
    assert again["status"] == "sent"
    sent = [e for e in await tap.of("notification.sent") if e.data["template"] == "welcome"]
    assert {e.data["notification_id"] for e in sent} == {welcome["id"], first.json()["id"]}


async def test_bad_requests_get_problem_details(kit):
    app = create_app(kit.settings())
    async with running(app) as client:
        items = await delivered(kit, app, client, "r-bad")
        missing = await client.get("/notifications", headers=OPS)
        assert missing.status_code == 422 and missing.json()["type"].endswith("/invalid-request")
        not_an_id = await client.get("/notifications/not-an-id", headers=OPS)
        assert not_an_id.status_code == 422
        unknown = await client.get("/notifications/0123456789abcdef01234567", headers=OPS)
        assert unknown.status_code == 404 and unknown.json()["type"].endswith("/not-found")
        bad_cursor = await client.get("/notifications?correlation_id=r-bad&cursor=zz", headers=OPS)
        assert bad_cursor.status_code == 400
        anonymous = await client.get("/notifications?correlation_id=r-bad")
        assert anonymous.status_code == 401
        other = await client.post(f"/notifications/{items[0]['id']}/resend", headers=OTHER_FCA)
        assert other.status_code == 404
        key = {"Idempotency-Key": "k1"}
        first = await client.post(f"/notifications/{items[0]['id']}/resend", headers={**OPS, **key})
        # A key is scoped to one notification: the same key on another one is a resend of its own.
        second = await client.post(f"/notifications/{items[1]['id']}/resend", headers={**OPS, **key})
        assert first.status_code == second.status_code == 202
        assert second.json()["resend_of"] == items[1]["id"] != first.json()["resend_of"]


async def test_a_message_not_yet_sent_cannot_be_resent(kit):
    kit.mailbox.stop()  # nothing can be sent
    app = create_app(kit.settings(send_attempts=50))
    async with running(app) as client:
        await kit.publish(referral("r-wait", ALEX))
        await kit.publish(activation("r-wait", ALEX.participant_id))

        async def queued() -> list[dict]:
            page = await client.get("/notifications", params={"correlation_id": "r-wait"}, headers=OPS)
            return [n for n in page.json()["items"] if n["template"] == "welcome"]

        [welcome] = await eventually(queued)
        answer = await client.post(f"/notifications/{welcome['id']}/resend", headers=OPS)
        assert answer.status_code == 409 and answer.json()["type"].endswith("/not-finished")
