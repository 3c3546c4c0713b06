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
    for key in [k for k in tx.memo if k.startswith(f"withdrawn:{referral_id}:")]:
        if not participant_ids or key.rsplit(":", 1)[1] in participant_ids:
            tx.memo[key] = True  # checked earlier in this unit of work: withdrawn now


async def check(tx: Tx, parents: list[tuple[str, str]]) -> None:
    """Whether each (referral, parent) was withdrawn, for a batch of events in two round trips;
    `withdrawn` then answers from the unit of work's memory."""
    marks = sorted({mark for referral_id, pid in parents for mark in (f"{referral_id}:*", f"{referral_id}:{pid}")})
    if not marks:
        return
    # A write to the very documents a withdrawal writes: if the two race, their transactions
    # conflict and the retried one sees the other, instead of both committing unaware.
    writes = [UpdateOne({"_id": mark}, {"$set": {"checked": True}}, upsert=True) for mark in marks]
    await tx.db[WITHDRAWALS].bulk_write(writes, session=tx.session)
    # By `_id` alone, looked up one by one; the withdrawal is checked here (with `withdrawn_at` in the
    # filter, the embedded store planned a scan of every mark, and each referral leaves two or three).
    query = {"_id": {"$in": marks}}
    rows = await tx.db[WITHDRAWALS].find(query, {"withdrawn_at": 1}, session=tx.session).to_list()
    found = {d["_id"] for d in rows if "withdrawn_at" in d}
    for referral_id, pid in parents:
        tx.memo[_key(referral_id, pid)] = bool({f"{referral_id}:*", f"{referral_id}:{pid}"} & found)


async def withdrawn(tx: Tx, referral_id: str, participant_id: str) -> bool:
    """Whether this parent's referral was withdrawn (referrals never re-orders a withdrawn referral;
    it is referred again)."""
    if _key(referral_id, participant_id) not in tx.memo:
        await check(tx, [(referral_id, participant_id)])
    return tx.memo[_key(referral_id, participant_id)]


def _key(referral_id: str, participant_id: str) -> str:
    return f"withdrawn:{referral_id}:{participant_id}"
