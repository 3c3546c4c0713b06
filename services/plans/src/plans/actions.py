"""What each write does, in one transaction: read the plan, apply the rule, record the change in
the history, and emit its events through the outbox. Routes call these, once per Idempotency-Key."""

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from plans import domain, store
from plans.access import Identity, party_of
from plans.domain import Refused
from plans.refusals import problem
from plans.schemas import CoParentPlan, Invited, Joined, NewPlan, Share, Started
from plans.views import plan_view
from ptfc.events import PlanAgreed, PlanCreated, PlanItemAgreed, PlanProposalMade, PlanShared
from ptfc.idempotency import once
from ptfc.sealing import seal
from ptfc.service import Runtime
from ptfc.store import Tx

Answer = tuple[int, dict[str, Any]]


async def run(rt: Runtime, key: str | None, scope: str, payload: Any, work) -> Any:
    """`once`, with the domain's refusals as problems (so a racing retry is answered as the first was)."""

    async def guarded(tx: Tx) -> Answer:
        try:
            return await work(tx)
        except Refused as refused:
            raise problem(refused) from refused

    return await once(rt.store, key, scope, payload, guarded)


def _link(rt: Runtime, page: str, **query: str) -> str:
    return f"{rt.settings.hub_url}/plans/{page}?{urlencode(query)}"


async def start(rt: Runtime, who: Identity, body: NewPlan, tx: Tx) -> Answer:
    now, token = tx.clock.now(), None
    extra: dict[str, Any] = {"referral_id": None, "fca_id": None}
    if who.participant_id:
        known = await store.participant(tx, who.participant_id)
        if known:
            extra = {"referral_id": known["referral_id"], "fca_id": known["fca_id"]}
        if (resent := await _co_parent_started(rt, tx, who.participant_id, now)) is not None:
            return 202, resent.model_dump(mode="json")
        owner = domain.new_party("owner", body.display_name, now, participant_id=who.participant_id, token_hash=None)
    else:
        token = domain.new_token()
        owner = domain.new_party(
            "owner", body.display_name, now, participant_id=None, token_hash=domain.hash_token(token)
        )
    children = [c.model_dump() for c in body.children]
    plan = domain.new_plan(owner, body.language, children, list(body.topics), now, **extra)
    entry = domain.history_entry(owner, "created", now, topics=plan["topics"])
    await store.insert_plan(tx, plan, entry)
    await tx.emit(PlanCreated(plan_id=plan["_id"], owner_id=owner["party_id"]), plan["_id"])
    link = _link(rt, "open", plan=plan["_id"], token=token) if token else None
    started = Started(plan=plan_view(plan, owner), party_token=token, owner_link=link)
    return 201, started.model_dump(mode="json")


async def _co_parent_started(rt: Runtime, tx: Tx, participant_id: str, now: datetime) -> CoParentPlan | None:
    """The co-parent already started a plan and shared it with this parent: rather than a second
    plan, the parent is sent (again) a link to view what was proposed."""
    waiting = await store.pending_invitation_for(tx, participant_id)
    plan = waiting and await store.plan(tx, waiting["plan_id"])
    inviter = plan and next((p for p in domain.active(plan) if p["party_id"] == waiting["created_by"]), None)
    if not inviter or len(domain.active(plan)) >= domain.MAX_PARTIES:
        return None
    invited = await invite(rt, tx, plan, inviter, now, participant_id, None)
    return CoParentPlan(expires_at=invited.expires_at)


async def _mine(tx: Tx, plan_id: str, who: Identity) -> tuple[dict, dict]:
    plan = await store.plan(tx, plan_id)
    return plan, party_of(plan, who)  # type: ignore[return-value]


async def negotiate(tx: Tx, plan_id: str, who: Identity, act) -> Answer:
    """One step of the negotiation on one topic; `act(plan, me, now)` is the domain rule."""
    plan, me = await _mine(tx, plan_id, who)
    now = tx.clock.now()
    change: domain.Change = act(plan, me, now)
    changes = {f"items.{change.topic}": change.item, "status": change.plan_status}
    if change.plan_agreed:
        changes["agreed_at"] = now
    elif change.plan_status != "agreed":
        changes["agreed_at"] = None
    revision = await store.commit(tx, plan, change.entry, changes)
    for kind in change.events:
        if kind == "plan.proposal_made":
            await tx.emit(
                PlanProposalMade(
                    plan_id=plan_id, proposal_id=f"{change.topic}:{change.item['version']}", topic=change.topic
                ),
                plan_id,
            )
        elif kind == "plan.item_agreed":
            await tx.emit(PlanItemAgreed(plan_id=plan_id, topic=change.topic), plan_id)
        elif kind == "plan.agreed":
            await tx.emit(PlanAgreed(plan_id=plan_id), plan_id)
    plan = {**plan, "items": {**plan["items"], change.topic: change.item}, "revision": revision}
    plan |= {k: v for k, v in changes.items() if not k.startswith("items.")}
    return 200, plan_view(plan, me).model_dump(mode="json")


