"""Collections and indexes the plans service owns, and every read and write.

- `plans`: one document per plan (`_id` = an unguessable id); its parties, topics and the current
  state of each topic. `revision` grows with every change: a write applies only to the revision it
  read, so two parties acting at once cannot overwrite each other.
- `history`: append-only, one entry per change, `(plan_id, seq)` unique (seq = the revision the
  change made). Nothing updates or deletes an entry.
- `invitations`: `_id` = SHA-256 of the single-use token; swept by nobody, refused once expired.
  `recipient` (a participant id, or a keyed hash of the address typed in) counts the invitations one
  person was sent in a day, whoever asked.
- `participants`: programme parents from `referral.created`: ids, co-parents' ids, the FCA's id and
  the language. Never an email or phone.
"""

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel, ReplaceOne

from plans.domain import Refused
from ptfc.store import UnitOfWork as BaseUnitOfWork

PLANS, HISTORY, INVITATIONS, PARTICIPANTS = "plans", "history", "invitations", "participants"
REPLY_EMAILS = "reply_emails"  # per plan and party: turned off, and when the last reply email went

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
        IndexModel([("recipient", ASCENDING), ("created_at", DESCENDING)]),
        # pending_invitation_for, at each sign-in to plans: served whole, the newest first.
        IndexModel([("invitee_participant_id", ASCENDING), ("state", ASCENDING), ("created_at", DESCENDING)]),
    ],
    PARTICIPANTS: [IndexModel([("referral_id", ASCENDING)])],
    REPLY_EMAILS: [IndexModel([("due_at", ASCENDING)], sparse=True)],  # the held digests, by when they are due
}


class UnitOfWork(BaseUnitOfWork):
    """`domain.UnitOfWork` on MongoDB: the shared opening (ptfc.store.UnitOfWork: one transaction,
    `now`, `emit`) and the plans' reads and writes."""

    async def plan(self, plan_id: str) -> dict | None:
        return await self.db[PLANS].find_one({"_id": plan_id}, session=self.tx.session)

    async def add_plan(self, plan: dict, entry: dict) -> None:
        await self.db[PLANS].insert_one(plan, session=self.tx.session)
        await self._append(plan["_id"], plan["revision"], entry)

    async def save_plan(self, plan: dict, entry: dict) -> None:
        """Applies only to the revision the plan was read at (one before `plan["revision"]`): two
        parties acting at once cannot overwrite each other. The history entry's `seq` is the revision."""
        read_at = {"_id": plan["_id"], "revision": plan["revision"] - 1}
        done = await self.db[PLANS].replace_one(read_at, plan, session=self.tx.session)
        if not done.modified_count:
            raise Refused("plan-changed")
        await self._append(plan["_id"], plan["revision"], entry)

    async def _append(self, plan_id: str, seq: int, entry: dict) -> None:
        await self.db[HISTORY].insert_one({"plan_id": plan_id, "seq": seq, **entry}, session=self.tx.session)

    async def participant(self, participant_id: str) -> dict | None:
        return await self.db[PARTICIPANTS].find_one({"_id": participant_id}, session=self.tx.session)

    async def keep_participant(self, participant: dict) -> None:
        # Never read back by the work that keeps it: a batch's parents go in one write at its end.
        self.tx.later(PARTICIPANTS, ReplaceOne({"_id": participant["_id"]}, participant, upsert=True))

    async def invitation(self, token_hash: str) -> dict | None:
        return await self.db[INVITATIONS].find_one({"_id": token_hash}, session=self.tx.session)

    async def pending_invitation_for(self, participant_id: str) -> dict | None:
        query = {"invitee_participant_id": participant_id, "state": "pending"}
        return await self.db[INVITATIONS].find_one(query, sort=[("created_at", DESCENDING)], session=self.tx.session)

    async def add_invitation(self, invitation: dict) -> None:
        """A plan has one open invitation: a new one makes the older unusable."""
        await self.db[INVITATIONS].update_many(
            {"plan_id": invitation["plan_id"], "state": "pending"},
            {"$set": {"state": "superseded"}},
            session=self.tx.session,
        )
        await self.db[INVITATIONS].insert_one(invitation, session=self.tx.session)

    async def save_invitation(self, invitation: dict) -> None:
        await self.db[INVITATIONS].replace_one({"_id": invitation["_id"]}, invitation, session=self.tx.session)

    async def invitations_to(self, recipient: str, since: datetime) -> list[dict]:
        """The invitations sent to one person (domain.recipient_of) since then, newest first."""
        query = {"recipient": recipient, "created_at": {"$gt": since}}
        found = self.db[INVITATIONS].find(query, session=self.tx.session).sort("created_at", DESCENDING)
        return await found.to_list()

    async def reply_emails(self, plan_id: str, party_id: str) -> dict:
        found = await self.db[REPLY_EMAILS].find_one({"_id": f"{plan_id}:{party_id}"}, session=self.tx.session)
        return {k: v for k, v in (found or {}).items() if k != "_id"}

    async def keep_reply_emails(self, plan_id: str, party_id: str, choice: dict) -> None:
        key = {"_id": f"{plan_id}:{party_id}"}
        doc = {**key, **choice, "plan_id": plan_id, "party_id": party_id}
        await self.db[REPLY_EMAILS].replace_one(key, doc, upsert=True, session=self.tx.session)


