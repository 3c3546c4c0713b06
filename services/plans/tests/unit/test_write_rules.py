"""The write rules of plans (start, propose/counter/accept/not agreed, agreement, history,
sharing and invitations, leaving) against an in-memory unit of work: what is saved and what is
emitted, with no servers."""

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest

from plans import domain
from ptfc.events import PlanAgreed, PlanCreated, PlanShared
from ptfc.sealing import unseal

from .fakes import FakeUnitOfWork, Rules, Who

RULES = Rules()
CHILDREN = [{"name": "Sam", "age": 6}]
MUM, DAD = Who(participant_id="p-mum"), Who(participant_id="p-dad")


async def refused(call) -> str:
    with pytest.raises(domain.Refused) as caught:
        await call
    return caught.value.reason


async def referred(uow: FakeUnitOfWork) -> None:
    await domain.remember_participants(uow, "r-1", "fca-sam", [("p-mum", "en", ["p-dad"]), ("p-dad", "en", ["p-mum"])])


async def started(uow: FakeUnitOfWork, *topics: str, who: Who = MUM) -> dict:
    done = await domain.start(uow, who, "Mum", "en", CHILDREN, list(topics or ("living", "pets")), RULES)
    assert isinstance(done, domain.Started)
    return done.plan


async def started_by_someone(uow: FakeUnitOfWork) -> tuple[dict, Who]:
    """A plan started without an account: its owner holds the plan token."""
    done = await domain.start(uow, Who(), "Mum", "en", CHILDREN, ["living"], RULES)
    return done.plan, Who(token_hash=domain.hash_token(done.party_token))


def token_of(event: PlanShared) -> str:
    url = unseal(RULES.link_seal_key, event.sealed_invite_url)
    return parse_qs(urlparse(url).query)["token"][0]


async def plan_of_two(uow: FakeUnitOfWork, *topics: str) -> str:
    await referred(uow)
    plan = await started(uow, *topics)
    await domain.share(uow, plan["_id"], MUM, "co_parent", None, RULES)
    shared = uow.events[-1][0]
    await domain.join(uow, DAD, token_of(shared), "Dad")
    return plan["_id"]


def propose(topic: str, text: str):
    return lambda plan, me, now: domain.propose(plan, me, topic, {"text": text}, now)


def accept(topic: str, version: int):
    return lambda plan, me, now: domain.accept(plan, me, topic, version, now)


async def test_start_keeps_only_a_hash_of_the_token_and_links_the_owner_to_the_plan():
    uow = FakeUnitOfWork()
    done = await domain.start(uow, Who(), "Mum", "en", CHILDREN, ["pets", "living"], RULES)
    assert done.party_token and done.party_token not in repr(uow.plans)
    assert done.owner_link == f"https://hub.example/plans/open?plan={done.plan['_id']}&token={done.party_token}"
    stored = uow.plans[done.plan["_id"]]
    assert stored["topics"] == ["living", "pets"] and stored["revision"] == 0  # the plan's own order
    assert stored["parties"][0]["token_hash"] == domain.hash_token(done.party_token)
    [(created, correlation)] = uow.events
    assert isinstance(created, PlanCreated) and correlation == stored["_id"]
    assert uow.actions(stored["_id"]) == ["created"]


async def test_a_programme_parent_starts_a_plan_under_their_referral():
    uow = FakeUnitOfWork()
    await referred(uow)
    plan = await started(uow)
    assert (plan["referral_id"], plan["fca_id"]) == ("r-1", "fca-sam")
    assert plan["parties"][0]["participant_id"] == "p-mum" and plan["parties"][0]["token_hash"] is None


