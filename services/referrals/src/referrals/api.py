"""HTTP routes of the referrals service: intake, following a case, withdrawal, re-orders and the
provider's contact worklist. Every route checks who may see the record, not only the role."""

import secrets
from typing import Annotated, Any

from bson import ObjectId
from fastapi import APIRouter, Depends, Path, Query
from pymongo.errors import DuplicateKeyError

from ptfc.auth import Caller, CurrentCaller
from ptfc.events import (
    PROVIDERS,
    ParticipantContact,
    ReferralCreated,
    ReferralKeys,
    ReferralReordered,
    ReferralWithdrawn,
    seal_participants,
)
from ptfc.idempotency import IdempotencyKey, once
from ptfc.lookup import email_key
from ptfc.pagination import Page, Paging
from ptfc.problems import Problem, not_found
from ptfc.service import RuntimeDep
from ptfc.store import Tx
from referrals import domain, views
from referrals.access import cafcass_only, provider_staff, visible_referral, visible_to
from referrals.domain import Outcome, Refused
from referrals.records import decide_outcome, entry, progress_of, refresh_status
from referrals.schemas import (
    ContactDue,
    Contacted,
    Created,
    NewReferral,
    ReferralStatus,
    ReferralSummary,
    ReferralView,
    Reorder,
    Reordered,
    Withdrawal,
)
from referrals.store import PARTICIPANTS, REFERRALS, object_id

router = APIRouter(tags=["referrals"])

ProviderSlug = Annotated[str, Path(pattern="^(" + "|".join(PROVIDERS) + ")$")]
Id = Annotated[str, Path(max_length=64)]


def as_problem(refused: Refused) -> Problem:
    return Problem(refused.status, refused.reason, refused.title, refused.detail, **refused.extra)


async def already_referred(db: Any, caller: Caller, referral_id: str, session: Any = None) -> Problem:
    """Names the referral only to a caller who may read it (another FCA learns nothing of it)."""
    try:
        named = await db[REFERRALS].count_documents(
            {"_id": ObjectId(referral_id), **visible_to(caller)}, session=session
        )
    except Problem:
        named = 0
    detail = "A parent of this case is already in an active cycle"
    extra = {"existing_referral_id": referral_id} if named else {}
    where = f" under referral {referral_id}." if named else "."
    return Problem(
        409, "parent-already-referred", "Parent already on the course for this case", detail + where, **extra
    )


async def refuse_active_parent(
    tx: Tx, caller: Caller, case: str, emails: list[str], except_id: ObjectId | None = None
) -> None:
    query: dict[str, Any] = {"case_number": case, "email_key": {"$in": emails}, "active": True}
    if except_id:
        query["_id"] = {"$ne": except_id}
    if found := await tx.db[PARTICIPANTS].find_one(query, {"referral_id": 1}, session=tx.session):
        raise await already_referred(tx.db, caller, found["referral_id"], tx.session)


# ---- intake --------------------------------------------------------------------------------


