"""Coming back: an activated parent asks for a sign-in link by email, against real JetStream
and the MongoDB server."""

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

from learning.app import create_app
from ptfc.clock import FakeClock
from ptfc.events import ReferralKeys, ReferralReordered, ReferralWithdrawn, seal_participants
from ptfc.sealing import unseal
from ptfc.settings import DEV_LINK_SEAL_KEY
from ptfc.testing.events import participant
from ptfc.testing.plugin import eventually, running

SENT = "If this email address belongs to a Parent Hub account"


def running_hub(hub, clock: FakeClock):
    return running(create_app(hub.settings(), clock=clock))


def token_of(envelope) -> str:
    assert "token" not in envelope.data["sealed_sign_in_url"]  # partners read the stream: they see no link
    url = unseal(DEV_LINK_SEAL_KEY, envelope.data["sealed_sign_in_url"])
    assert url.startswith("https://hub.example/sign-in?token=")
    return parse_qs(urlparse(url).query)["token"][0]


async def test_an_activated_parent_signs_in_again_with_an_emailed_link(hub):
    clock = FakeClock()
    async with running_hub(hub, clock) as client:
        await hub.refer("r-s1", "sa", "sb")
        await hub.sign_in(client, "sa")

        # Typed differently from the referral: the same parent all the same.
        asked = await client.post("/sign-in", json={"email": "  SA@Parents.Example "})
        assert asked.status_code == 202 and asked.json()["message"].startswith(SENT)
        [link] = await hub.wait("account.sign_in_link_issued", "sa")
        assert link.correlation_id == "r-s1"

        session = await client.post("/sign-in/session", json={"token": token_of(link)})
        assert session.status_code == 200
        me = {"Authorization": f"Bearer {session.json()['access_token']}"}
        assert (await client.get("/me/course", headers=me)).json()["enrolment_id"] == session.json()["enrolment_id"]

        again = await client.post("/sign-in/session", json={"token": token_of(link)})
        assert again.status_code == 409 and again.json()["type"].endswith("/sign-in-link-used")
        unknown = await client.post("/sign-in/session", json={"token": "never-sent"})
        assert unknown.status_code == 404 and unknown.json()["type"].endswith("/sign-in-link-unknown")


async def test_the_answer_never_says_who_has_an_account(hub):
    async with running_hub(hub, FakeClock()) as client:
        await hub.refer("r-s2", "sc", "sd")
        await hub.sign_in(client, "sc")  # sd never activated: the welcome letter is their way in
        answers = [
            await client.post("/sign-in", json={"email": email})
            for email in ("sc@parents.example", "sd@parents.example", "stranger@nowhere.example")
        ]
        assert {a.status_code for a in answers} == {202}
        assert len({a.text for a in answers}) == 1
        await hub.wait("account.sign_in_link_issued", "sc")
        await eventually(hub.settled)
        assert [e.data["participant_id"] for e in await hub.events("account.sign_in_link_issued")] == ["sc"]


async def test_one_email_a_minute_a_few_a_day_and_a_new_one_cancels_no_earlier_link(hub):
    """Someone who knows the parent's address (a co-parent) cannot flood them, nor keep cancelling
    the link in their inbox to keep them out of the course."""
    clock = FakeClock()
    app = create_app(hub.settings(), clock=clock)
    async with running(app) as client:
        await hub.refer("r-s3", "se")
        await hub.sign_in(client, "se")
        for _ in range(3):  # a flood from a form: one email
            assert (await client.post("/sign-in", json={"email": "se@parents.example"})).status_code == 202
        [first] = await hub.wait("account.sign_in_link_issued", "se")

        clock.advance(timedelta(minutes=1))
        await client.post("/sign-in", json={"email": "se@parents.example"})
        _, second = await hub.wait("account.sign_in_link_issued", "se", count=2)

        still_valid = await client.post("/sign-in/session", json={"token": token_of(first)})
        assert still_valid.status_code == 200  # the later request did not cancel it
        clock.advance(timedelta(minutes=31))
        expired = await client.post("/sign-in/session", json={"token": token_of(second)})
        assert expired.status_code == 410 and expired.json()["type"].endswith("/sign-in-link-expired")

        cap = hub.settings().sign_in_daily_cap
        for sent in range(3, cap + 1):  # every few minutes, all day long: up to the cap
            clock.advance(timedelta(minutes=2))
            await client.post("/sign-in", json={"email": "se@parents.example"})
            await hub.wait("account.sign_in_link_issued", "se", count=sent)
        clock.advance(timedelta(minutes=2))
        await client.post("/sign-in", json={"email": "se@parents.example"})

        async def answered() -> bool:
            return await app.state.rt.store.db.sign_in_requests.count_documents({}) == 0

        await eventually(answered)
        assert len(await hub.events("account.sign_in_link_issued", "se")) == cap  # and no more
        clock.advance(timedelta(days=1))
        await client.post("/sign-in", json={"email": "se@parents.example"})
        await hub.wait("account.sign_in_link_issued", "se", count=cap + 1)  # a new day


async def test_a_withdrawn_parent_gets_no_link_and_cannot_use_one(hub):
    clock = FakeClock()
    async with running_hub(hub, clock) as client:
        await hub.refer("r-s4", "sf")
        await hub.sign_in(client, "sf")
        await client.post("/sign-in", json={"email": "sf@parents.example"})
        [link] = await hub.wait("account.sign_in_link_issued", "sf")

        await hub.publish(ReferralWithdrawn(referral_id="r-s4", participant_ids=[]))
        await eventually(hub.settled)
        refused = await client.post("/sign-in/session", json={"token": token_of(link)})
        assert refused.status_code == 409 and refused.json()["type"].endswith("/course-withdrawn")

        clock.advance(timedelta(minutes=1))  # past the minute between emails
        await client.post("/sign-in", json={"email": "sf@parents.example"})
        [told] = await hub.wait("account.sign_in_refused", "sf")  # a letter that the course is closed instead
        await eventually(hub.settled)
    assert len(await hub.events("account.sign_in_link_issued", "sf")) == 1
    assert told.data["reason"] == "withdrawn" and told.correlation_id == "r-s4" and "token" not in str(told.data)