# ---- reads for the routes ------------------------------------------------------------------------


async def history(db: Any, plan_id: str, after: int, limit: int) -> list[dict]:
    query = {"plan_id": plan_id, "seq": {"$gt": after}}
    return await db[HISTORY].find(query).sort("seq", ASCENDING).limit(limit).to_list()


async def plans_of(db: Any, who: Any, after: str | None, limit: int) -> list[dict]:
    """A programme parent's plans (while a party), or those shared with an FCA. A parent's are read
    by `parties.participant_id` and `_id` alone, the index's fields in its order (an `$elemMatch`
    with `left_at` was planned as a scan of every plan and a sort), and the plans they left are
    dropped here: a page reads on past them until it is full or their plans run out."""
    if not who.participant_id:
        query: dict[str, Any] = {"viewers": who.fca_id} | ({"_id": {"$gt": after}} if after else {})
        return await db[PLANS].find(query).sort("_id", ASCENDING).limit(limit).to_list()
    found: list[dict] = []
    while len(found) < limit:
        query = {"parties.participant_id": who.participant_id} | ({"_id": {"$gt": after}} if after else {})
        batch = await db[PLANS].find(query).sort("_id", ASCENDING).limit(limit).to_list()
        mine = (
            p
            for p in batch
            if any(x.get("participant_id") == who.participant_id and x.get("left_at") is None for x in p["parties"])
        )
        found.extend(mine)
        if len(batch) < limit:
            break
        after = batch[-1]["_id"]
    return found[:limit]


async def held_replies_due(db: Any, now: datetime, limit: int) -> list[tuple[str, str]]:
    """(plan, party) whose held reply email is due: the digest of a day's replies after the first."""
    rows = db[REPLY_EMAILS].find({"due_at": {"$lte": now}}, {"plan_id": 1, "party_id": 1}).sort("due_at", ASCENDING)
    return [(r["plan_id"], r["party_id"]) for r in await rows.limit(limit).to_list()]


async def reply_emails_off(db: Any, plan_id: str, party_id: str) -> bool:
    found = await db[REPLY_EMAILS].find_one({"_id": f"{plan_id}:{party_id}"}, {"off": 1})
    return bool(found and found.get("off"))


async def plan_token_known(db: Any, token_hash: str) -> bool:
    """Whether some plan has (or had) a party with this plan token."""
    return await db[PLANS].find_one({"parties.token_hash": token_hash}, {"_id": 1}) is not None


async def read_plan(db: Any, plan_id: str) -> dict | None:
    return await db[PLANS].find_one({"_id": plan_id})
