"""Who may read a plan, and what nobody may learn: strangers, guessed tokens, a party who left,
programme co-parents sharing through the referral, an FCA, and contact details everywhere."""

import asyncio
from datetime import timedelta

from ptfc.limits import PerClient
from ptfc.sealing import unseal
from ptfc.settings import DEV_LINK_SEAL_KEY
from ptfc.testing.plugin import bearer

from .conftest import ALEX, CHRIS, CONTACTS, FCA, NEW_PLAN, WEEK, parent, token_auth


def urls(plan_id: str) -> list[str]:
    return [
        f"/plans/{plan_id}",
        f"/plans/{plan_id}/history",
        f"/plans/{plan_id}/export.docx",
        f"/plans/{plan_id}/export.pdf",
        f"/plans/{plan_id}/for-children?age=9",
    ]


async def test_an_owner_link_works_and_a_guessed_one_or_a_stranger_does_not(kit):
    started = await kit.start()
    plan_id, token = started["plan"]["id"], started["party_token"]
    assert len(plan_id) >= 22 and len(token) >= 43  # 128 and 256 random bits
    stored = await kit.db.plans.find_one({"_id": plan_id})
    assert token not in str(stored)  # only its hash is kept
    for url in urls(plan_id):
        assert (await kit.client.get(url, headers=token_auth(token))).status_code == 200, url
    other = await kit.start()
    guess = token_auth(token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    for url in urls(plan_id):  # a token no plan knows is a wrong credential, whatever the plan
        answer = await kit.client.get(url, headers=guess)
        assert answer.status_code == 401 and answer.json()["type"].endswith("/invalid-token"), (url, answer.text)
    strangers = [
        token_auth(other["party_token"]),  # a party of another plan
        bearer("parent", "p-someone-else"),
        FCA,  # not shared with them
    ]
    for who in strangers:
        for url in urls(plan_id):
            answer = await kit.client.get(url, headers=who)
            assert answer.status_code == 404 and answer.json()["type"].endswith("/not-found"), (url, answer.text)
    assert (await kit.client.get(f"/plans/{plan_id}")).status_code == 401
    write = await kit.client.post(f"/plans/{plan_id}/topics/living/proposals", json={"text": "x"}, headers=strangers[0])
    assert write.status_code == 404
    assert (await kit.client.get(f"/plans/{plan_id}", headers=bearer("provider", "p", provider="x"))).status_code == 403


async def test_a_party_who_leaves_stops_seeing_the_plan_and_its_history_stays(kit):
    started = await kit.start()
    plan_id, owner = started["plan"]["id"], token_auth(started["party_token"])
    await kit.ok("POST", f"/plans/{plan_id}/share", owner, json={"to": "email", "email": "friend@elsewhere.example"})
    token = await kit.invitation_token()
    joined = await kit.ok("POST", "/invitations/accept", {}, json={"token": token, "display_name": "Dad"})
    other = token_auth(joined["party_token"])
    await kit.ok("POST", f"/plans/{plan_id}/topics/living/proposals", other, json={"text": "Weekends with Dad."})
    await kit.ok("POST", f"/plans/{plan_id}/leave", other)
    for url in urls(plan_id):
        assert (await kit.client.get(url, headers=other)).status_code == 404, url
    history = await kit.ok("GET", f"/plans/{plan_id}/history", owner)
    assert [h["action"] for h in history["items"]][-2:] == ["proposed", "left"]
    assert history["items"][-2]["content"] == {"text": "Weekends with Dad."}
    view = await kit.ok("GET", f"/plans/{plan_id}", owner)
    assert [p["display_name"] for p in view["parties"]] == ["Mum"] and view["left"] == ["Dad"]
    living = next(i for i in view["items"] if i["topic"] == "living")
    assert not living["waiting_for_you"]  # alone, Mum cannot agree anything: she is not asked to
    again = await kit.client.post("/invitations/accept", json={"token": token, "display_name": "Dad"})
    assert again.status_code == 409 and again.json()["type"].endswith("/invitation-used")


async def test_an_invitation_works_once_and_expires_and_a_newer_one_replaces_it(kit, settings):
    started = await kit.start()
    plan_id, owner = started["plan"]["id"], token_auth(started["party_token"])
    share = {"to": "email", "email": "friend@elsewhere.example"}
    await kit.ok("POST", f"/plans/{plan_id}/share", owner, json=share)
    first = await kit.invitation_token()
    kit.clock.advance(settings.invitation_quiet_period)  # within it, the first is kept (test below)
    await kit.ok("POST", f"/plans/{plan_id}/share", owner, json=share)
    second = await kit.invitation_token(2)
    replaced = await kit.client.post("/invitations/accept", json={"token": first, "display_name": "Dad"})
    assert replaced.status_code == 410 and replaced.json()["type"].endswith("/invitation-replaced")
    kit.clock.advance(settings.invitation_ttl + timedelta(seconds=1))
    expired = await kit.client.post("/invitations/accept", json={"token": second, "display_name": "Dad"})
    assert expired.status_code == 410 and expired.json()["type"].endswith("/invitation-expired")
    unknown = await kit.client.post("/invitations/accept", json={"token": "guessed", "display_name": "Dad"})
    assert unknown.status_code == 404


async def test_programme_co_parents_share_through_the_referral_and_nobody_sees_an_email(kit):
    await kit.refer(ALEX, CHRIS)
    alex, chris = parent(ALEX), parent(CHRIS)
    started = await kit.start(alex, display_name="Alex")
    assert started["party_token"] is None and started["owner_link"] is None
    plan_id = started["plan"]["id"]
    invited = await kit.ok("POST", f"/plans/{plan_id}/share", alex, json={"to": "co_parent"})
    assert invited["shared_with"] == "co_parent"
    shared = (await kit.tap.wait_for("plan.shared"))[0]
    assert shared.version == 2 and shared.data["invitee_participant_id"] == CHRIS.participant_id
    assert shared.data["sealed_invitee_email"] is None
    token = await kit.invitation_token()
    stolen = await kit.client.post("/invitations/accept", json={"token": token, "display_name": "X"}, headers=alex)
    assert stolen.status_code == 403  # the invitation is for Chris alone
    joined = await kit.ok("POST", "/invitations/accept", chris, json={"token": token, "display_name": "Chris"})
    assert joined["party_token"] is None
    week = {"weekly_pattern": [{"child": "Sam", "nights": WEEK}]}
    await kit.ok("POST", f"/plans/{plan_id}/topics/living/proposals", chris, json=week)
    mine = await kit.ok("GET", "/plans", alex)
    assert [p["id"] for p in mine["items"]] == [plan_id]

    # The FCA reads it only once a party shares it with them, and cannot change it.
    assert (await kit.client.get(f"/plans/{plan_id}", headers=FCA)).status_code == 404
    await kit.ok("POST", f"/plans/{plan_id}/share", chris, json={"to": "fca"})
    assert (await kit.ok("GET", f"/plans/{plan_id}", FCA))["shared_with_fca"] is True
    assert [p["id"] for p in (await kit.ok("GET", "/plans", FCA))["items"]] == [plan_id]
    assert (await kit.ok("GET", "/plans", bearer("cafcass", "fca-other")))["items"] == []
    refused = await kit.client.post(f"/plans/{plan_id}/topics/living/acceptance", json={"version": 1}, headers=FCA)
    assert refused.status_code == 403

    # Nothing either parent (or the FCA) can reach, and no event, holds a contact detail.
    second = (await kit.start(alex, display_name="Alex"))["plan"]["id"]
    await kit.ok("POST", f"/plans/{second}/share", alex, json={"to": "email", "email": "friend@elsewhere.example"})
    full = await kit.client.post(f"/plans/{plan_id}/share", json={"to": "co_parent"}, headers=alex)
    assert full.status_code == 409 and full.json()["type"].endswith("/plan-full")
    reachable = []
    for who in (alex, chris, FCA):
        for url in [*urls(plan_id), *urls(second), "/plans"]:
            answer = await kit.client.get(url, headers=who)
            reachable.append(answer.content)
    events = await kit.tap.all()
    plans_events = [e.model_dump_json().encode() for e in events if e.type.startswith("plan.")]
    assert len(plans_events) >= 5
    for blob in reachable + plans_events:
        for detail in CONTACTS:
            assert detail.encode() not in blob, detail
    assert all(b"@" not in body for body in plans_events)  # no email in clear on the PLANS stream
    sealed = (await kit.tap.wait_for("plan.shared", 2))[-1].data["sealed_invitee_email"]
    assert unseal(DEV_LINK_SEAL_KEY, sealed) == "friend@elsewhere.example"  # notifications can open it


async def test_anyone_may_start_a_plan_within_limits(kit, make_settings):
    huge = {"display_name": "Mum", "children": [{"name": "Sam", "age": 6}], "topics": ["living"], "x": "y" * 70_000}
    too_big = await kit.client.post("/plans", json=huge)
    assert too_big.status_code == 413 and too_big.json()["type"].endswith("/body-too-large")
    kit.app.state.rate_limit = PerClient(3)
    body = {k: v for k, v in huge.items() if k != "x"}
    answers = [await kit.client.post("/plans", json=body) for _ in range(4)]
    assert [a.status_code for a in answers[:2]] == [201, 201]
    assert [a.status_code for a in answers][-1] == 429
    assert answers[-1].json()["type"].endswith("/too-many-requests") and answers[-1].json()["retry_after"] >= 1
    # A parent signed in to the Parent Hub is not held to the public limit.
    assert (await kit.client.post("/plans", json=body, headers=parent(ALEX))).status_code == 201


async def test_a_parent_whose_co_parent_already_shared_a_plan_is_sent_its_link_again(kit):
    await kit.refer(ALEX, CHRIS)
    plan_id = (await kit.start(parent(ALEX), display_name="Alex"))["plan"]["id"]
    await kit.ok("POST", f"/plans/{plan_id}/share", parent(ALEX), json={"to": "co_parent"})
    lost = await kit.invitation_token()
    answer = await kit.client.post("/plans", json=NEW_PLAN, headers=parent(CHRIS))
    assert answer.status_code == 202 and answer.json()["co_parent_plan"] is True
    assert await kit.db.plans.count_documents({}) == 1  # no second plan
    again = (await kit.tap.wait_for("plan.shared", 2))[-1]
    assert again.data["invitee_participant_id"] == CHRIS.participant_id and again.data["plan_id"] == plan_id
    fresh = await kit.invitation_token(2)
    assert (
        await kit.client.post("/invitations/accept", json={"token": lost, "display_name": "C"}, headers=parent(CHRIS))
    ).status_code == 410
    await kit.ok("POST", "/invitations/accept", parent(CHRIS), json={"token": fresh, "display_name": "Chris"})
    # Once in the plan, Chris may still start another plan of his own.
    assert (await kit.client.post("/plans", json=NEW_PLAN, headers=parent(CHRIS))).status_code == 201


async def test_the_limit_counts_each_person_behind_a_trusted_proxy(kit):
    body = {"display_name": "Mum", "children": [{"name": "Sam", "age": 6}], "topics": ["living"]}
    kit.app.state.rate_limit = PerClient(2)
    kit.app.state.settings.trusted_proxy_hops = 1  # the Parent Hub (or the ingress) forwards the address
    one = {"X-Forwarded-For": "203.0.113.1"}
    assert [(await kit.client.post("/plans", json=body, headers=one)).status_code for _ in range(3)] == [201, 201, 429]
    other = {"X-Forwarded-For": "203.0.113.2"}
    assert (await kit.client.post("/plans", json=body, headers=other)).status_code == 201
    kit.app.state.settings.trusted_proxy_hops = 0  # no proxy: a forwarded address is not believed
    spoofed = {"X-Forwarded-For": "203.0.113.9"}
    assert [(await kit.client.post("/plans", json=body, headers=spoofed)).status_code for _ in range(3)][-1] == 429


async def test_a_retried_start_keeps_no_copy_of_the_plans_secret(kit):
    """Sent twice with one Idempotency-Key (a form pressed twice): one plan, and the stored answer
    holds neither the secret nor the link carrying it, so the retry is told it is done instead."""
    key = {"Idempotency-Key": "start-once-1"}
    first = await kit.client.post("/plans", json=NEW_PLAN, headers=key)
    again = await kit.client.post("/plans", json=NEW_PLAN, headers=key)
    assert first.status_code == 201 and again.status_code == 409
    assert again.json()["type"].endswith("/credential-not-replayed")
    secret = first.json()["party_token"]
    assert secret not in str(await kit.db.idempotency.find().to_list())
    assert await kit.db.plans.count_documents({}) == 1
    # A parent on the course gets no secret, so their retry is answered as the first time.
    alex = bearer("parent", "p-alex")
    mine = [await kit.client.post("/plans", json=NEW_PLAN, headers={**alex, "Idempotency-Key": "k2"}) for _ in "12"]
    assert [a.status_code for a in mine] == [201, 201] and mine[0].json() == mine[1].json()


async def test_ten_shares_to_the_co_parent_in_a_day_send_at_most_the_cap_and_the_latest_link_works(kit, settings):
    """The alleged abuser shares again and again, one plan and many: the other parent is sent at most
    `invitation_emails_per_recipient` invitations a day, and the link last sent opens the plan."""
    await kit.refer(ALEX, CHRIS)
    alex = parent(ALEX)
    answers, plan_ids = [], []
    for _ in range(10):
        plan_id = (await kit.start(alex, display_name="Alex"))["plan"]["id"]
        plan_ids.append(plan_id)
        answers.append(await kit.client.post(f"/plans/{plan_id}/share", json={"to": "co_parent"}, headers=alex))
        answers.append(await kit.client.post(f"/plans/{plan_id}/share", json={"to": "co_parent"}, headers=alex))
    cap = settings.invitation_emails_per_recipient
    statuses = [a.status_code for a in answers]
    assert statuses == [202] * (2 * cap) + [429] * (20 - 2 * cap), statuses
    kept = answers[1].json()
    assert kept["emailed"] is False and kept["expires_at"] == answers[0].json()["expires_at"]
    assert kept["message"].startswith("An invitation was sent recently; it still works")
    limited = answers[-1].json()
    assert limited["type"].endswith("/invitation-limit") and "Chris" not in answers[-1].text
    await asyncio.sleep(1)  # anything more the relay had to publish
    shared = await kit.tap.wait_for("plan.shared", cap)
    assert len(shared) == cap
    latest = await kit.invitation_token(cap)
    joined = await kit.ok("POST", "/invitations/accept", parent(CHRIS), json={"token": latest, "display_name": "Chris"})
    assert joined["plan_id"] == plan_ids[cap - 1]


async def test_strangers_from_many_addresses_email_one_address_only_a_few_times_a_day(kit, settings):
    """Sharing without an account is limited per destination address (its keyed hash, counted by
    plans), not only per client: many client addresses cannot flood one inbox."""
    kit.app.state.settings.trusted_proxy_hops = 1
    answers = []
    for n in range(8):
        client = {"X-Forwarded-For": f"203.0.113.{n + 1}"}
        started = (await kit.client.post("/plans", json=NEW_PLAN, headers=client)).json()
        owner = {**client, **token_auth(started["party_token"])}
        share = {"to": "email", "email": "Target@Example.org" if n % 2 else "target@example.org "}
        answers.append(await kit.client.post(f"/plans/{started['plan']['id']}/share", json=share, headers=owner))
    cap = settings.invitation_emails_per_recipient
    assert [a.status_code for a in answers] == [202] * cap + [429] * (8 - cap)
    assert answers[-1].json()["type"].endswith("/invitation-limit")
    stored = str(await kit.db.invitations.find().to_list()).lower()
    assert "target" not in stored and "example.org" not in stored
