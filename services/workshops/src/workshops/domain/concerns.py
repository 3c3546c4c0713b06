"""Safeguarding concerns: raised by a facilitator about a parent in their session, the event
carrying ids and the category only; the details read by that referral's FCA alone, each read kept."""

from ptfc.events import SafeguardingConcernRaised
from workshops.domain.base import TAKEN, Refused, UnitOfWork, Unknown


async def raise_concern(
    uow: UnitOfWork, session_id: str, participant_id: str, category: str, details: str, raised_by: str
) -> dict:
    """The details stay here; the event carries ids and the category, so the FCA is alerted at once."""
    session = await uow.session(session_id)
    if session is None:
        raise Unknown("session")
    booked = await uow.bookings_in(session_id, TAKEN, [participant_id])
    parent = booked and await uow.parent(participant_id)
    if not parent:
        raise Refused("not-in-session", "Raise a concern about a parent booked on this session.")
    concern = {
        "_id": uow.new_id(),
        "session_id": session_id,
        "participant_id": participant_id,
        "referral_id": parent["referral_id"],
        "fca_id": parent["fca_id"],
        "provider": session["provider"],
        "category": category,
        "details": details,
        "raised_by": raised_by,
        "raised_at": uow.now(),
    }
    await uow.add_concern(concern)
    event = SafeguardingConcernRaised(
        concern_id=str(concern["_id"]),
        referral_id=concern["referral_id"],
        participant_id=participant_id,
        session_id=session_id,
        raised_at=concern["raised_at"],
        category=category,
    )
    await uow.emit(event, concern["referral_id"])
    return concern


def may_read_concern(concern: dict | None, reader: str, role: str) -> bool:
    """Only the FCA of that referral: not the facilitator, not the provider, not ops."""
    return concern is not None and role == "cafcass" and reader == concern["fca_id"]


async def read_concern(uow: UnitOfWork, concern_id: str, reader: str, role: str) -> dict:
    """A concern's details, for its FCA alone; every read is recorded (who and when) before the
    details are answered."""
    concern = await uow.concern(concern_id)
    if not may_read_concern(concern, reader, role):
        raise Unknown("concern")
    assert concern is not None
    await uow.add_concern_read({"concern_id": concern_id, "reader": reader, "role": role, "at": uow.now()})
    return concern
