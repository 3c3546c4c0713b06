"""Rules of the parenting plan, with no I/O: parties, proposals, agreement, the history's diffs
and what a child may read. A plan is a plain dict (as stored); each rule returns what changes,
or raises `Refused` with a stable reason.

The write rules at the end (start, negotiate, share, join, leave) work on stored documents through
a `UnitOfWork` (store.py gives the MongoDB one, tests an in-memory one), so every state change is
here and tested without servers."""

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlencode

from plans.content import ADULTS_ONLY, TOPICS
from ptfc.events import (
    EventData,
    PlanAgreed,
    PlanCreated,
    PlanItemAgreed,
    PlanProposalMade,
    PlanReplyWaiting,
    PlanShared,
)
from ptfc.lookup import email_key
from ptfc.refusals import Refused as Refused  # re-exported: the rules raise these, refusals.py words them
from ptfc.refusals import Unknown as Unknown
from ptfc.sealing import seal

MAX_PARTIES = 2  # the two parents


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


def new_party(
    role: str,
    display_name: str,
    now: datetime,
    *,
    participant_id: str | None,
    token_hash: str | None,
    language: str | None = None,  # None: the plan's
    invitation_id: str | None = None,
):
    return {
        "party_id": new_id(),
        "role": role,  # "owner" (started the plan) or "invitee"
        "display_name": display_name,
        "language": language,  # what they read the plan in, and write their words in
        "invitation_id": invitation_id,  # how notifications reaches an invitee without an account
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


def language_of(plan: dict, who: dict | None) -> str:
    """The language a party reads and writes in (the plan's, for a party stored before it was kept)."""
    return (who or {}).get("language") or plan["language"]


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


# ---- the write rules, through a unit of work ---------------------------------------------------


class UnitOfWork(Protocol):
    """What the write rules read and write, in one transaction. Documents are dicts as stored."""

    def now(self) -> datetime: ...
    async def plan(self, plan_id: str) -> dict | None: ...
    async def add_plan(self, plan: dict, entry: dict) -> None: ...
    async def save_plan(self, plan: dict, entry: dict) -> None: ...
    async def participant(self, participant_id: str) -> dict | None: ...
    async def keep_participant(self, participant: dict) -> None: ...
    async def invitation(self, token_hash: str) -> dict | None: ...
    async def pending_invitation_for(self, participant_id: str) -> dict | None: ...
    async def add_invitation(self, invitation: dict) -> None: ...
    async def save_invitation(self, invitation: dict) -> None: ...
    async def invitations_to(self, recipient: str, since: datetime) -> list[dict]: ...
    async def reply_emails(self, plan_id: str, party_id: str) -> dict: ...
    async def keep_reply_emails(self, plan_id: str, party_id: str, choice: dict) -> None: ...
    async def emit(self, event: EventData, correlation_id: str) -> None: ...


class Rules(Protocol):
    """The settings the write rules read."""

    hub_url: str
    link_seal_key: str
    invitation_ttl: timedelta
    email_lookup_key: str
    invitation_quiet_period: timedelta
    invitation_emails_per_recipient: int
    reply_email_period: timedelta


class Who(Protocol):
    """The caller, as access.Identity gives it: a programme parent, a plan token's holder or an FCA."""

    participant_id: str | None
    token_hash: str | None
    fca_id: str | None


@dataclass
class Started:
    plan: dict
    owner: dict
    party_token: str | None  # shown once to someone without an account
    owner_link: str | None


@dataclass
class Invitation:
    shared_with: str  # "co_parent", "email" or "fca"
    invitation_id: str | None = None
    expires_at: datetime | None = None
    emailed: bool = False  # False: an invitation sent recently still works, and no email went now


@dataclass
class Joined:
    plan_id: str
    party_token: str | None


def member(plan: dict | None, who: Who) -> dict:
    """The caller's party in this plan, for changing it; an FCA only reads; anyone else: unknown."""
    if not (who.participant_id or who.token_hash or who.fca_id):
        raise Refused("unauthenticated")
    found = plan and party(plan, participant_id=who.participant_id, token_hash=who.token_hash)
    if not found:
        if plan and who.fca_id and who.fca_id in plan["viewers"]:
            raise Refused("forbidden", "An FCA may read a plan shared with them, not change it.")
        raise Unknown("plan")
    return found


def reader(plan: dict | None, who: Who) -> dict | None:
    """The caller's party, or None for an FCA the plan was shared with; anyone else: unknown."""
    if plan and who.fca_id and who.fca_id in plan["viewers"]:
        return None
    return member(plan, who)


def link(rules: Rules, page: str, **query: str) -> str:
    return f"{rules.hub_url}/plans/{page}?{urlencode(query)}"


async def _saved(uow: UnitOfWork, plan: dict, entry: dict, **changes: Any) -> dict:
    """The plan with `changes` at the next revision, saved with its history entry (the store refuses
    `plan-changed` if another change saved the revision first)."""
    plan = {**plan, **changes, "revision": plan["revision"] + 1, "updated_at": entry["at"]}
    await uow.save_plan(plan, entry)
    return plan


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


Act = Callable[..., Change]  # called as act(plan, party, now=now)
REPLY_EMAIL_PERIOD = timedelta(days=1)


def reply_reason(change: Change) -> str | None:
    """What the other parent is told of: a proposal waiting for them, or the plan agreed."""
    if change.plan_agreed:
        return "agreed"
    return "proposal" if "plan.proposal_made" in change.events else None


async def tell_the_other(uow: UnitOfWork, plan: dict, me: dict, reason: str, period: timedelta) -> None:
    """The other parent hears that there is a reply, without harassment: at most one email a day per
    plan (a digest: the first reply of the day is told at once, the replies after it in one email when
    the day since is over: send_held_reply), none once they turned these emails off, and none to a
    parent nobody can write to (no account, not invited by email). The event names them by id;
    notifications alone keeps the address."""
    now = uow.now()
    for other in (p for p in active(plan) if p["party_id"] != me["party_id"]):
        if not (other.get("participant_id") or other.get("invitation_id")):
            continue
        choice = await uow.reply_emails(plan["_id"], other["party_id"])
        if choice.get("off"):
            continue
        if choice.get("sent_at") and now - choice["sent_at"] < period:
            held = "agreed" if "agreed" in (reason, choice.get("held")) else "proposal"
            due = {"held": held, "due_at": choice["sent_at"] + period}
            await uow.keep_reply_emails(plan["_id"], other["party_id"], {**choice, **due})
            continue
        await uow.keep_reply_emails(
            plan["_id"], other["party_id"], {**choice, "sent_at": now, "held": None, "due_at": None}
        )
        await uow.emit(_reply_waiting(plan, other, reason), plan["_id"])


def _reply_waiting(plan: dict, other: dict, reason: str) -> PlanReplyWaiting:
    return PlanReplyWaiting(
        plan_id=plan["_id"],
        reason=reason,  # type: ignore[arg-type]
        recipient_participant_id=other.get("participant_id"),
        recipient_invitation_id=None if other.get("participant_id") else other.get("invitation_id"),
        preferred_language=language_of(plan, other),  # type: ignore[arg-type]
    )


async def send_held_reply(uow: UnitOfWork, plan_id: str, party_id: str) -> bool:
    """The day after the last reply email, the replies held back since go as one (the digest); none
    if the parent turned the emails off or left the plan meanwhile."""
    now, choice = uow.now(), await uow.reply_emails(plan_id, party_id)
    if not choice.get("held") or not choice.get("due_at") or choice["due_at"] > now:
        return False
    plan = await uow.plan(plan_id)
    other = next((p for p in active(plan) if p["party_id"] == party_id), None) if plan else None
    cleared = {**choice, "held": None, "due_at": None}
    if choice.get("off") or not other:
        await uow.keep_reply_emails(plan_id, party_id, cleared)
        return False
    await uow.keep_reply_emails(plan_id, party_id, {**cleared, "sent_at": now})
    await uow.emit(_reply_waiting(plan, other, choice["held"]), plan_id)  # type: ignore[arg-type]
    return True


async def choose_reply_emails(uow: UnitOfWork, plan_id: str, who: Who, on: bool) -> tuple[dict, dict]:
    """A parent turns the reply emails on or off, for this plan. Kept apart from the plan, so that it
    is no change the other parent sees (no new version, nothing in the history)."""
    plan = await uow.plan(plan_id)
    me = member(plan, who)
    choice = await uow.reply_emails(plan_id, me["party_id"])
    await uow.keep_reply_emails(plan_id, me["party_id"], {**choice, "off": not on})
    return plan, me  # type: ignore[return-value]


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
    plan = await _saved(uow, plan, change.entry, items=items, status=change.plan_status, agreed_at=agreed_at)
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


async def more_topics(uow: UnitOfWork, plan_id: str, who: Who, topics: list[str]) -> tuple[dict, dict]:
    """Either party may add topics; each starts with nothing proposed, and the plan is open again."""
    plan = await uow.plan(plan_id)
    me = member(plan, who)
    chosen = add_topics(plan, topics)
    added = [t for t in chosen if t not in plan["topics"]]
    entry = history_entry(me, "topics_added", uow.now(), topics=added)
    items = {**plan["items"], **{t: empty_item() for t in added}}
    plan = await _saved(uow, plan, entry, topics=chosen, items=items, status="open", agreed_at=None)
    return plan, me


async def share(uow: UnitOfWork, plan_id: str, who: Who, to: str, email: str | None, rules: Rules) -> Invitation:
    """Invite the co-parent (known by the referral), someone by email (sealed for notifications),
    or let the sharing parent's FCA read the plan."""
    plan = await uow.plan(plan_id)
    me = member(plan, who)
    # The referral is read now: it may have arrived after the plan was started.
    known = await uow.participant(me["participant_id"]) if me.get("participant_id") else None
    if to == "fca":
        if not known:
            raise Refused("not-on-programme")
        if known["fca_id"] not in plan["viewers"]:
            entry = history_entry(me, "shared_with_fca", uow.now())
            await _saved(uow, plan, entry, viewers=[*plan["viewers"], known["fca_id"]])
        return Invitation(shared_with="fca")
    may_invite(plan)
    if to == "co_parent":
        if not known or not known["co_parents"]:
            raise Refused("no-co-parent")
        return await invite(uow, plan, me, known["co_parents"][0], None, rules)
    if not email:
        raise Refused("email-needed")
    return await invite(uow, plan, me, None, email, rules)


def recipient_of(invitee_id: str | None, email: str | None, rules: Rules) -> str:
    """Whom an invitation reaches, as plans counts them: a programme parent by id, anyone else by a
    keyed hash of the address (ptfc.lookup), which reaches nobody and cannot be tested against guesses."""
    if invitee_id:
        return f"participant:{invitee_id}"
    return f"email:{email_key(rules.email_lookup_key, email or '')}"


async def invite(
    uow: UnitOfWork,
    plan: dict,
    me: dict,
    invitee_id: str | None,
    email: str | None,
    rules: Rules,
    asked_by_invitee: bool = False,
) -> Invitation:
    """A single-use, expiring link (a plan has one open invitation: a new one replaces the older),
    sealed on the bus with the address (if any) for notifications.

    Whoever asks, one person is sent at most `invitation_emails_per_recipient` invitations in
    `invitation_quiet_period`, so that a parent cannot flood the other's inbox, nor a stranger any
    address. Within that period, sharing the same plan with the same person again keeps the invitation
    already sent (it still works): replacing it without an email would leave them a dead link. The
    invitee asking again for their own (starting a plan of their own) is sent a new one, within the cap."""
    now = uow.now()
    shared_with = "co_parent" if invitee_id else "email"
    recipient = recipient_of(invitee_id, email, rules)
    recent = await uow.invitations_to(recipient, now - rules.invitation_quiet_period)
    capped = len(recent) >= rules.invitation_emails_per_recipient
    current = next(
        (i for i in recent if i["plan_id"] == plan["_id"] and i["state"] == "pending" and i["expires_at"] > now), None
    )
    if current and (capped or not asked_by_invitee):
        return Invitation(shared_with, current["invitation_id"], current["expires_at"], emailed=False)
    if capped:
        raise Refused("invitation-limit", retry_after=int(rules.invitation_quiet_period.total_seconds()))
    token, invitation_id = new_token(), new_id()
    expires_at = now + rules.invitation_ttl
    await uow.add_invitation(
        {
            "_id": hash_token(token),
            "invitation_id": invitation_id,
            "plan_id": plan["_id"],
            "invitee_participant_id": invitee_id,
            "recipient": recipient,
            "state": "pending",
            "created_by": me["party_id"],
            "created_at": now,
            "expires_at": expires_at,
        }
    )
    await _saved(uow, plan, history_entry(me, "shared", now, invitee=shared_with), invited_until=expires_at)
    event = PlanShared(
        plan_id=plan["_id"],
        invitation_id=invitation_id,
        invitee_participant_id=invitee_id,
        sealed_invitee_email=seal(rules.link_seal_key, email) if email else None,
        sealed_invite_url=seal(rules.link_seal_key, link(rules, "join", token=token)),
        expires_at=expires_at,
        preferred_language=plan["language"],
    )
    await uow.emit(event, plan["_id"])
    return Invitation(shared_with=shared_with, invitation_id=invitation_id, expires_at=expires_at, emailed=True)


async def join(uow: UnitOfWork, who: Who, token: str, display_name: str, language: str | None = None) -> Joined:
    """Use an invitation, once and before it expires. Someone without an account gets their own
    secret plan token, shown this once."""
    now = uow.now()
    invitation = await uow.invitation(hash_token(token))
    if invitation is None:
        raise Refused("invitation-unknown")
    if invitation["state"] != "pending":
        raise Refused("invitation-used" if invitation["state"] == "used" else "invitation-replaced")
    if invitation["expires_at"] <= now:
        raise Refused("invitation-expired")
    if invitation["invitee_participant_id"] and invitation["invitee_participant_id"] != who.participant_id:
        raise Refused("invitation-for-someone-else")
    plan = await uow.plan(invitation["plan_id"])
    if plan is None:
        raise Refused("invitation-unknown")
    may_invite(plan)
    if who.participant_id and party(plan, participant_id=who.participant_id):
        raise Refused("already-a-party")
    secret = None if who.participant_id else new_token()
    hashed = hash_token(secret) if secret else None
    joined = new_party(
        "invitee",
        display_name,
        now,
        participant_id=who.participant_id,
        token_hash=hashed,
        language=language or plan["language"],
        invitation_id=invitation["invitation_id"],
    )
    await uow.save_invitation({**invitation, "state": "used", "used_at": now})
    await _saved(uow, plan, history_entry(joined, "joined", now), parties=[*plan["parties"], joined])
    return Joined(plan_id=plan["_id"], party_token=secret)


async def leave(uow: UnitOfWork, plan_id: str, who: Who) -> None:
    """The party stops seeing the plan; its history (their words included) stays for the other."""
    plan = await uow.plan(plan_id)
    me = member(plan, who)
    now = uow.now()
    parties = [{**p, "left_at": now} if p["party_id"] == me["party_id"] else p for p in plan["parties"]]
    await _saved(uow, plan, history_entry(me, "left", now), parties=parties)


async def remember_participants(
    uow: UnitOfWork, referral_id: str, fca_id: str, people: list[tuple[str, str, list[str]]]
) -> None:
    """Each parent of a referral (ids and language only), with their co-parents' ids (as the event says)."""
    for pid, language, co_parents in people:
        doc = {"_id": pid, "referral_id": referral_id, "fca_id": fca_id, "language": language}
        doc["co_parents"] = co_parents
        await uow.keep_participant(doc)
