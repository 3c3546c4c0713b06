"""HTTP routes of the referrals service: intake, following a case, withdrawal, re-orders and the
provider's contact worklist. Each route checks who may see the record, then makes one call of
`domain` in a unit of work and maps its answer (views) or its refusal (refusals)."""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel

from ptfc.auth import Caller, CurrentCaller
from ptfc.events import PROVIDERS, ReferralKeys
from ptfc.idempotency import IdempotencyKey
from ptfc.lookup import email_key
from ptfc.pagination import Page, Paging
from ptfc.problems import Problem
from ptfc.runtime import RuntimeDep
from ptfc.writes import writes
from referrals import domain, reports, store, views
from referrals.access import cafcass_only, provider_staff, visible_referral, visible_to
from referrals.refusals import as_seen_by
from referrals.schemas import (
    ContactChanged,
    ContactChangeRequest,
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

router = APIRouter(tags=["referrals"])

ProviderSlug = Annotated[str, Path(pattern="^(" + "|".join(PROVIDERS) + ")$")]
Id = Annotated[str, Path(max_length=64)]


write, _ = writes(store.UnitOfWork)  # one domain call in one unit of work (ptfc.writes)


# ---- intake --------------------------------------------------------------------------------


@router.post("/referrals", status_code=201, response_model=Created)
async def create_referral(
    body: NewReferral, rt: RuntimeDep, caller: Annotated[Caller, Depends(cafcass_only)], key: IdempotencyKey = None
) -> Any:
    emails = [email_key(rt.settings.email_lookup_key, p.email) for p in body.parents]

    async def change(uow: store.UnitOfWork) -> tuple[int, BaseModel]:
        keys = ReferralKeys.of(rt.settings)
        referral, parents = await domain.intake(uow, body, caller.sub, emails, rt.settings, keys)
        return 201, views.created(referral, parents)

    clash = (body.case_number.strip().upper(), emails)
    async with as_seen_by(caller, rt.store.db, clash):
        return await write(rt, key, f"{caller.sub}:referrals", body.model_dump(mode="json"), change)


# ---- following a case --------------------------------------------------------------------------


@router.get("/referrals/{referral_id}", response_model=ReferralView)
async def get_referral(referral_id: Id, rt: RuntimeDep, caller: CurrentCaller) -> ReferralView:
    referral = await visible_referral(rt.store.db, caller, referral_id)
    return views.referral(referral, await store.parents_of(rt.store.db, [referral_id]))


@router.get("/referrals", response_model=Page[ReferralSummary])
async def list_referrals(
    rt: RuntimeDep,
    caller: CurrentCaller,
    paging: Paging,
    case_number: Annotated[str | None, Query(max_length=20)] = None,
    status: ReferralStatus | None = None,
    provider: Annotated[str | None, Query(pattern="^(" + "|".join(PROVIDERS) + ")$")] = None,
) -> Page[ReferralSummary]:
    asked = {"case_number": case_number and case_number.strip().upper(), "status": status, "provider": provider}
    rows = await store.referrals_page(rt.store.db, visible_to(caller), asked, paging)
    parents = await store.parents_of(rt.store.db, [str(r["_id"]) for r in rows])
    return Page(items=[views.summary(r, parents) for r in rows], next_cursor=paging.next_cursor(rows))


# ---- withdrawal and re-orders ------------------------------------------------------------------


@router.post("/referrals/{referral_id}/withdraw", response_model=ReferralSummary)
async def withdraw(
    referral_id: Id, body: Withdrawal, rt: RuntimeDep, caller: CurrentCaller, key: IdempotencyKey = None
) -> Any:
    caller.require("cafcass", "court")
    await visible_referral(rt.store.db, caller, referral_id)

    async def change(uow: store.UnitOfWork) -> tuple[int, BaseModel]:
        referral = await domain.withdraw(uow, referral_id, body.reason)
        return 200, views.summary(referral, await uow.parents(referral_id))

    return await write(rt, key, f"{caller.sub}:withdraw:{referral_id}", body.model_dump(), change)


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

    async def change(uow: store.UnitOfWork) -> tuple[int, BaseModel]:
        return 200, views.reordered(await domain.reorder(uow, referral_id, participant_id, rt.settings))

    parent = await store.participant(rt.store.db, participant_id)  # for naming a clash, if any
    clash = (parent["case_number"], [parent["email_key"]]) if parent else None
    async with as_seen_by(caller, rt.store.db, clash):
        return await write(rt, key, f"{caller.sub}:reorder:{participant_id}", body.model_dump(), change)


# ---- how to reach a parent -----------------------------------------------------------------------


@router.post("/referrals/{referral_id}/participants/{participant_id}/contact", response_model=ContactChanged)
async def change_contact(
    referral_id: Id,
    participant_id: Id,
    body: ContactChangeRequest,
    rt: RuntimeDep,
    caller: Annotated[Caller, Depends(cafcass_only)],
    key: IdempotencyKey = None,
) -> Any:
    """The FCA who made the referral changes a parent's email or phone: audited, told to the old
    address (notifications), and the only way a known parent's contact or sign-in changes."""
    await visible_referral(rt.store.db, caller, referral_id)
    new_key = email_key(rt.settings.email_lookup_key, body.email) if body.email else None

    async def change(uow: store.UnitOfWork) -> tuple[int, BaseModel]:
        keys = ReferralKeys.of(rt.settings)
        audit = await domain.change_contact(uow, referral_id, participant_id, body, caller.sub, new_key, keys)
        return 200, views.contact_changed(audit)

    parent = await store.participant(rt.store.db, participant_id)  # for naming a clash, if any
    clash = (parent["case_number"], [new_key]) if parent and new_key else None
    async with as_seen_by(caller, rt.store.db, clash):
        return await write(rt, key, f"{caller.sub}:contact:{participant_id}", body.model_dump(mode="json"), change)


# ---- reports ------------------------------------------------------------------------------------

Month = Annotated[str, Query(pattern=r"^20\d\d-(0[1-9]|1[0-2])$")]


@router.get("/reports", response_model=reports.Report, tags=["reports"])
async def report(rt: RuntimeDep, caller: CurrentCaller, since: Month, until: Month) -> reports.Report:
    """Counts per provider, region and month (of the cycle's start), small cells suppressed: a
    provider's staff see their provider's, Cafcass every provider's. No person is named."""
    caller.require("provider", "cafcass")
    providers = [caller.provider] if caller.role == "provider" else list(PROVIDERS)
    start, end = month_start(since), month_start(until, after=True)
    if end <= start or (end - start).days > 745:
        raise Problem(
            422, "bad-range", "Months out of range", "Ask for from 1 to 24 months, the first before the last."
        )
    parents = [
        p for provider in providers for p in await store.report_parents(rt.store.db, provider or "-", start, end)
    ]
    regions = await store.regions_of(rt.store.db, {p["referral_id"] for p in parents})
    return reports.report(parents, regions, rt.settings.report_min_cell)


def month_start(month: str, after: bool = False) -> datetime:
    """The first instant of a YYYY-MM month (UTC), or of the month after it."""
    year, number = (int(x) for x in month.split("-"))
    if after:
        year, number = (year + 1, 1) if number == 12 else (year, number + 1)
    return datetime(year, number, 1, tzinfo=UTC)


# ---- the provider's worklist --------------------------------------------------------------------


@router.get("/providers/{provider}/contacts-due", response_model=Page[ContactDue], tags=["providers"])
async def contacts_due(provider: ProviderSlug, rt: RuntimeDep, caller: CurrentCaller, paging: Paging) -> Any:
    provider_staff(caller, provider)
    rows = await store.contacts_due(rt.store.db, provider, rt.clock.now(), paging)
    return Page(items=[views.contact_row(r) for r in rows], next_cursor=paging.next_cursor(rows))


@router.post("/providers/{provider}/contacts/{participant_id}", response_model=Contacted, tags=["providers"])
async def mark_contacted(
    provider: ProviderSlug, participant_id: Id, rt: RuntimeDep, caller: CurrentCaller, key: IdempotencyKey = None
) -> Any:
    provider_staff(caller, provider)

    async def change(uow: store.UnitOfWork) -> tuple[int, BaseModel]:
        return 200, views.contacted(await domain.mark_contacted(uow, provider, participant_id))

    return await write(rt, key, f"{caller.sub}:contacted:{participant_id}", {}, change)
