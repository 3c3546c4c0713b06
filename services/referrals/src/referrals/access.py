"""Who may see and change which referral: object-level rules, beyond the caller's role."""

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from ptfc.auth import Caller, CurrentCaller
from ptfc.problems import Problem, forbidden
from ptfc.store import find_or_404, object_id
from referrals.domain import place_key
from referrals.store import REFERRALS


def cafcass_only(caller: CurrentCaller) -> Caller:
    if caller.role != "cafcass":
        raise Problem(
            403,
            "referral-by-cafcass-only",
            "Only Cafcass makes referrals",
            "A referral comes from a court order or an FCA request, sent by Cafcass; there is no self-referral.",
        )
    return caller


def visible_to(caller: Caller) -> dict[str, Any]:
    """The referrals a professional may see; everyone else (parents included) sees none."""
    if caller.role == "cafcass":
        return {"fca_id": caller.sub}
    if caller.role == "provider" and caller.provider:
        return {"provider": caller.provider}
    if caller.role == "court" and caller.court:
        return {"court_key": place_key(caller.court)}
    raise forbidden("Referrals are seen by the FCA who made them, the court of the case and its provider.")


async def visible_referral(db: AsyncDatabase, caller: Caller, referral_id: str) -> dict[str, Any]:
    return await find_or_404(db, REFERRALS, referral_id, "referral", visible_to(caller))


async def may_read(db: AsyncDatabase, caller: Caller, referral_id: str) -> bool:
    """Whether the caller may read this referral (a refusal may name it only then)."""
    try:
        scope = visible_to(caller)
    except Problem:
        return False
    oid = object_id(referral_id)
    return bool(oid) and await db[REFERRALS].count_documents({"_id": oid, **scope}, limit=1) > 0


def provider_staff(caller: Caller, provider: str) -> None:
    caller.require("provider")
    if caller.provider != provider:
        raise forbidden("Provider staff see only the parents routed to their own provider.")