async def test_propose_counter_accept_agrees_a_topic_then_the_plan_once():
    uow = FakeUnitOfWork()
    plan_id = await plan_of_two(uow, "living", "pets")
    before = len(uow.events)
    await domain.negotiate(uow, plan_id, MUM, propose("living", "Weekdays with Mum"))
    plan, _ = await domain.negotiate(uow, plan_id, DAD, propose("living", "Weekdays with Dad"))
    assert plan["items"]["living"]["version"] == 2 and uow.actions(plan_id)[-1] == "counter_proposed"
    assert await refused(domain.negotiate(uow, plan_id, MUM, accept("living", 1))) == "proposal-changed"
    assert await refused(domain.negotiate(uow, plan_id, DAD, accept("living", 2))) == "already-accepted"
    plan, _ = await domain.negotiate(uow, plan_id, MUM, accept("living", 2))
    assert plan["items"]["living"]["status"] == "agreed" and plan["status"] == "open" and plan["agreed_at"] is None
    await domain.negotiate(uow, plan_id, DAD, propose("pets", "Rex stays with Mum"))
    plan, _ = await domain.negotiate(uow, plan_id, MUM, accept("pets", 1))
    assert plan["status"] == "agreed" and plan["agreed_at"] == uow.clock
    assert uow.plans[plan_id] == plan  # what the rule answered is what was saved
    assert uow.emitted()[before:] == [
        "plan.proposal_made",
        "plan.reply_waiting",  # to Dad
        "plan.proposal_made",
        "plan.reply_waiting",  # to Mum
        "plan.item_agreed",
        "plan.proposal_made",  # Mum was told of a reply today already
        "plan.item_agreed",
        "plan.agreed",  # and so was Dad
    ]
    assert [e for e, _ in uow.events if isinstance(e, PlanAgreed)] == [PlanAgreed(plan_id=plan_id)]


async def test_not_agreed_sets_a_topic_aside_and_reopens_an_agreed_plan():
    uow = FakeUnitOfWork()
    plan_id = await plan_of_two(uow, "living")
    await domain.negotiate(uow, plan_id, MUM, propose("living", "Weekdays with Mum"))
    plan, _ = await domain.negotiate(uow, plan_id, DAD, accept("living", 1))
    assert plan["status"] == "agreed"
    not_agreed = lambda plan, me, now: domain.mark_not_agreed(plan, me, "living", now)  # noqa: E731
    plan, _ = await domain.negotiate(uow, plan_id, DAD, not_agreed)
    assert plan["items"]["living"]["status"] == "not_agreed" and plan["items"]["living"]["accepted_by"] == []
    assert (plan["status"], plan["agreed_at"]) == ("open", None)
    assert await refused(domain.negotiate(uow, plan_id, MUM, not_agreed)) == "already-not-agreed"
    assert uow.emitted().count("plan.agreed") == 1


async def test_the_same_words_sent_again_change_nothing_but_set_aside_they_are_raised_again():
    """A proposal form sent again after Back: no second version, history entry or event. After the
    topic was set aside, the same words are a new proposal."""
    uow = FakeUnitOfWork()
    plan_id = await plan_of_two(uow, "living")
    for _ in range(2):
        plan, _ = await domain.negotiate(uow, plan_id, MUM, propose("living", "Weekdays with Mum"))
    assert plan["items"]["living"]["version"] == 1 and uow.emitted().count("plan.proposal_made") == 1
    assert uow.actions(plan_id).count("proposed") == 1
    plan, _ = await domain.negotiate(uow, plan_id, DAD, accept("living", 1))
    plan, _ = await domain.negotiate(uow, plan_id, MUM, propose("living", "Weekdays with Mum"))
    assert plan["items"]["living"]["status"] == "agreed"  # an agreement is not undone by a repeat
    not_agreed = lambda plan, me, now: domain.mark_not_agreed(plan, me, "living", now)  # noqa: E731
    await domain.negotiate(uow, plan_id, DAD, not_agreed)
    plan, _ = await domain.negotiate(uow, plan_id, MUM, propose("living", "Weekdays with Mum"))
    assert (plan["items"]["living"]["status"], plan["items"]["living"]["version"]) == ("proposed", 2)


async def test_the_history_records_each_change_with_its_difference_in_order():
    uow = FakeUnitOfWork()
    plan_id = await plan_of_two(uow, "living")
    await domain.negotiate(uow, plan_id, MUM, propose("living", "Weekdays with Mum"))
    await domain.negotiate(uow, plan_id, DAD, propose("living", "Weekdays with Dad"))
    rows = [h for h in uow.history if h["plan_id"] == plan_id]
    assert [h["seq"] for h in rows] == list(range(len(rows)))
    assert [(h["action"], h["by"]) for h in rows] == [
        ("created", "Mum"),
        ("shared", "Mum"),
        ("joined", "Dad"),
        ("proposed", "Mum"),
        ("counter_proposed", "Dad"),
    ]
    assert rows[-1]["diff"] == [
        {"field": "text", "change": "changed", "before": "Weekdays with Mum", "after": "Weekdays with Dad"}
    ]


async def test_a_change_saved_over_a_newer_revision_is_refused():
    uow = FakeUnitOfWork()
    plan_id = await plan_of_two(uow, "living")
    stale = await uow.plan(plan_id)
    await domain.negotiate(uow, plan_id, MUM, propose("living", "Weekdays with Mum"))
    change = domain.propose(stale, stale["parties"][1], "living", {"text": "Mine"}, uow.clock)
    with pytest.raises(domain.Refused, match="plan-changed"):
        await uow.save_plan({**stale, "revision": stale["revision"] + 1}, change.entry)


