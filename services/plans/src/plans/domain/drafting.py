"""Starting a plan: its children and topics (each topic open, nothing proposed), a programme parent sent to
the plan their co-parent already shared rather than starting a second one, and topics added later."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from plans.content import TOPICS
from plans.domain.base import MAX_PARTIES, Refused, Rules, UnitOfWork, Who, hash_token, link, new_id, new_token, saved
from plans.domain.history import history_entry
from plans.domain.parties import active, member, new_party
from plans.domain.sharing import Invitation, invite
from ptfc.events import PlanCreated


@dataclass
class Started:
    plan: dict
    owner: dict
    party_token: str | None  # shown once to someone without an account
    owner_link: str | None


def new_plan(owner: dict, language: str, children: list[dict], topics: list[str], now: datetime, **extra: Any):
    unknown = [t for t in topics if t not in TOPICS]
    if unknown:
        raise Refused("unknown-topic", topics=unknown)
    names = [c["name"].casefold() for c in children]
    if len(set(names)) != len(names):
        raise Refused("duplicate-child")
    chosen = [t for t in TOPICS if t in topics]  # the plan's own order, each once
    return {
        "_id": new_id(),
        "language": language,
        "children": children,
        "topics": chosen,
        "items": {t: empty_item() for t in chosen},
        "parties": [owner],
        "viewers": [],  # FCAs a party shared the plan with (read only)
        "status": "open",
        "revision": 0,
        "created_at": now,
        "updated_at": now,
        "agreed_at": None,
        **extra,
    }


def add_topics(plan: dict, topics: list[str]) -> list[str]:
    """The plan's topics with these added, in the plan's order. A new topic is open, so a plan
    that was agreed is open again until it is agreed too."""
    unknown = [t for t in topics if t not in TOPICS]
    if unknown:
        raise Refused("unknown-topic", topics=unknown)
    new = [t for t in topics if t not in plan["topics"]]
    if not new:
        raise Refused("topics-already-chosen")
    return [t for t in TOPICS if t in plan["topics"] or t in new]


def empty_item() -> dict:
    return {
        "status": "open",
        "version": 0,
        "content": None,
        "proposed_by": None,
        "proposed_at": None,
        "accepted_by": [],
    }


async def start(
    uow: UnitOfWork, who: Who, display_name: str, language: str, children: list[dict], topics: list[str], rules: Rules
) -> Started | Invitation:
    """Anyone may start a plan. A programme parent whose co-parent already shared a plan with them
    is sent (again) a link to that plan instead of starting a second one."""
    now, token = uow.now(), None
    extra: dict[str, Any] = {"referral_id": None, "fca_id": None}
    if who.participant_id:
        known = await uow.participant(who.participant_id)
        if known:
            extra = {"referral_id": known["referral_id"], "fca_id": known["fca_id"]}
        if (resent := await _co_parent_started(uow, who.participant_id, rules)) is not None:
            return resent
        owner = new_party(
            "owner", display_name, now, participant_id=who.participant_id, token_hash=None, language=language
        )
    else:
        token = new_token()
        owner = new_party(
            "owner", display_name, now, participant_id=None, token_hash=hash_token(token), language=language
        )
    plan = new_plan(owner, language, children, topics, now, **extra)
    await uow.add_plan(plan, history_entry(owner, "created", now, topics=plan["topics"]))
    await uow.emit(PlanCreated(plan_id=plan["_id"], owner_id=owner["party_id"]), plan["_id"])
    owner_link = link(rules, "open", plan=plan["_id"], token=token) if token else None
    return Started(plan, owner, token, owner_link)


async def _co_parent_started(uow: UnitOfWork, participant_id: str, rules: Rules) -> Invitation | None:
    waiting = await uow.pending_invitation_for(participant_id)
    plan = waiting and await uow.plan(waiting["plan_id"])
    inviter = plan and next((p for p in active(plan) if p["party_id"] == waiting["created_by"]), None)
    if not inviter or len(active(plan)) >= MAX_PARTIES:
        return None
    return await invite(uow, plan, inviter, participant_id, None, rules, asked_by_invitee=True)


async def more_topics(uow: UnitOfWork, plan_id: str, who: Who, topics: list[str]) -> tuple[dict, dict]:
    """Either party may add topics; each starts with nothing proposed, and the plan is open again."""
    plan = await uow.plan(plan_id)
    me = member(plan, who)
    chosen = add_topics(plan, topics)
    added = [t for t in chosen if t not in plan["topics"]]
    entry = history_entry(me, "topics_added", uow.now(), topics=added)
    items = {**plan["items"], **{t: empty_item() for t in added}}
    plan = await saved(uow, plan, entry, topics=chosen, items=items, status="open", agreed_at=None)
    return plan, me