async def test_bad_sign_in_requests_are_problems(hub):
    async with running_hub(hub, FakeClock()) as client:
        for body in ({}, {"email": "no-at-sign"}, {"email": "a@b", "extra": 1}, {"email": "x" * 400 + "@b.c"}):
            answer = await client.post("/sign-in", json=body)
            assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"


async def test_two_parents_sharing_an_address_each_get_their_own_link(hub):
    async with running_hub(hub, FakeClock()) as client:
        family = hub.referral("r-s6", ["sh", "si"])
        same = [participant(p, f"Given-{p}", f"Family-{p}", email="family@parents.example") for p in ("sh", "si")]
        shared = seal_participants(same, ReferralKeys.development())
        await hub.publish(family.model_copy(update={"participants": shared}))
        await hub.sign_in(client, "sh")
        await hub.sign_in(client, "si")
        await client.post("/sign-in", json={"email": "family@parents.example"})
        links = [(await hub.wait("account.sign_in_link_issued", pid))[0] for pid in ("sh", "si")]
        for pid, link in zip(("sh", "si"), links, strict=True):
            session = await client.post("/sign-in/session", json={"token": token_of(link)})
            me = {"Authorization": f"Bearer {session.json()['access_token']}"}
            assert (await client.get("/me/course", headers=me)).status_code == 200
            assert link.data["participant_id"] == pid


async def test_a_link_from_before_a_re_order_sends_the_parent_to_the_new_welcome_letter(hub):
    async with running_hub(hub, FakeClock()) as client:
        await hub.refer("r-s7", "sj")
        await hub.sign_in(client, "sj")
        await client.post("/sign-in", json={"email": "sj@parents.example"})
        [link] = await hub.wait("account.sign_in_link_issued", "sj")

        await hub.publish(ReferralReordered(referral_id="r-s7", participant_id="sj", cycle=2, provider="family-action"))
        await hub.wait("account.activation_issued", "sj", count=2)
        refused = await client.post("/sign-in/session", json={"token": token_of(link)})
        assert refused.status_code == 409 and refused.json()["type"].endswith("/activation-needed")
        await hub.sign_in(client, "sj", nth=2)  # the new welcome letter works


async def test_a_parent_who_never_activated_gets_the_welcome_link_again_by_email(hub):
    """Issue 26: the welcome link unused, run out or lost, the parent had no way in (the form said
    a link was sent, and nothing was). Now the welcome link is issued again to the address on file,
    under the sign-in's cooldown and daily cap; the answer is the same as for anyone."""
    clock = FakeClock()
    async with running_hub(hub, clock) as client:
        await hub.refer("r-s9", "sx", "sy")
        await hub.wait("account.activation_issued", "sx")  # the welcome letter
        asked = await client.post("/sign-in", json={"email": "sx@parents.example"})
        assert asked.status_code == 202 and asked.json()["message"].startswith(SENT)
        again = (await hub.wait("account.activation_issued", "sx", count=2))[-1]
        assert again.data["reissue"] is True and again.correlation_id == "r-s9"
        url = unseal(DEV_LINK_SEAL_KEY, again.data["sealed_activation_url"])
        activated = await client.post("/activate", json={"token": parse_qs(urlparse(url).query)["token"][0]})
        assert activated.status_code == 200, activated.text

        # Asked again at once: held back by the cooldown (nobody can flood a parent's inbox).
        await hub.refer("r-s10", "sz", "sw")
        await hub.wait("account.activation_issued", "sz")
        for _ in range(3):
            assert (await client.post("/sign-in", json={"email": "sz@parents.example"})).status_code == 202
        await hub.wait("account.activation_issued", "sz", count=2)
        await eventually(hub.settled)
        issued = [e for e in await hub.events("account.activation_issued") if e.data["participant_id"] == "sz"]
        assert len(issued) == 2


async def test_a_parent_whose_deadline_passed_signs_in_to_see_where_they_stand(hub):
    """Issue 26: past the deadline (the court and FCA told) a parent still has a hub to read and a plan
    to use: a sign-in link, also to one who never used the welcome letter; the e-learning stays closed."""
    async with running(create_app(hub.settings(learning_window=timedelta(seconds=3)))) as client:
        await hub.refer("r-s7", "sm", "sn")
        await hub.sign_in(client, "sm")  # sn never started
        for pid in ("sm", "sn"):
            await hub.wait("learning.deadline_missed", pid, timeout=20)
            await client.post("/sign-in", json={"email": f"{pid}@parents.example"})
            [link] = await hub.wait("account.sign_in_link_issued", pid)
            session = await client.post("/sign-in/session", json={"token": token_of(link)})
            assert session.status_code == 200, session.text
            me = {"Authorization": f"Bearer {session.json()['access_token']}"}
            course = (await client.get("/me/course", headers=me)).json()
            assert (course["status"], course["withdrawn"]) == ("missed", False)
            closed = await client.post("/me/modules/1/complete", json={"answers": {}}, headers=me)
            assert closed.status_code == 409 and closed.json()["type"].endswith("/deadline-passed")