@router.post("/referrals", status_code=201, response_model=Created)
async def create_referral(
    body: NewReferral, rt: RuntimeDep, caller: Annotated[Caller, Depends(cafcass_only)], key: IdempotencyKey = None
) -> Any:
    try:
        case = domain.case_number(body.case_number)
        provider = domain.check_intake(body.court_declined, body.safeguarding_concerns, body.court, body.region)
    except Refused as refused:
        raise as_problem(refused) from None
    emails = [email_key(rt.settings.email_lookup_key, p.email) for p in body.parents]
    if len(set(emails)) != len(emails):
        raise Problem(422, "same-parent-twice", "The same parent twice", "Each parent needs their own email address.")

    async def work(tx: Tx) -> tuple[int, dict[str, Any]]:
        await refuse_active_parent(tx, caller, case, emails)
        now = tx.clock.now()
        referral_id = ObjectId()
        # Unguessable (random, not a counter): parents send their id to workshops and plans.
        # Sorted, so the parents keep the order they were given in.
        ids = sorted(ObjectId(secrets.token_bytes(12)) for _ in body.parents)
        await tx.db[REFERRALS].insert_one(
            {
                "_id": referral_id,
                **body.model_dump(include={"court", "court_email", "source", "stage", "region"}),
                "case_number": case,
                "court_key": domain.place_key(body.court),
                "provider": provider,
                "fca_id": caller.sub,
                "fca": body.fca.model_dump(),
                "children_ages": [c.age for c in body.children],
                "status": "active",
                "created_at": now,
                "withdrawn_at": None,
            },
            session=tx.session,
        )
        settings = rt.settings
        for pid, parent, email in zip(ids, body.parents, emails, strict=True):
            co_parent = next((other for other in ids if other != pid), None)
            await tx.db[PARTICIPANTS].insert_one(
                {
                    "_id": pid,
                    "referral_id": str(referral_id),
                    "case_number": case,
                    "provider": provider,
                    "email_key": email,
                    # Not the email or phone: only notifications keeps those (from referral.created).
                    "person": parent.model_dump(exclude={"email", "phone"}),
                    "co_parent_id": str(co_parent) if co_parent else None,  # kept apart by every rule
                    "active": True,
                    "activated_ever": False,
                    "cycle": 1,
                    "cycle_started_at": now,
                    "progress": {},
                    "outcome": None,
                    "past_cycles": [],
                    "contact_due_at": now + settings.contact_delay,
                    "contacted_at": None,
                    "chaser_due_at": now + settings.activation_chaser_after,
                    "timeline": [entry("referral.created", 1, now)],
                },
                session=tx.session,
            )
        contacts = [
            ParticipantContact(participant_id=str(pid), **p.model_dump())
            for pid, p in zip(ids, body.parents, strict=True)
        ]
        await tx.emit(
            ReferralCreated(
                referral_id=str(referral_id),
                case_number=case,
                court=body.court,
                court_email=body.court_email,
                source=body.source,
                stage=body.stage,
                region=body.region,
                provider=provider,
                fca_id=caller.sub,
                fca=body.fca.model_dump(),
                participants=seal_participants(contacts, ReferralKeys.of(settings)),  # v2: sealed
                children_ages=[c.age for c in body.children],
            ),
            str(referral_id),
        )
        answer = Created(
            id=str(referral_id),
            case_number=case,
            provider=provider,
            status="active",
            participants=[
                {"participant_id": str(pid), "given_name": p.given_name, "family_name": p.family_name}
                for pid, p in zip(ids, body.parents, strict=True)
            ],
        )
        return 201, answer.model_dump(mode="json")

    try:
        return await once(rt.store, key, f"{caller.sub}:referrals", body.model_dump(mode="json"), work)
    except DuplicateKeyError:
        # A concurrent intake for the same parent and case committed first: name it.
        existing = await rt.store.db[PARTICIPANTS].find_one(
            {"case_number": case, "email_key": {"$in": emails}, "active": True}, {"referral_id": 1}
        )
        if existing:
            raise await already_referred(rt.store.db, caller, existing["referral_id"]) from None
        raise


# ---- following a case --------------------------------------------------------------------------


@router.get("/referrals/{referral_id}", response_model=ReferralView)
async def get_referral(referral_id: Id, rt: RuntimeDep, caller: CurrentCaller) -> ReferralView:
    referral = await visible_referral(rt.store.db, caller, referral_id)
    parents = await rt.store.db[PARTICIPANTS].find({"referral_id": referral_id}).sort("_id", 1).to_list()
    return views.referral(referral, parents)


