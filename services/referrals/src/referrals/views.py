"""Stored documents → response models. Only the fields each audience needs are copied across."""

from typing import Any

from ptfc.programme import MODULES
from referrals.domain import participant_status, progress_of
from referrals.schemas import (
    ContactChanged,
    ContactDue,
    Contacted,
    Created,
    CreatedParticipant,
    ParticipantSummary,
    ParticipantView,
    ReferralSummary,
    ReferralView,
    Reordered,
)


def _status(parent: dict[str, Any]) -> str:
    return participant_status(progress_of(parent), (parent.get("outcome") or {}).get("result"))


def participant(parent: dict[str, Any]) -> ParticipantView:
    person = parent["person"]
    return ParticipantView(
        participant_id=str(parent["_id"]),
        given_name=person["given_name"],
        family_name=person["family_name"],
        preferred_language=person["preferred_language"],
        cycle=parent["cycle"],
        status=_status(parent),
        modules_completed=progress_of(parent).modules_completed,
        modules_total=MODULES,
        contacted_at=parent.get("contacted_at"),
        outcome=parent.get("outcome"),
        past_cycles=parent.get("past_cycles", []),
        timeline=sorted(parent.get("timeline", []), key=lambda e: e["at"]),
    )


def referral(doc: dict[str, Any], parents: list[dict[str, Any]]) -> ReferralView:
    return ReferralView(
        id=str(doc["_id"]),
        **{k: doc[k] for k in ("case_number", "court", "source", "stage", "region", "provider", "status")},
        fca_name=doc["fca"]["name"],
        created_at=doc["created_at"],
        withdrawn_at=doc.get("withdrawn_at"),
        withdrawal_reason=doc.get("withdrawal_reason"),
        children_ages=doc.get("children_ages", []),
        participants=[participant(p) for p in parents],
        contact_changes=[contact_changed(c) for c in doc.get("contact_changes", [])],
    )


def contact_changed(audit: dict[str, Any]) -> ContactChanged:
    return ContactChanged(**audit)


def summary(doc: dict[str, Any], parents: list[dict[str, Any]]) -> ReferralSummary:
    rid = str(doc["_id"])
    return ReferralSummary(
        id=rid,
        **{k: doc[k] for k in ("case_number", "court", "provider", "status", "created_at")},
        participants=[
            ParticipantSummary(participant_id=str(p["_id"]), cycle=p["cycle"], status=_status(p))
            for p in parents
            if p["referral_id"] == rid
        ],
    )


def contact_row(parent: dict[str, Any]) -> ContactDue:
    person = parent["person"]
    adjustments = person.get("adjustments") or {}
    return ContactDue(
        participant_id=str(parent["_id"]),
        referral_id=parent["referral_id"],
        cycle=parent["cycle"],
        **{k: person[k] for k in ("given_name", "family_name", "preferred_language")},
        interpreter=adjustments.get("interpreter"),
        in_person=adjustments.get("in_person", False),
        support_needs=adjustments.get("support_needs", ""),
        availability=person.get("availability", []),
        due_at=parent["contact_due_at"],
    )


def created(doc: dict[str, Any], parents: list[dict[str, Any]]) -> Created:
    return Created(
        id=str(doc["_id"]),
        **{k: doc[k] for k in ("case_number", "provider", "status")},
        participants=[
            CreatedParticipant(
                participant_id=str(p["_id"]), **{k: p["person"][k] for k in ("given_name", "family_name")}
            )
            for p in parents
        ],
    )


def reordered(parent: dict[str, Any]) -> Reordered:
    return Reordered(participant_id=str(parent["_id"]), cycle=parent["cycle"], status="referred")


def contacted(parent: dict[str, Any]) -> Contacted:
    return Contacted(participant_id=str(parent["_id"]), contacted_at=parent["contacted_at"])
