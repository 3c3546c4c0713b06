"""Reaching a parent: the provider's first call, the chaser when a parent has not activated their
account in time, and the FCA changing a parent's email or phone."""

from typing import Any

from ptfc.events import ActivationOverdue, ContactChange, ReferralContactChanged, ReferralKeys
from ptfc.lookup import email_key as email_key_of
from ptfc.sealing import seal
from referrals.domain.base import Refused, UnitOfWork, Unknown, entry, parent_to_change
from referrals.domain.intake import refuse_active_parent


async def mark_contacted(uow: UnitOfWork, provider: str, participant_id: str) -> dict[str, Any]:
    """The provider called the parent. Marking twice keeps the first call's time."""
    parent = await uow.parent(participant_id)
    if parent is None or parent["provider"] != provider:
        raise Unknown("participant")
    if parent.get("contacted_at") is None:
        now = uow.now()
        parent |= {"contacted_at": now, "contact_due_at": None}
        parent["timeline"].append(entry("provider.contacted", parent["cycle"], now))
        await uow.save_parent(parent)
    return parent


async def change_contact(
    uow: UnitOfWork,
    referral_id: str,
    participant_id: str,
    change: Any,
    by: str,
    email_key: str | None,
    keys: ReferralKeys,
) -> dict[str, Any]:
    """The FCA changes how to reach a parent of their referral (`change`, a validated
    `schemas.ContactChangeRequest`; `email_key` the new email's lookup key here). Audited on the
    referral (who, when, the reason code), and told by `referral.contact_changed`: the new details
    sealed for notifications, which tells the old address, and the new email's sign-in key for
    learning. The only way a known parent's contact or sign-in changes: no `referral.created` does."""
    withdrawn = "Nothing more is sent to a withdrawn referral's parents."
    referral, parent = await parent_to_change(uow, referral_id, participant_id, withdrawn)
    email_changed = email_key is not None and email_key != parent["email_key"]
    if not email_changed and change.phone is None:
        raise Refused("contact-unchanged", "This is already the parent's email address.")
    if email_key is not None and email_changed:
        others = [p for p in await uow.parents(referral_id) if p["_id"] != parent["_id"]]
        if any(p["email_key"] == email_key for p in others):
            raise Refused("same-parent-twice", "Each parent needs their own email address.")
        if parent["active"]:  # one active cycle per parent and case, as at intake
            await refuse_active_parent(uow, parent["case_number"], [email_key], except_id=parent["_id"])
        parent["email_key"] = email_key
    now, reason = uow.now(), change.reason
    audit = {"participant_id": participant_id, "by": by, "at": now, "reason": reason}
    audit |= {"email_changed": email_changed, "phone_changed": change.phone is not None}
    referral.setdefault("contact_changes", []).append(audit)
    await uow.save_referral(referral)
    detail = {"reason": reason, "email_changed": email_changed, "phone_changed": change.phone is not None}
    parent["timeline"].append(entry("referral.contact_changed", parent["cycle"], now, **detail))
    await uow.save_parent(parent)
    new = ContactChange(
        participant_id=participant_id, email=change.email if email_changed else None, phone=change.phone
    )
    changed = ReferralContactChanged(
        referral_id=referral_id,
        participant_id=participant_id,
        **detail,
        sign_in_key=email_key_of(keys.sign_in_lookup_key, change.email) if email_changed else None,
        sealed_contact=seal(keys.contact_seal_key, new.model_dump_json()),
    )
    await uow.emit(changed, referral_id)
    return audit


async def chase(uow: UnitOfWork, participant_id: str) -> bool:
    """`referral.activation_overdue` once for a parent not activated by their chaser time."""
    parent = await uow.parent(participant_id)
    now = uow.now()
    if parent is None or parent.get("chaser_due_at") is None or parent["chaser_due_at"] > now:
        return False  # activated or chased since the sweep looked
    parent["chaser_due_at"] = None
    if parent["activated_ever"] or not parent["active"]:
        await uow.save_parent(parent)
        return False
    parent["chased_at"] = now
    parent["timeline"].append(entry("referral.activation_overdue", parent["cycle"], now))
    await uow.save_parent(parent)
    overdue = ActivationOverdue(
        referral_id=parent["referral_id"],
        participant_id=str(parent["_id"]),
        provider=parent["provider"],
        days_since_referral=(now - parent["cycle_started_at"]).days,
    )
    await uow.emit(overdue, parent["referral_id"])
    return True