@router.get("/referrals", response_model=Page[ReferralSummary])
async def list_referrals(
    rt: RuntimeDep,
    caller: CurrentCaller,
    paging: Paging,
    case_number: Annotated[str | None, Query(max_length=20)] = None,
    status: ReferralStatus | None = None,
    provider: Annotated[str | None, Query(pattern="^(" + "|".join(PROVIDERS) + ")$")] = None,
) -> Page[ReferralSummary]:
    query: dict[str, Any] = {**paging.filter()}
    if case_number:
        query["case_number"] = case_number.strip().upper()
    if status:
        query["status"] = status
    if provider:
        query["provider"] = provider
    scope = visible_to(caller)
    query = {"$and": [query, scope]}
    rows = await rt.store.db[REFERRALS].find(query).sort("_id", 1).to_list(paging.limit)
    ids = [str(r["_id"]) for r in rows]
    parents = await rt.store.db[PARTICIPANTS].find({"referral_id": {"$in": ids}}).sort("_id", 1).to_list()
    return Page(items=[views.summary(r, parents) for r in rows], next_cursor=paging.next_cursor(rows))


# ---- withdrawal and re-orders ------------------------------------------------------------------


@router.post("/referrals/{referral_id}/withdraw", response_model=ReferralSummary)
async def withdraw(
    referral_id: Id, body: Withdrawal, rt: RuntimeDep, caller: CurrentCaller, key: IdempotencyKey = None
) -> Any:
    caller.require("cafcass", "court")
    await visible_referral(rt.store.db, caller, referral_id)

    async def work(tx: Tx) -> tuple[int, dict[str, Any]]:
        referral = await visible_referral(tx.db, caller, referral_id, tx.session)
        if referral.get("withdrawn_at"):
            raise Problem(409, "already-withdrawn", "Already withdrawn", "This referral was withdrawn before.")
        now = tx.clock.now()
        await tx.db[REFERRALS].update_one(
            {"_id": referral["_id"]},
            {"$set": {"withdrawn_at": now, "withdrawal_reason": body.reason, "status": "withdrawn"}},
            session=tx.session,
        )
        parents = await tx.db[PARTICIPANTS].find({"referral_id": referral_id}, session=tx.session).to_list()
        await tx.emit(
            ReferralWithdrawn(
                referral_id=referral_id, participant_ids=[str(p["_id"]) for p in parents], reason=body.reason
            ),
            referral_id,
        )
        for parent in parents:
            if parent["outcome"] is None:
                await decide_outcome(tx, parent, Outcome("incomplete", "withdrawn"), progress_of(parent))
            # Clocks stop: no contact call, no chaser for a withdrawn referral.
            await tx.db[PARTICIPANTS].update_one(
                {"_id": parent["_id"]},
                {
                    "$set": {"active": False, "contact_due_at": None, "chaser_due_at": None},
                    "$push": {"timeline": entry("referral.withdrawn", parent["cycle"], now)},
                },
                session=tx.session,
            )
        parents = await tx.db[PARTICIPANTS].find({"referral_id": referral_id}, session=tx.session).to_list()
        fresh = await tx.db[REFERRALS].find_one({"_id": referral["_id"]}, session=tx.session)
        return 200, views.summary(fresh, parents).model_dump(mode="json")

    return await once(rt.store, key, f"{caller.sub}:withdraw:{referral_id}", body.model_dump(), work)


