"""The other parent hears of a reply without harassment (domain.tell_the_other): at most one
`plan.reply_waiting` a day per plan per parent, none once they turned it off, never a word of the plan."""

from datetime import timedelta

from plans import domain
from ptfc.events import PlanReplyWaiting

from .fakes import FakeUnitOfWork, Who
from .test_write_rules import DAD, MUM, RULES, accept, plan_of_two, propose, started_by_someone, token_of

SECRET_WORDS = "Weekdays at the flat on Elm Road"


def replies(uow: FakeUnitOfWork) -> list[PlanReplyWaiting]:
    return [e for e, _ in uow.events if isinstance(e, PlanReplyWaiting)]


async def back_and_forth(uow: FakeUnitOfWork, plan_id: str, rounds: int, start: int = 0) -> None:
    """Each round, each parent proposes on the other's words: a day of arguing over one topic."""
    for n in range(start, start + rounds):
        await domain.negotiate(uow, plan_id, MUM, propose("living", f"{SECRET_WORDS} {n}"), RULES)
        await domain.negotiate(uow, plan_id, DAD, propose("living", f"{SECRET_WORDS}, no {n}"), RULES)
        uow.clock += timedelta(hours=1)


async def test_a_day_of_back_and_forth_tells_each_parent_once_then_again_the_next_day():
    uow = FakeUnitOfWork()
    plan_id = await plan_of_two(uow, "living", "pets")
    await back_and_forth(uow, plan_id, rounds=10)
    sent = replies(uow)
    assert sorted(e.recipient_participant_id for e in sent) == ["p-dad", "p-mum"]  # one each, in 20 proposals
    assert all(e.reason == "proposal" and e.plan_id == plan_id for e in sent)
    assert all(SECRET_WORDS not in e.model_dump_json() for e in sent)  # ids and a reason: no words of the plan

    uow.clock += RULES.reply_email_period  # the next day: one each again
    await back_and_forth(uow, plan_id, rounds=3, start=10)
    assert len(replies(uow)) == 4

    uow.clock += RULES.reply_email_period
    version = uow.plans[plan_id]["items"]["living"]["version"]
    await domain.negotiate(uow, plan_id, MUM, accept("living", version), RULES)
    await domain.negotiate(uow, plan_id, DAD, propose("pets", "Rex stays"), RULES)
    await domain.negotiate(uow, plan_id, MUM, accept("pets", 1), RULES)  # the plan is agreed: Dad is told
    last = replies(uow)[-2:]
    assert [(e.recipient_participant_id, e.reason) for e in last] == [("p-mum", "proposal"), ("p-dad", "agreed")]


async def test_a_parent_who_turned_the_emails_off_is_sent_none():
    uow = FakeUnitOfWork()
    plan_id = await plan_of_two(uow, "living")
    await domain.choose_reply_emails(uow, plan_id, DAD, on=False)
    before = uow.plans[plan_id]["revision"]
    await back_and_forth(uow, plan_id, rounds=2)
    uow.clock += RULES.reply_email_period
    await back_and_forth(uow, plan_id, rounds=2)
    assert [e.recipient_participant_id for e in replies(uow)] == ["p-mum", "p-mum"]
    assert uow.plans[plan_id]["revision"] == before + 8  # the choice itself was no change the other sees
    await domain.choose_reply_emails(uow, plan_id, DAD, on=True)
    uow.clock += RULES.reply_email_period
    await back_and_forth(uow, plan_id, rounds=1)
    assert [e.recipient_participant_id for e in replies(uow)][-2:] == ["p-dad", "p-mum"]


