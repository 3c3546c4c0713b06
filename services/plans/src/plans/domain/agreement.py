"""The negotiation, topic by topic: a party proposes (their own acceptance), the other accepts the same
version or proposes other words, either sets a topic aside; a topic is agreed when both parents accepted
one version, the plan when every topic is. Safety-relevant: `tests/unit/test_agreement_rules.py` holds
these rules. Also what a child may read: agreed topics only, nothing about the adults."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from plans.content import ADULTS_ONLY, TOPICS
from plans.domain.base import MAX_PARTIES, Refused, Rules, UnitOfWork, Who, saved
from plans.domain.history import diff, history_entry
from plans.domain.parties import active, language_of, member
from plans.domain.replies import REPLY_EMAIL_PERIOD, tell_the_other
from ptfc.events import PlanAgreed, PlanItemAgreed, PlanProposalMade


@dataclass
class Change:
    """What one action does: the topic's new state, a history entry, and what to announce."""

    topic: str
    item: dict
    action: str
    entry: dict | None  # None: nothing changed (nothing saved, nothing announced)
    item_agreed: bool = False
    plan_status: str = "open"
    plan_agreed: bool = False  # the plan has just become agreed
    events: list[str] = field(default_factory=list)


def _item(plan: dict, topic: str) -> dict:
    if topic not in plan["topics"]:
        raise Refused("topic-not-chosen", topic=topic)
    return plan["items"][topic]


def check_content(plan: dict, topic: str, content: dict) -> None:
    """Structured fields only where the topic takes them, about the plan's own children."""
    allowed = TOPICS[topic]
    extra = [k for k in content if k != "text" and k != allowed]
    if extra:
        raise Refused("field-not-for-topic", topic=topic, fields=extra)
    if not content.get("text") and not content.get(allowed or "text"):
        raise Refused("empty-proposal")
    children = {c["name"].casefold() for c in plan["children"]}
    strangers = [row["child"] for row in content.get(allowed or "", []) or [] if "child" in row]
    strangers = [name for name in strangers if name.casefold() not in children]
    if strangers:
        raise Refused("unknown-child", children=strangers)


def propose(plan: dict, by: dict, topic: str, content: dict, now: datetime, language: str | None = None) -> Change:
    """A party proposes wording; it counts as their own acceptance of it. The words are kept as
    written, with the language they were written in (`language`, else the party's)."""
    item = _item(plan, topic)
    check_content(plan, topic, content)
    if item["proposed_by"] == by["party_id"] and item["content"] == content and item["status"] != "not_agreed":
        # The same words from the same parent (a form sent again after Back): already on the table.
        return Change(topic, item, "unchanged", None, plan_status=plan["status"])
    new = {
        "status": "proposed",
        "version": item["version"] + 1,
        "content": content,
        "proposed_by": by["party_id"],
        "proposed_at": now,
        "accepted_by": [by["party_id"]],
        "language": language or language_of(plan, by),
    }
    action = "counter_proposed" if item["content"] is not None and item["proposed_by"] != by["party_id"] else "proposed"
    return _change(plan, by, topic, item, new, action, now, events=["plan.proposal_made"])


def accept(plan: dict, by: dict, topic: str, version: int, now: datetime) -> Change:
    """The topic is agreed once every party (both parents) has accepted the same version."""
    item = _item(plan, topic)
    if item["content"] is None:
        raise Refused("nothing-to-accept", topic=topic)
    if version != item["version"]:
        raise Refused("proposal-changed", topic=topic, current_version=item["version"])
    if by["party_id"] in item["accepted_by"]:
        raise Refused("already-accepted", topic=topic, version=version)
    accepted = [*item["accepted_by"], by["party_id"]]
    everyone = {p["party_id"] for p in active(plan)}
    agreed = len(everyone) >= MAX_PARTIES and everyone <= set(accepted)
    new = {**item, "accepted_by": accepted, "status": "agreed" if agreed else "proposed"}
    return _change(plan, by, topic, item, new, "agreed" if agreed else "accepted", now)


