"""Collections and indexes the plans service owns, and every read and write.

- `plans`: one document per plan (`_id` = an unguessable id); its parties, topics and the current
  state of each topic. `revision` grows with every change: a write applies only to the revision it
  read, so two parties acting at once cannot overwrite each other.
- `history`: append-only, one entry per change, `(plan_id, seq)` unique (seq = the revision the
  change made). Nothing updates or deletes an entry.
- `invitations`: `_id` = SHA-256 of the single-use token; swept by nobody, refused once expired.
- `participants`: programme parents from `referral.created`: ids, co-parents' ids, the FCA's id and
  the language. Never an email or phone.
"""

from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel

from plans.domain import Refused
from ptfc.store import Tx

PLANS, HISTORY, INVITATIONS, PARTICIPANTS = "plans", "history", "invitations", "participants"

INDEXES: dict[str, list[IndexModel]] = {
    PLANS: [
        IndexModel([("parties.participant_id", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("viewers", ASCENDING), ("_id", ASCENDING)]),
        IndexModel("parties.token_hash", sparse=True),
    ],
    HISTORY: [IndexModel([("plan_id", ASCENDING), ("seq", ASCENDING)], unique=True)],
    INVITATIONS: [
        IndexModel("invitation_id", unique=True),
        IndexModel([("plan_id", ASCENDING), ("state", ASCENDING)]),
    ],
    PARTICIPANTS: [IndexModel([("referral_id", ASCENDING)])],
}


async def plan(tx: Tx, plan_id: str) -> dict | None:
    return await tx.db[PLANS].find_one({"_id": plan_id}, session=tx.session)


async def insert_plan(tx: Tx, doc: dict, entry: dict) -> None:
    await tx.db[PLANS].insert_one(doc, session=tx.session)
    await _append(tx, doc["_id"], doc["revision"], entry)


async def commit(tx: Tx, doc: dict, entry: dict, set_: dict[str, Any], push: dict[str, Any] | None = None) -> int:
    """Apply a change to the revision `doc` was read at, and record it in the history. Answers the
    new revision; refuses if the plan changed since it was read."""
    update: dict[str, Any] = {"$set": {**set_, "updated_at": entry["at"]}, "$inc": {"revision": 1}}
    if push:
        update["$push"] = push
    done = await tx.db[PLANS].update_one({"_id": doc["_id"], "revision": doc["revision"]}, update, session=tx.session)
    if not done.modified_count:
        raise Refused("plan-changed")
    await _append(tx, doc["_id"], doc["revision"] + 1, entry)
    return doc["revision"] + 1


async def _append(tx: Tx, plan_id: str, seq: int, entry: dict) -> None:
    await tx.db[HISTORY].insert_one({"plan_id": plan_id, "seq": seq, **entry}, session=tx.session)


async def history(db: Any, plan_id: str, after: int, limit: int) -> list[dict]:
    query = {"plan_id": plan_id, "seq": {"$gt": after}}
    return await db[HISTORY].find(query).sort("seq", ASCENDING).limit(limit).to_list()


async def plans_of(db: Any, who: Any, after: str | None, limit: int) -> list[dict]:
    """A programme parent's plans (while a party), or those shared with an FCA."""
    if who.participant_id:
        query: dict[str, Any] = {"parties": {"$elemMatch": {"participant_id": who.participant_id, "left_at": None}}}
    else:
        query = {"viewers": who.fca_id}
    if after:
        query["_id"] = {"$gt": after}
    return await db[PLANS].find(query).sort("_id", ASCENDING).limit(limit).to_list()


# ---- programme parents -------------------------------------------------------------------------


async def remember_participants(tx: Tx, referral_id: str, fca_id: str, people: list[tuple[str, str]]) -> None:
    """Each parent of a referral, with the ids of the others (their co-parents)."""
    ids = [pid for pid, _ in people]
    for pid, language in people:
        others = [o for o in ids if o != pid]
        await tx.db[PARTICIPANTS].update_one(
            {"_id": pid},
            {"$set": {"referral_id": referral_id, "fca_id": fca_id, "language": language, "co_parents": others}},
            upsert=True,
            session=tx.session,
        )


async def participant(tx: Tx, participant_id: str) -> dict | None:
    return await tx.db[PARTICIPANTS].find_one({"_id": participant_id}, session=tx.session)


# ---- invitations -------------------------------------------------------------------------------


async def replace_invitation(tx: Tx, doc: dict) -> None:
    """A plan has one open invitation: a new one makes the older unusable."""
    await tx.db[INVITATIONS].update_many(
        {"plan_id": doc["plan_id"], "state": "pending"}, {"$set": {"state": "superseded"}}, session=tx.session
    )
    await tx.db[INVITATIONS].insert_one(doc, session=tx.session)


async def plan_token_known(db: Any, token_hash: str) -> bool:
    """Whether some plan has (or had) a party with this plan token."""
    return await db[PLANS].find_one({"parties.token_hash": token_hash}, {"_id": 1}) is not None


async def spend_invitation(tx: Tx, token_hash: str, now: Any) -> dict:
    found = await tx.db[INVITATIONS].find_one({"_id": token_hash}, session=tx.session)
    if found is None:
        raise Refused("invitation-unknown")
    if found["state"] != "pending":
        raise Refused("invitation-used" if found["state"] == "used" else "invitation-replaced")
    if found["expires_at"] <= now:
        raise Refused("invitation-expired")
    spent = await tx.db[INVITATIONS].update_one(
        {"_id": token_hash, "state": "pending"}, {"$set": {"state": "used", "used_at": now}}, session=tx.session
    )
    if not spent.modified_count:
        raise Refused("invitation-used")
    return found


async def pending_invitation_for(tx: Tx, participant_id: str) -> dict | None:
    query = {"invitee_participant_id": participant_id, "state": "pending"}
    return await tx.db[INVITATIONS].find_one(query, sort=[("created_at", DESCENDING)], session=tx.session)


async def read_plan(db: Any, plan_id: str) -> dict | None:
    return await db[PLANS].find_one({"_id": plan_id})