async def test_an_invitation_works_once_and_not_after_it_expires():
    uow = FakeUnitOfWork()
    plan, owner = await started_by_someone(uow)
    invitation = await domain.share(uow, plan["_id"], owner, "email", "friend@elsewhere.example", RULES)
    assert invitation.shared_with == "email" and invitation.expires_at == uow.clock + timedelta(days=7)
    shared = uow.events[-1][0]
    assert "friend@elsewhere.example" not in shared.model_dump_json()
    assert unseal(RULES.link_seal_key, shared.sealed_invitee_email) == "friend@elsewhere.example"
    token = token_of(shared)
    joined = await domain.join(uow, Who(), token, "Dad")
    assert joined.plan_id == plan["_id"] and joined.party_token
    assert len(domain.active(uow.plans[plan["_id"]])) == 2
    assert await refused(domain.join(uow, Who(), token, "Someone")) == "invitation-used"

    other, owner = await started_by_someone(uow)
    await domain.share(uow, other["_id"], owner, "email", "a@example.org", RULES)
    late = token_of(uow.events[-1][0])
    uow.clock += timedelta(days=7)
    assert await refused(domain.join(uow, Who(), late, "Dad")) == "invitation-expired"
    assert await refused(domain.join(uow, Who(), "no-such-token", "Dad")) == "invitation-unknown"


async def test_a_new_invitation_replaces_the_older_and_a_full_plan_invites_nobody():
    uow = FakeUnitOfWork()
    await referred(uow)
    plan = await started(uow)
    await domain.share(uow, plan["_id"], MUM, "co_parent", None, RULES)
    first = token_of(uow.events[-1][0])
    uow.clock += RULES.invitation_quiet_period  # within it, sharing again keeps the first (test below)
    await domain.share(uow, plan["_id"], MUM, "co_parent", None, RULES)
    second = uow.events[-1][0]
    assert second.invitee_participant_id == "p-dad" and second.sealed_invitee_email is None
    assert await refused(domain.join(uow, DAD, first, "Dad")) == "invitation-replaced"
    assert await refused(domain.join(uow, MUM, token_of(second), "Mum")) == "invitation-for-someone-else"
    await domain.join(uow, DAD, token_of(second), "Dad")
    assert await refused(domain.share(uow, plan["_id"], MUM, "co_parent", None, RULES)) == "plan-full"


async def test_ten_shares_to_the_co_parent_in_a_day_email_at_most_the_cap_and_the_link_sent_works():
    uow = FakeUnitOfWork()
    await referred(uow)
    answers = []
    for _ in range(10):  # the same plan shared again and again, then a new plan each time
        plan = await started(uow)
        answers.append(await domain.share(uow, plan["_id"], MUM, "co_parent", None, RULES))
        answers.append(await domain.share(uow, plan["_id"], MUM, "co_parent", None, RULES))
        if len([e for e in uow.emitted() if e == "plan.shared"]) == RULES.invitation_emails_per_recipient:
            break
    # The same plan again within the day: the invitation sent still works, and no email goes.
    assert [a.emailed for a in answers] == [True, False] * RULES.invitation_emails_per_recipient
    assert answers[1].invitation_id == answers[0].invitation_id and answers[1].expires_at == answers[0].expires_at
    another = await started(uow)
    assert await refused(domain.share(uow, another["_id"], MUM, "co_parent", None, RULES)) == "invitation-limit"
    kept = await domain.share(uow, plan["_id"], MUM, "co_parent", None, RULES)
    assert not kept.emailed
    assert uow.emitted().count("plan.shared") == RULES.invitation_emails_per_recipient
    newest = [e for e, _ in uow.events if isinstance(e, PlanShared)][-1]
    assert newest.plan_id == plan["_id"]
    await domain.join(uow, DAD, token_of(newest), "Dad")  # the newest link sent works
    uow.clock += RULES.invitation_quiet_period  # a day on, the next one goes
    assert (await domain.share(uow, another["_id"], MUM, "co_parent", None, RULES)).emailed