def mark_not_agreed(plan: dict, by: dict, topic: str, now: datetime, version: int | None = None) -> Change:
    """Either party may set a topic aside for now; the last proposal stays, for later. With the
    `version` the party read, a newer proposal (or its agreement) is not set aside unseen."""
    item = _item(plan, topic)
    if item["status"] == "not_agreed":
        raise Refused("already-not-agreed", topic=topic)
    if version is not None and version != item["version"]:
        raise Refused("proposal-changed", topic=topic, current_version=item["version"])
    new = {**item, "status": "not_agreed", "accepted_by": []}
    return _change(plan, by, topic, item, new, "not_agreed", now)


def _change(plan: dict, by: dict, topic: str, before: dict, after: dict, action: str, now, events=()) -> Change:
    items = {**plan["items"], topic: after}
    was_agreed = plan["status"] == "agreed"
    now_agreed = all(i["status"] == "agreed" for i in items.values())
    events = list(events)
    item_agreed = after["status"] == "agreed" and before["status"] != "agreed"
    if item_agreed:
        events.append("plan.item_agreed")
    if now_agreed and not was_agreed:
        events.append("plan.agreed")
    entry = history_entry(by, action, now, topic=topic, version=after["version"], status=after["status"])
    if action in ("proposed", "counter_proposed"):
        entry |= {
            "content": after["content"],
            "diff": diff(before["content"], after["content"]),
            "language": after.get("language"),
        }
    status = "agreed" if now_agreed else "open"
    return Change(topic, after, action, entry, item_agreed, status, now_agreed and not was_agreed, events)


def for_children(plan: dict) -> list[tuple[str, dict]]:
    """The agreed topics a child may read about: nothing proposed or disputed, nothing about the
    adults' relationship (how they communicate), in the plan's order."""
    return [
        (t, plan["items"][t]["content"])
        for t in plan["topics"]
        if t not in ADULTS_ONLY and plan["items"][t]["status"] == "agreed"
    ]


Act = Callable[..., Change]  # called as act(plan, party, now=now)


def reply_reason(change: Change) -> str | None:
    """What the other parent is told of: a proposal waiting for them, or the plan agreed."""
    if change.plan_agreed:
        return "agreed"
    return "proposal" if "plan.proposal_made" in change.events else None


async def negotiate(uow: UnitOfWork, plan_id: str, who: Who, act: Act, rules: Rules | None = None) -> tuple[dict, dict]:
    """One step of the negotiation on one topic (`act` is propose, accept or mark_not_agreed, bound
    to its topic): the plan saved with the step in its history, the step announced, and the other
    parent told of a reply (tell_the_other)."""
    plan = await uow.plan(plan_id)
    me = member(plan, who)
    now = uow.now()
    change = act(plan, me, now=now)
    if change.entry is None:
        return plan, me
    agreed_at = now if change.plan_agreed else None if change.plan_status != "agreed" else plan["agreed_at"]
    items = {**plan["items"], change.topic: change.item}
    plan = await saved(uow, plan, change.entry, items=items, status=change.plan_status, agreed_at=agreed_at)
    for kind in change.events:
        if kind == "plan.proposal_made":
            proposal_id = f"{change.topic}:{change.item['version']}"
            await uow.emit(PlanProposalMade(plan_id=plan_id, proposal_id=proposal_id, topic=change.topic), plan_id)
        elif kind == "plan.item_agreed":
            await uow.emit(PlanItemAgreed(plan_id=plan_id, topic=change.topic), plan_id)
        elif kind == "plan.agreed":
            await uow.emit(PlanAgreed(plan_id=plan_id), plan_id)
    if reason := reply_reason(change):
        await tell_the_other(uow, plan, me, reason, rules.reply_email_period if rules else REPLY_EMAIL_PERIOD)
    return plan, me