@router.post("/referrals/{referral_id}/participants/{participant_id}/reorder", response_model=Reordered)
async def reorder(
    referral_id: Id,
    participant_id: Id,
    rt: RuntimeDep,
    caller: CurrentCaller,
    body: Reorder | None = None,
    key: IdempotencyKey = None,
) -> Any:
    caller.require("court", "cafcass")
    await visible_referral(rt.store.db, caller, referral_id)
    body = body or Reorder()

    async def work(tx: Tx) -> tuple[int, dict[str, Any]]:
        referral = await visible_referral(tx.db, caller, referral_id, tx.session)
        oid = object_id(participant_id)
        query = {"_id": oid, "referral_id": referral_id}
        parent = oid and await tx.db[PARTICIPANTS].find_one(query, session=tx.session)
        if not parent:
            raise not_found("participant")
        if referral.get("withdrawn_at"):
            raise Problem(
                409, "referral-withdrawn", "Referral withdrawn", "A withdrawn referral is not re-ordered: refer again."
            )
        result = (parent["outcome"] or {}).get("result")
        if result != "incomplete":
            reason, detail = (
                ("course-completed", "This parent completed the course.")
                if result == "completed"
                else ("cycle-in-progress", "This parent's course is still in progress.")
            )
            raise Problem(409, reason, "Only an incomplete course is re-ordered", detail)
        await refuse_active_parent(tx, caller, parent["case_number"], [parent["email_key"]], except_id=parent["_id"])
        now = tx.clock.now()
        cycle = parent["cycle"] + 1
        settings = rt.settings
        await tx.db[PARTICIPANTS].update_one(
            {"_id": parent["_id"], "cycle": parent["cycle"]},
            {
                "$set": {
                    "cycle": cycle,
                    "cycle_started_at": now,
                    "progress": {},
                    "outcome": None,
                    "active": True,
                    "contact_due_at": now + settings.contact_delay,
                    "contacted_at": None,
                    "chaser_due_at": None if parent["activated_ever"] else now + settings.activation_chaser_after,
                },
                "$push": {
                    "past_cycles": {
                        "cycle": parent["cycle"],
                        "started_at": parent["cycle_started_at"],
                        "outcome": parent["outcome"],
                    },
                    "timeline": entry("referral.reordered", cycle, now),
                },
            },
            session=tx.session,
        )
        await tx.emit(
            ReferralReordered(
                referral_id=referral_id,
                participant_id=participant_id,
                cycle=cycle,
                provider=referral["provider"],
                preferred_language=parent["person"]["preferred_language"],
            ),
            referral_id,
        )
        await refresh_status(tx, referral_id)
        return 200, Reordered(participant_id=participant_id, cycle=cycle, status="referred").model_dump()

    scope = f"{caller.sub}:reorder:{participant_id}"
    try:
        return await once(rt.store, key, scope, body.model_dump(), work)
    except DuplicateKeyError:
        # The same parent was referred again for this case while we re-ordered: name that referral.
        parent = await rt.store.db[PARTICIPANTS].find_one({"_id": object_id(participant_id)})
        other = parent and await rt.store.db[PARTICIPANTS].find_one(
            {"case_number": parent["case_number"], "email_key": parent["email_key"], "active": True}
        )
        if other:
            raise already_referred(other["referral_id"]) from None
        raise


# ---- the provider's worklist --------------------------------------------------------------------


@router.get("/providers/{provider}/contacts-due", response_model=Page[ContactDue], tags=["providers"])
async def contacts_due(provider: ProviderSlug, rt: RuntimeDep, caller: CurrentCaller, paging: Paging) -> Any:
    provider_staff(caller, provider)
    query = {"provider": provider, "contact_due_at": {"$lte": rt.clock.now()}, **paging.filter()}
    rows = await rt.store.db[PARTICIPANTS].find(query).sort("_id", 1).to_list(paging.limit)
    return Page(items=[views.contact_row(r) for r in rows], next_cursor=paging.next_cursor(rows))


@router.post("/providers/{provider}/contacts/{participant_id}", response_model=Contacted, tags=["providers"])
async def mark_contacted(
    provider: ProviderSlug, participant_id: Id, rt: RuntimeDep, caller: CurrentCaller, key: IdempotencyKey = None
) -> Any:
    provider_staff(caller, provider)

    async def work(tx: Tx) -> tuple[int, dict[str, Any]]:
        oid = object_id(participant_id)
        parent = oid and await tx.db[PARTICIPANTS].find_one({"_id": oid, "provider": provider}, session=tx.session)
        if not parent:
            raise not_found("participant")
        if parent.get("contacted_at") is None:  # marking twice keeps the first call's time
            now = tx.clock.now()
            await tx.db[PARTICIPANTS].update_one(
                {"_id": oid},
                {
                    "$set": {"contacted_at": now, "contact_due_at": None},
                    "$push": {"timeline": entry("provider.contacted", parent["cycle"], now)},
                },
                session=tx.session,
            )
            parent["contacted_at"] = now
        return 200, Contacted(participant_id=participant_id, contacted_at=parent["contacted_at"]).model_dump(
            mode="json"
        )

    return await once(rt.store, key, f"{caller.sub}:contacted:{participant_id}", {}, work)
