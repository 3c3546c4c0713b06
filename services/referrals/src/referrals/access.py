"""Who may see and change which referral: object-level rules, beyond the caller's role."""

from typing import Any

from ptfc.auth import Caller, CurrentCaller
from ptfc.problems import Problem, forbidden, not_found
from referrals.domain import place_key
from referrals.store import REFERRALS, object_id


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


async def visible_referral(tx_or_db: Any, caller: Caller, referral_id: str, session: Any = None) -> dict[str, Any]:
    scope = visible_to(caller)
    oid = object_id(referral_id)
    found = oid and await tx_or_db[REFERRALS].find_one({"_id": oid, **scope}, session=session)
    if not found:
        raise not_found("referral")
    return found


def provider_staff(caller: Caller, provider: str) -> None:
    caller.require("provider")
    if caller.provider != provider:
        raise forbidden("Provider staff see only the parents routed to their own provider.")
