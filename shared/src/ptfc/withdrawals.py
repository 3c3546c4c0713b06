"""Withdrawals remembered by a service that opens something on `referral.created` or
`referral.reordered`: each event type has its own consumer, so a `referral.withdrawn` may overtake
the event it withdraws, which must then open nothing when it arrives. One document per referral
(`<referral_id>:*`) or parent (`<referral_id>:<participant_id>`) withdrawn, in `withdrawals`."""

from datetime import datetime

from pymongo import UpdateOne

from ptfc.store import Tx

WITHDRAWALS = "withdrawals"


async def record(tx: Tx, referral_id: str, participant_ids: list[str], at: datetime) -> None:
    marks = [f"{referral_id}:{who}" for who in participant_ids or ["*"]]  # no ids: the whole referral
    writes = [UpdateOne({"_id": mark}, {"$min": {"withdrawn_at": at}}, upsert=True) for mark in marks]
    await tx.db[WITHDRAWALS].bulk_write(writes, session=tx.session)


async def withdrawn(tx: Tx, referral_id: str, participant_id: str) -> bool:
    """Whether this parent's referral was withdrawn (referrals never re-orders a withdrawn referral;
    it is referred again)."""
    marks = [f"{referral_id}:*", f"{referral_id}:{participant_id}"]
    # A write to the very documents a withdrawal writes: if the two race, their transactions
    # conflict and the retried one sees the other, instead of both committing unaware.
    writes = [UpdateOne({"_id": mark}, {"$set": {"checked": True}}, upsert=True) for mark in marks]
    await tx.db[WITHDRAWALS].bulk_write(writes, session=tx.session)
    query = {"_id": {"$in": marks}, "withdrawn_at": {"$exists": True}}
    return await tx.db[WITHDRAWALS].find_one(query, {"_id": 1}, session=tx.session) is not None