async def test_an_invitee_by_email_is_named_by_their_invitation_and_a_parent_without_an_address_by_nothing():
    uow = FakeUnitOfWork()
    plan, owner = await started_by_someone(uow)
    await domain.share(uow, plan["_id"], owner, "email", "friend@elsewhere.example", RULES)
    shared = uow.events[-1][0]
    joined = await domain.join(uow, Who(), token_of(shared), "Dad", "pl")
    dad = Who(token_hash=domain.hash_token(joined.party_token))
    await domain.negotiate(uow, plan["_id"], owner, propose("living", "Weekdays with Mum"), RULES)
    await domain.negotiate(uow, plan["_id"], dad, propose("living", "Weekdays with Dad"), RULES)
    [told] = replies(uow)  # Mum started without an account: nobody holds an address for her
    assert told.recipient_invitation_id == shared.invitation_id and told.recipient_participant_id is None
    assert told.preferred_language == "pl"


async def test_the_replies_after_the_first_of_the_day_go_as_one_email_when_the_day_is_over():
    uow = FakeUnitOfWork()
    plan_id = await plan_of_two(uow, "living")
    mum, dad = (p["party_id"] for p in uow.plans[plan_id]["parties"])
    await back_and_forth(uow, plan_id, rounds=3)  # 3 hours: one each at once, the rest held
    assert len(replies(uow)) == 2
    assert not await domain.send_held_reply(uow, plan_id, dad)  # not before the day is over
    uow.clock += RULES.reply_email_period
    assert await domain.send_held_reply(uow, plan_id, dad) and await domain.send_held_reply(uow, plan_id, mum)
    assert [e.recipient_participant_id for e in replies(uow)][2:] == ["p-dad", "p-mum"]
    assert not await domain.send_held_reply(uow, plan_id, dad)  # sent once
    await domain.negotiate(uow, plan_id, MUM, propose("living", "One more"), RULES)  # within a day of the digest
    assert len(replies(uow)) == 4
    await domain.choose_reply_emails(uow, plan_id, DAD, on=False)
    uow.clock += RULES.reply_email_period
    assert not await domain.send_held_reply(uow, plan_id, dad)  # turned off meanwhile: dropped
    assert len(replies(uow)) == 4


async def test_a_parent_who_left_the_plan_is_sent_no_digest_of_the_replies_held_for_them():
    """Dad leaves with replies held for him: the day after, he is sent nothing about a plan he left."""
    uow = FakeUnitOfWork()
    plan_id = await plan_of_two(uow, "living")
    dad = next(p["party_id"] for p in uow.plans[plan_id]["parties"] if p["participant_id"] == "p-dad")
    await back_and_forth(uow, plan_id, rounds=3)  # one each at once, the rest held
    await domain.leave(uow, plan_id, DAD)
    uow.clock += RULES.reply_email_period
    assert not await domain.send_held_reply(uow, plan_id, dad)
    assert [e.recipient_participant_id for e in replies(uow)].count("p-dad") == 1  # the one before he left


async def test_the_digest_says_the_plan_was_agreed_even_when_a_new_proposal_followed_within_the_day():
    """Held for Dad: the plan became agreed, then Mum proposed a change. His one email of the next day
    is about the agreement (the news he most needs), not only 'a proposal is waiting'."""
    uow = FakeUnitOfWork()
    plan_id = await plan_of_two(uow, "living")
    dad = next(p["party_id"] for p in uow.plans[plan_id]["parties"] if p["participant_id"] == "p-dad")
    await domain.negotiate(uow, plan_id, MUM, propose("living", "Weekdays with Mum"), RULES)  # Dad told at once
    await domain.negotiate(uow, plan_id, DAD, accept("living", 1), RULES)
    await domain.negotiate(uow, plan_id, DAD, propose("living", "Weekdays with Mum, Fridays with Dad"), RULES)
    await domain.negotiate(uow, plan_id, MUM, accept("living", 2), RULES)  # agreed: held for Dad
    await domain.negotiate(uow, plan_id, MUM, propose("living", "Weekdays with Mum, alternate Fridays"), RULES)
    uow.clock += RULES.reply_email_period
    assert await domain.send_held_reply(uow, plan_id, dad)
    assert (replies(uow)[-1].recipient_participant_id, replies(uow)[-1].reason) == ("p-dad", "agreed")
