"""Rules of the plan, without I/O."""

from datetime import UTC, datetime

import pytest

from plans import content, domain
from plans.domain import Refused

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
WEEK = dict.fromkeys(content.DAYS, "owner")


def plan_of_two(*topics: str) -> tuple[dict, dict, dict]:
    mum = domain.new_party("owner", "Mum", NOW, participant_id="p1", token_hash=None)
    dad = domain.new_party("invitee", "Dad", NOW, participant_id=None, token_hash=domain.hash_token("t"))
    plan = domain.new_plan(mum, "en", [{"name": "Sam", "age": 6}], list(topics or ["living"]), NOW)
    plan["parties"].append(dad)
    return plan, mum, dad


def apply(plan: dict, change: domain.Change) -> dict:
    return {**plan, "items": {**plan["items"], change.topic: change.item}, "status": change.plan_status}


def test_a_topic_is_agreed_only_when_both_accept_the_same_version():
    plan, mum, dad = plan_of_two("living", "pets")
    change = domain.propose(plan, mum, "living", {"text": "Weekdays with Mum"}, NOW)
    assert (change.item["status"], change.item["version"], change.events) == ("proposed", 1, ["plan.proposal_made"])
    plan = apply(plan, change)
    with pytest.raises(Refused, match="already-accepted"):
        domain.accept(plan, mum, "living", 1, NOW)
    counter = domain.propose(plan, dad, "living", {"text": "Weekdays with Dad"}, NOW)
    assert counter.action == "counter_proposed" and counter.item["accepted_by"] == [dad["party_id"]]
    plan = apply(plan, counter)
    with pytest.raises(Refused, match="proposal-changed"):
        domain.accept(plan, mum, "living", 1, NOW)
    agreed = domain.accept(plan, mum, "living", 2, NOW)
    assert agreed.item["status"] == "agreed" and agreed.events == ["plan.item_agreed"] and not agreed.plan_agreed
    plan = apply(plan, agreed)
    plan = apply(plan, domain.propose(plan, dad, "pets", {"text": "Rex stays"}, NOW))
    last = domain.accept(plan, mum, "pets", 1, NOW)
    assert last.plan_agreed and last.events == ["plan.item_agreed", "plan.agreed"]


def test_one_party_alone_agrees_nothing_and_a_topic_can_be_set_aside():
    plan, mum, dad = plan_of_two()
    plan["parties"] = [mum]
    plan = apply(plan, domain.propose(plan, mum, "living", {"text": "x"}, NOW))
    assert plan["items"]["living"]["status"] == "proposed"
    plan["parties"].append(dad)
    aside = domain.mark_not_agreed(plan, dad, "living", NOW)
    assert aside.item["status"] == "not_agreed" and aside.item["content"] == {"text": "x"}
    with pytest.raises(Refused, match="already-not-agreed"):
        domain.mark_not_agreed(apply(plan, aside), mum, "living", NOW)


def test_a_proposal_is_not_set_aside_unread():
    """Read at version 1 while the co-parent proposed version 2: setting 'version 1' aside refuses."""
    plan, mum, dad = plan_of_two()
    plan = apply(plan, domain.propose(plan, mum, "living", {"text": "x"}, NOW))
    plan = apply(plan, domain.propose(plan, dad, "living", {"text": "y"}, NOW))
    with pytest.raises(Refused, match="proposal-changed"):
        domain.mark_not_agreed(plan, mum, "living", NOW, version=1)
    assert domain.mark_not_agreed(plan, mum, "living", NOW, version=2).item["status"] == "not_agreed"


def test_proposals_keep_to_the_topic_and_the_plans_children():
    plan, mum, _ = plan_of_two("living", "education")
    with pytest.raises(Refused, match="topic-not-chosen"):
        domain.propose(plan, mum, "pets", {"text": "x"}, NOW)
    with pytest.raises(Refused, match="field-not-for-topic"):
        domain.propose(plan, mum, "education", {"text": "x", "pets": []}, NOW)
    with pytest.raises(Refused, match="unknown-child"):
        domain.propose(plan, mum, "living", {"weekly_pattern": [{"child": "Kim", "nights": WEEK}]}, NOW)
    with pytest.raises(Refused, match="empty-proposal"):
        domain.propose(plan, mum, "education", {"text": ""}, NOW)
    with pytest.raises(Refused, match="duplicate-child"):
        domain.new_plan(mum, "en", [{"name": "Sam", "age": 1}, {"name": "sam", "age": 2}], ["living"], NOW)


def test_the_diff_names_each_field_that_moved():
    before = {"text": "a", "pets": [{"name": "Rex", "kept_by": "owner"}]}
    after = {"text": "b", "pets": [{"name": "Rex", "kept_by": "invitee"}, {"name": "Tom", "kept_by": "owner"}]}
    assert domain.diff(before, after) == [
        {"field": "pets.0.kept_by", "change": "changed", "before": "owner", "after": "invitee"},
        {"field": "pets.1.kept_by", "change": "added", "before": None, "after": "owner"},
        {"field": "pets.1.name", "change": "added", "before": None, "after": "Tom"},
        {"field": "text", "change": "changed", "before": "a", "after": "b"},
    ]
    assert domain.diff(after, after) == []


def test_children_read_only_agreed_topics_and_never_about_the_adults():
    plan, mum, dad = plan_of_two("living", "communication", "pets")
    for topic in ("living", "communication"):
        plan = apply(plan, domain.propose(plan, mum, topic, {"text": topic}, NOW))
        plan = apply(plan, domain.accept(plan, dad, topic, 1, NOW))
    plan = apply(plan, domain.propose(plan, mum, "pets", {"text": "pets"}, NOW))
    assert [t for t, _ in domain.for_children(plan)] == ["living"]


def test_a_party_who_left_is_nobody_and_a_plan_has_two_parents():
    plan, _, dad = plan_of_two()
    assert domain.party(plan, token_hash=domain.hash_token("t")) == dad
    with pytest.raises(Refused, match="plan-full"):
        domain.may_invite(plan)
    dad["left_at"] = NOW
    assert domain.party(plan, token_hash=domain.hash_token("t")) is None
    domain.may_invite(plan)


@pytest.mark.parametrize("lang", content.LANGUAGES)
def test_every_language_has_every_topic_and_words_for_each_age(lang):
    topics = content.topics(lang)
    assert [t.key for t in topics] == list(content.TOPICS)
    for t in topics:
        assert t.title and t.guidance and len(t.prompts) == 3
        assert set(t.child) == (set() if t.key in content.ADULTS_ONLY else {"under_8", "8_12", "13_plus"})
    assert set(content.labels(lang)) == set(content.labels("en"))
    assert [content.age_band(a) for a in (7, 8, 12, 13)] == ["under_8", "8_12", "8_12", "13_plus"]
