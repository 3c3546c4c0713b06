"""Each agreement rule on its own, so that breaking any one of them fails a test (each was checked by
breaking it in domain.py: the rule removed, this file fails)."""

import pytest

from plans import domain
from plans.domain import Refused

from .test_domain import NOW, apply, plan_of_two


def agreed_plan(*topics: str) -> tuple[dict, dict, dict]:
    plan, mum, dad = plan_of_two(*(topics or ("living",)))
    for topic in plan["topics"]:
        plan = apply(plan, domain.propose(plan, mum, topic, {"text": f"{topic} as Mum says"}, NOW))
        plan = apply(plan, domain.accept(plan, dad, topic, plan["items"][topic]["version"], NOW))
    assert plan["status"] == "agreed"
    return plan, mum, dad


def test_nothing_proposed_is_nothing_to_accept():
    plan, _mum, dad = plan_of_two()
    with pytest.raises(Refused, match="nothing-to-accept"):
        domain.accept(plan, dad, "living", 1, NOW)


def test_a_new_proposal_on_an_agreed_topic_undoes_the_agreement_and_opens_the_plan():
    plan, _mum, dad = agreed_plan()
    change = domain.propose(plan, dad, "living", {"text": "Fridays with Dad"}, NOW)
    assert change.item["status"] == "proposed" and change.item["accepted_by"] == [dad["party_id"]]
    assert change.plan_status == "open" and not change.plan_agreed


def test_after_a_topic_is_set_aside_one_acceptance_agrees_nothing():
    plan, mum, dad = plan_of_two()
    plan = apply(plan, domain.propose(plan, mum, "living", {"text": "Weekdays with Mum"}, NOW))
    plan = apply(plan, domain.mark_not_agreed(plan, dad, "living", NOW, version=1))
    mine = domain.accept(plan, mum, "living", 1, NOW)  # her own words again: both must accept once more
    assert mine.item["status"] == "proposed" and mine.plan_status == "open"
    both = domain.accept(apply(plan, mine), dad, "living", 1, NOW)
    assert both.item["status"] == "agreed"


def test_a_parent_who_left_agrees_nothing_for_the_one_still_there():
    plan, mum, dad = plan_of_two()
    plan = apply(plan, domain.propose(plan, dad, "living", {"text": "Weekdays with Dad"}, NOW))
    plan["parties"] = [p if p is mum else {**p, "left_at": NOW} for p in plan["parties"]]
    alone = domain.accept(plan, mum, "living", 1, NOW)
    assert alone.item["status"] == "proposed" and not alone.plan_agreed


def test_the_two_taking_part_agree_after_another_parent_left():
    plan, mum, dad = plan_of_two()
    plan["parties"] = [mum, {**dad, "left_at": NOW}]
    newcomer = domain.new_party("invitee", "Papa", NOW, participant_id=None, token_hash=domain.hash_token("u"))
    plan["parties"].append(newcomer)
    plan = apply(plan, domain.propose(plan, mum, "living", {"text": "Weekdays with Mum"}, NOW))
    agreed = domain.accept(plan, newcomer, "living", 1, NOW)
    assert agreed.item["status"] == "agreed" and agreed.plan_agreed


def test_the_plan_is_agreed_again_after_a_change_is_agreed():
    plan, mum, dad = agreed_plan()
    plan = apply(plan, domain.propose(plan, dad, "living", {"text": "Fridays with Dad"}, NOW))
    again = domain.accept(plan, mum, "living", 2, NOW)
    assert again.plan_agreed and again.events == ["plan.item_agreed", "plan.agreed"]


def test_the_co_parent_sending_the_same_words_is_their_proposal_not_a_repeat():
    """Dad types exactly Mum's words: that is his proposal (a new version, his acceptance, waiting for
    Mum), not dropped as a form sent twice, which only the same parent's repeat is."""
    plan, mum, dad = plan_of_two()
    plan = apply(plan, domain.propose(plan, mum, "living", {"text": "Weekdays with Mum"}, NOW))
    same = domain.propose(plan, dad, "living", {"text": "Weekdays with Mum"}, NOW)
    assert same.entry is not None and same.events == ["plan.proposal_made"]
    assert (same.item["version"], same.item["proposed_by"], same.item["accepted_by"]) == (
        2,
        dad["party_id"],
        [dad["party_id"]],
    )