async def add_topics(plan_id: str, who: Identity, topics: list[str], tx: Tx) -> Answer:
    plan, me = await _mine(tx, plan_id, who)
    now = tx.clock.now()
    chosen = domain.add_topics(plan, topics)
    added = [t for t in chosen if t not in plan["topics"]]
    changes: dict[str, Any] = {"topics": chosen, "status": "open", "agreed_at": None}
    changes |= {f"items.{t}": domain.empty_item() for t in added}
    revision = await store.commit(tx, plan, domain.history_entry(me, "topics_added", now, topics=added), changes)
    items = {**plan["items"], **{t: domain.empty_item() for t in added}}
    plan = {**plan, "topics": chosen, "items": items, "status": "open", "agreed_at": None, "revision": revision}
    return 200, plan_view(plan, me).model_dump(mode="json")


async def share(rt: Runtime, plan_id: str, who: Identity, body: Share, tx: Tx) -> Answer:
    plan, me = await _mine(tx, plan_id, who)
    now = tx.clock.now()
    if body.to == "fca":
        # The FCA of the sharing parent's referral (read now: the referral may have arrived after the plan).
        known = await store.participant(tx, me["participant_id"]) if me.get("participant_id") else None
        if not known:
            raise Refused("not-on-programme")
        if known["fca_id"] not in plan["viewers"]:
            entry = domain.history_entry(me, "shared_with_fca", now)
            await store.commit(tx, plan, entry, {"viewers": [*plan["viewers"], known["fca_id"]]})
        return 202, Invited(shared_with="fca").model_dump(mode="json")
    domain.may_invite(plan)
    invitee_id = sealed_email = None
    if body.to == "co_parent":
        known = await store.participant(tx, me["participant_id"]) if me.get("participant_id") else None
        if not known or not known["co_parents"]:
            raise Refused("no-co-parent")
        invitee_id = known["co_parents"][0]
    else:
        if not body.email:
            raise Refused("email-needed")
        sealed_email = seal(rt.settings.link_seal_key, body.email)
    invitation = await invite(rt, tx, plan, me, now, invitee_id, sealed_email)
    return 202, invitation.model_dump(mode="json")


async def invite(rt: Runtime, tx: Tx, plan: dict, me: dict, now: datetime, invitee_id, sealed_email) -> Invited:
    """A single-use, expiring link, sealed on the bus with the address (if any) for notifications."""
    token, invitation_id = domain.new_token(), domain.new_id()
    expires_at = now + rt.settings.invitation_ttl
    await store.replace_invitation(
        tx,
        {
            "_id": domain.hash_token(token),
            "invitation_id": invitation_id,
            "plan_id": plan["_id"],
            "invitee_participant_id": invitee_id,
            "state": "pending",
            "created_by": me["party_id"],
            "created_at": now,
            "expires_at": expires_at,
        },
    )
    entry = domain.history_entry(me, "shared", now, invitee="co_parent" if invitee_id else "email")
    await store.commit(tx, plan, entry, {})
    url = _link(rt, "join", token=token)
    event = PlanShared(
        plan_id=plan["_id"],
        invitation_id=invitation_id,
        invitee_participant_id=invitee_id,
        sealed_invitee_email=sealed_email,
        sealed_invite_url=seal(rt.settings.link_seal_key, url),
        expires_at=expires_at,
        preferred_language=plan["language"],
    )
    await tx.emit(event, plan["_id"])
    shared_with = "co_parent" if invitee_id else "email"
    return Invited(invitation_id=invitation_id, expires_at=expires_at, shared_with=shared_with)


async def join(who: Identity, token: str, display_name: str, tx: Tx) -> Answer:
    now = tx.clock.now()
    invitation = await store.spend_invitation(tx, domain.hash_token(token), now)
    if invitation["invitee_participant_id"] and invitation["invitee_participant_id"] != who.participant_id:
        raise Refused("invitation-for-someone-else")
    plan = await store.plan(tx, invitation["plan_id"])
    if plan is None:
        raise Refused("invitation-unknown")
    domain.may_invite(plan)
    if who.participant_id and domain.party(plan, participant_id=who.participant_id):
        raise Refused("already-a-party")
    secret = None if who.participant_id else domain.new_token()
    hashed = domain.hash_token(secret) if secret else None
    joined = domain.new_party("invitee", display_name, now, participant_id=who.participant_id, token_hash=hashed)
    entry = domain.history_entry(joined, "joined", now)
    await store.commit(tx, plan, entry, {}, push={"parties": joined})
    return 200, Joined(plan_id=plan["_id"], party_token=secret).model_dump(mode="json")


async def leave(plan_id: str, who: Identity, tx: Tx) -> Answer:
    """The party stops seeing the plan; its history (their words included) stays for the other."""
    plan, me = await _mine(tx, plan_id, who)
    now = tx.clock.now()
    parties = [{**p, "left_at": now} if p["party_id"] == me["party_id"] else p for p in plan["parties"]]
    await store.commit(tx, plan, domain.history_entry(me, "left", now), {"parties": parties})
    return 200, {"plan_id": plan_id, "left": True}
