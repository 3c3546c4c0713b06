"""Rules of the parenting plan, with no I/O: parties, proposals, agreement, the history's diffs
and what a child may read. A plan is a plain dict (as stored); each rule returns what changes,
or raises `Refused` with a stable reason."""

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from plans.content import ADULTS_ONLY, TOPICS

MAX_PARTIES = 2  # the two parents


class Refused(Exception):
    """A rule says no. `reason` is stable (it becomes the problem's type); `facts` are safe to show."""

    def __init__(self, reason: str, **facts: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.facts = facts


# ---- ids and secrets -------------------------------------------------------------------------


def new_id() -> str:
    """Plan and party ids: 128 random bits, so an id cannot be guessed from another."""
    return secrets.token_urlsafe(16)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Only this hash is stored: a copy of the database cannot open anyone's plan."""
    return hashlib.sha256(token.encode()).hexdigest()


# ---- parties ---------------------------------------------------------------------------------


def active(plan: dict) -> list[dict]:
    return [p for p in plan["parties"] if p["left_at"] is None]


def party(plan: dict, *, participant_id: str | None = None, token_hash: str | None = None) -> dict | None:
    """The active party a caller is, if any. A party who left is nobody here any more."""
    for p in active(plan):
        if participant_id and p.get("participant_id") == participant_id:
            return p
        if token_hash and p.get("token_hash") and secrets.compare_digest(p["token_hash"], token_hash):
            return p
    return None


def new_party(role: str, display_name: str, now: datetime, *, participant_id: str | None, token_hash: str | None):
    return {
        "party_id": new_id(),
        "role": role,  # "owner" (started the plan) or "invitee"
        "display_name": display_name,
        "participant_id": participant_id,
        "token_hash": token_hash,
        "joined_at": now,
        "left_at": None,
    }


def may_invite(plan: dict) -> None:
    if len(active(plan)) >= MAX_PARTIES:
        raise Refused("plan-full")


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


# ---- negotiation -----------------------------------------------------------------------------


@dataclass
class Change:
    """What one action does: the topic's new state, a history entry, and what to announce."""

    topic: str
    item: dict
    action: str
    entry: dict
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


def propose(plan: dict, by: dict, topic: str, content: dict, now: datetime) -> Change:
    """A party proposes wording; it counts as their own acceptance of it."""
    item = _item(plan, topic)
    check_content(plan, topic, content)
    new = {
        "status": "proposed",
        "version": item["version"] + 1,
        "content": content,
        "proposed_by": by["party_id"],
        "proposed_at": now,
        "accepted_by": [by["party_id"]],
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


def mark_not_agreed(plan: dict, by: dict, topic: str, now: datetime) -> Change:
    """Either party may set a topic aside for now; the last proposal stays, for later."""
    item = _item(plan, topic)
    if item["status"] == "not_agreed":
        raise Refused("already-not-agreed", topic=topic)
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
        entry |= {"content": after["content"], "diff": diff(before["content"], after["content"])}
    status = "agreed" if now_agreed else "open"
    return Change(topic, after, action, entry, item_agreed, status, now_agreed and not was_agreed, events)


def history_entry(by: dict | None, action: str, now: datetime, **about: Any) -> dict:
    """Who (their party and chosen name, never a contact), when and what."""
    who = {"party_id": by["party_id"], "by": by["display_name"]} if by else {"party_id": None, "by": None}
    return {**who, "action": action, "at": now, **about}


# ---- the history's differences ---------------------------------------------------------------


def flatten(value: Any, path: str = "") -> dict[str, Any]:
    """`{"pets": [{"name": "Rex"}]}` → `{"pets.0.name": "Rex"}`: a difference names what moved."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out |= flatten(v, f"{path}.{k}" if path else str(k))
        return out
    if isinstance(value, list):
        out = {}
        for i, v in enumerate(value):
            out |= flatten(v, f"{path}.{i}" if path else str(i))
        return out if value else {path: []}
    return {path: value}


def diff(before: dict | None, after: dict | None) -> list[dict]:
    """Each field that changed from the previous version: its path, the old and the new value."""
    old, new = flatten(before or {}), flatten(after or {})
    changes = []
    for path in sorted(old.keys() | new.keys()):
        if old.get(path) != new.get(path):
            kind = "added" if path not in old else "removed" if path not in new else "changed"
            changes.append({"field": path, "change": kind, "before": old.get(path), "after": new.get(path)})
    return changes


# ---- what a child reads ----------------------------------------------------------------------


def for_children(plan: dict) -> list[tuple[str, dict]]:
    """The agreed topics a child may read about: nothing proposed or disputed, nothing about the
    adults' relationship (how they communicate), in the plan's order."""
    return [
        (t, plan["items"][t]["content"])
        for t in plan["topics"]
        if t not in ADULTS_ONLY and plan["items"][t]["status"] == "agreed"
    ]