async def test_an_address_is_sent_few_invitations_a_day_whoever_asks_and_is_counted_by_a_keyed_hash():
    uow = FakeUnitOfWork()
    sent = []
    for _ in range(RULES.invitation_emails_per_recipient):
        plan, owner = await started_by_someone(uow)  # each stranger from anywhere: a new plan, a new token
        address = f" Target@Example.org{' ' * len(sent)}"  # one address, however it is typed
        sent.append(await domain.share(uow, plan["_id"], owner, "email", address, RULES))
    plan, owner = await started_by_someone(uow)
    limited = domain.share(uow, plan["_id"], owner, "email", "target@example.org", RULES)
    assert await refused(limited) == "invitation-limit"
    assert all(a.emailed for a in sent) and uow.emitted().count("plan.shared") == len(sent)
    assert (await domain.share(uow, plan["_id"], owner, "email", "someone@example.org", RULES)).emailed
    kept = str(list(uow.invitations.values())).lower()
    assert "target" not in kept and "example.org" not in kept  # counted by a keyed hash, never the address


async def test_the_invitee_asking_again_gets_a_new_link_within_the_cap_and_then_the_one_sent_still_works():
    uow = FakeUnitOfWork()
    await referred(uow)
    plan = await started(uow)
    await domain.share(uow, plan["_id"], MUM, "co_parent", None, RULES)
    for _ in range(RULES.invitation_emails_per_recipient - 1):  # Dad lost the link and starts a plan himself
        again = await domain.start(uow, DAD, "Dad", "en", CHILDREN, ["living"], RULES)
        assert isinstance(again, domain.Invitation) and again.emailed
    kept = await domain.start(uow, DAD, "Dad", "en", CHILDREN, ["living"], RULES)
    assert isinstance(kept, domain.Invitation) and not kept.emailed
    await domain.join(uow, DAD, token_of(uow.events[-1][0]), "Dad")


async def test_a_parent_whose_co_parent_shared_a_plan_is_sent_to_it_instead_of_starting_another():
    uow = FakeUnitOfWork()
    await referred(uow)
    plan = await started(uow)
    await domain.share(uow, plan["_id"], MUM, "co_parent", None, RULES)
    again = await domain.start(uow, DAD, "Dad", "en", CHILDREN, ["living"], RULES)
    assert isinstance(again, domain.Invitation) and again.shared_with == "co_parent"
    assert len(uow.plans) == 1 and uow.emitted()[-1] == "plan.shared"


async def test_sharing_with_the_fca_lets_them_read_but_not_change():
    uow = FakeUnitOfWork()
    await referred(uow)
    plan = await started(uow)
    assert (await domain.share(uow, plan["_id"], MUM, "fca", None, RULES)).shared_with == "fca"
    await domain.share(uow, plan["_id"], MUM, "fca", None, RULES)  # twice: one viewer, one history entry
    stored = uow.plans[plan["_id"]]
    assert stored["viewers"] == ["fca-sam"] and uow.actions(plan["_id"]).count("shared_with_fca") == 1
    fca = Who(fca_id="fca-sam")
    assert domain.reader(stored, fca) is None
    with pytest.raises(domain.Refused, match="forbidden: An FCA may read"):
        domain.member(stored, fca)
    with pytest.raises(domain.Unknown):
        domain.reader(stored, Who(fca_id="fca-other"))
    stranger, owner = await started_by_someone(uow)
    assert await refused(domain.share(uow, stranger["_id"], owner, "fca", None, RULES)) == "not-on-programme"


async def test_a_party_who_leaves_is_nobody_in_the_plan_and_their_words_stay():
    uow = FakeUnitOfWork()
    plan_id = await plan_of_two(uow, "living")
    await domain.negotiate(uow, plan_id, DAD, propose("living", "Weekdays with Dad"))
    await domain.leave(uow, plan_id, DAD)
    stored = uow.plans[plan_id]
    assert [p["display_name"] for p in domain.active(stored)] == ["Mum"]
    assert stored["items"]["living"]["content"] == {"text": "Weekdays with Dad"}
    assert uow.actions(plan_id)[-1] == "left"
    with pytest.raises(domain.Unknown):
        await domain.leave(uow, plan_id, DAD)


async def test_a_parent_cannot_join_their_own_plan_as_the_other_party_and_agree_it_alone():
    """Mum shares her plan by email and opens the link herself, signed in: refused, so the plan never
    has her twice, and her own proposal is still waiting for someone else."""
    uow = FakeUnitOfWork()
    await referred(uow)
    plan = await started(uow, "living")
    await domain.share(uow, plan["_id"], MUM, "email", "someone@elsewhere.example", RULES)
    assert await refused(domain.join(uow, MUM, token_of(uow.events[-1][0]), "Mum again")) == "already-a-party"
    assert len(domain.active(uow.plans[plan["_id"]])) == 1
