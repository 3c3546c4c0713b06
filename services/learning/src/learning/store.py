"""Collections and indexes the learning service owns.

- `accounts`: one Parent Hub account per participant (`_id` = participant_id).
- `enrolments`: one per participant per referral cycle; progress and the 10-day clock.
  Sweeps find due work by the indexed `(status, deadline)` and `(status, reminder_due)`.
- `activations`: single-use links, `_id` = SHA-256 of the token; swept by `(state, expires_at)`.
- `sign_ins`: single-use links an activated parent asks for to come back; deleted a day after expiry.
- `closed_notices`: when a withdrawn parent who asked for a link was sent a letter instead, for the
  same daily cap as links; deleted a day after.
- `sign_in_requests`: "email me a link" requests, one pending per email hash (`_id`), for the sign-in sweep.
- `sessions`: a parent's session, `_id` = SHA-256 of its secret (the hub holds the secret); it ends at
  sign-out, a withdrawal or a re-order (`ended_at`), or at `expires_at`; deleted a day after that.
- `withdrawals`: when each referral (`<referral_id>:*`) or parent (`<referral_id>:<participant_id>`)
  was withdrawn, so a referral event the withdrawal overtook opens nothing when it arrives.
"""

from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, IndexModel, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from learning.domain import ACTIVATIONS, NOTICES, SIGN_IN, SIGN_INS
from ptfc import withdrawals
from ptfc.pagination import PageParams
from ptfc.store import DAY, Tx, object_id
from ptfc.store import UnitOfWork as BaseUnitOfWork

ACCOUNTS, ENROLMENTS, SESSIONS = "accounts", "enrolments", "sessions"
SIGN_IN_REQUESTS = "sign_in_requests"

INDEXES: dict[str, list[IndexModel]] = {
    ACCOUNTS: [
        IndexModel([("email_key", ASCENDING)]),
        # The sign-in claim's guarded writes (`claim_sign_in`): the embedded store plans `_id` with
        # another field as a scan of every account unless one index holds both.
        IndexModel([("_id", ASCENDING), ("sign_in_sent_at", ASCENDING)], name="sign_in_claim"),
    ],
    ENROLMENTS: [
        IndexModel([("participant_id", ASCENDING), ("cycle", ASCENDING)], unique=True),
        IndexModel([("referral_id", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("status", ASCENDING), ("deadline", ASCENDING)]),
        IndexModel([("status", ASCENDING), ("reminder_due", ASCENDING)]),
    ],
    ACTIVATIONS: [
        IndexModel([("enrolment_id", ASCENDING), ("state", ASCENDING)]),
        IndexModel([("state", ASCENDING), ("expires_at", ASCENDING)]),
        IndexModel([("enrolment_id", ASCENDING), ("issued_at", ASCENDING)]),  # links_issued_since
    ],
    SIGN_IN_REQUESTS: [IndexModel([("requested_at", ASCENDING)])],
    SESSIONS: [
        IndexModel([("participant_id", ASCENDING), ("ended_at", ASCENDING)]),
        IndexModel([("referral_id", ASCENDING), ("ended_at", ASCENDING)]),
        IndexModel("expires_at", expireAfterSeconds=DAY),
    ],
    SIGN_INS: [
        IndexModel([("participant_id", ASCENDING), ("state", ASCENDING)]),
        IndexModel([("participant_id", ASCENDING), ("issued_at", ASCENDING)]),  # links_issued_since
        IndexModel("expires_at", expireAfterSeconds=DAY),
    ],
    NOTICES: [
        IndexModel([("participant_id", ASCENDING), ("issued_at", ASCENDING)]),  # links_issued_since
        IndexModel("expires_at", expireAfterSeconds=DAY),
    ],
}


def enrolments_key(participant_id: str) -> str:
    return f"enrolments_of:{participant_id}"


async def load_enrolments(events: list[Any], tx: Tx) -> None:
    """What opening a batch of `referral.created` needs, read for all its parents at once: their
    enrolments and whether they were withdrawn. The enrolments and links of these parents are then
    kept in the unit of work and written together at its end (`UnitOfWork.save_enrolment`)."""
    pairs = [(event.referral_id, p.participant_id) for event in events for p in event.participants]
    ids = [pid for _, pid in pairs]
    found = await tx.db[ENROLMENTS].find({"participant_id": {"$in": ids}}, session=tx.session).to_list()
    for pid in ids:
        tx.memo[enrolments_key(pid)] = [e for e in found if e["participant_id"] == pid]
    await withdrawals.check(tx, pairs)


class UnitOfWork(BaseUnitOfWork):
    """`domain.UnitOfWork` on MongoDB: the shared opening (ptfc.store.UnitOfWork: one transaction,
    `now`, `new_id`, `emit`) and learning's reads and writes. A concurrent change to a document read
    here (another replica's sweep, a completion racing the clock) is a write conflict, and the driver
    runs the whole unit again."""

    async def enrolment(self, enrolment_id: str) -> dict[str, Any] | None:
        oid = object_id(enrolment_id)
        return oid and await self.db[ENROLMENTS].find_one({"_id": oid}, session=self.tx.session)

    async def enrolment_of(self, participant_id: str, cycle: int | None = None) -> dict[str, Any] | None:
        """This cycle's enrolment, or without a cycle the latest."""
        query = {"participant_id": participant_id} | ({"cycle": cycle} if cycle is not None else {})
        return await self.db[ENROLMENTS].find_one(query, sort=[("cycle", -1)], session=self.tx.session)

    async def enrolments_of(self, participant_id: str) -> list[dict[str, Any]]:
        if (batch := self.tx.memo.get(enrolments_key(participant_id))) is not None:
            return list(batch)  # read with the batch's (`load_enrolments`), as this work left them
        return await self.db[ENROLMENTS].find({"participant_id": participant_id}, session=self.tx.session).to_list()

    def batched(self, participant_id: str) -> list[dict[str, Any]] | None:
        """This parent's enrolments when a batch read them (`load_enrolments`): their writes then wait
        for the end of the work, one bulk write for the batch instead of one per parent."""
        return self.tx.memo.get(enrolments_key(participant_id))

    async def open_enrolments_of(self, referral_id: str, participant_ids: list[str]) -> list[dict[str, Any]]:
        # By referral alone, which the (referral_id, _id) index serves: a referral has a few enrolments
        # (two parents, a cycle each re-order). With status and participant in the filter, fields the
        # index lacks, the embedded store read every enrolment ever, on each `referral.withdrawn`.
        found = await self.db[ENROLMENTS].find({"referral_id": referral_id}, session=self.tx.session).to_list()
        wanted = set(participant_ids)
        # Also a missed one: a withdrawal marks it, so its parent is sent no sign-in link after (issue 26).
        return [e for e in found if e["status"] in SIGN_IN and (not wanted or e["participant_id"] in wanted)]

    async def save_enrolment(self, enrolment: dict[str, Any]) -> None:
        if (batch := self.batched(enrolment["participant_id"])) is not None:
            batch[:] = [e for e in batch if e["_id"] != enrolment["_id"]] + [enrolment]
            self.tx.save(ENROLMENTS, enrolment)
            return
        await self.db[ENROLMENTS].replace_one(
            {"_id": enrolment["_id"]}, enrolment, upsert=True, session=self.tx.session
        )

    async def account_ids(self, email_key: str) -> list[str]:
        rows = await self.db[ACCOUNTS].find({"email_key": email_key}, {"_id": 1}, session=self.tx.session).to_list()
        return [row["_id"] for row in rows]

    async def keep_account(self, participant_id: str, language: str, email_key: str | None) -> None:
        new = {"created_at": self.now(), "activated_at": None, "sign_in_sent_at": None}
        # Never read back by the work that opens an account: a batch's accounts go in one write.
        self.tx.later(
            ACCOUNTS,
            UpdateOne({"_id": participant_id}, {"$setOnInsert": new, "$set": {"language": language}}, upsert=True),
        )
        if email_key:  # set once (a re-order may have opened the account first): never replaced by a referral
            first = UpdateOne({"_id": participant_id, "email_key": None}, {"$set": {"email_key": email_key}})
            self.tx.later(ACCOUNTS, first)

    async def change_email_key(self, participant_id: str, email_key: str) -> bool:
        """`referral.contact_changed`: the FCA's explicit change, the only one that replaces it."""
        changed = await self.db[ACCOUNTS].update_one(
            {"_id": participant_id}, {"$set": {"email_key": email_key}}, session=self.tx.session
        )
        return changed.matched_count > 0

    async def mark_account_activated(self, participant_id: str) -> None:
        await self.db[ACCOUNTS].update_one(
            {"_id": participant_id, "activated_at": None},
            {"$set": {"activated_at": self.now()}},
            session=self.tx.session,
        )

    async def claim_sign_in(self, participant_id: str, at: datetime, not_since: datetime) -> bool:
        """Whether no sign-in link went to this parent since `not_since`; if so, `at` is recorded.

        Two guarded updates, never one with a top-level `$or`: the embedded store plans `$or` beside
        `_id` as a scan of every account (225 ms each among 20,000, on every sign-in request). Each
        guard still makes the claim atomic, so two racing requests win one link a window between them."""
        for guard in (None, {"$lte": not_since}):
            claimed = await self.db[ACCOUNTS].update_one(
                {"_id": participant_id, "sign_in_sent_at": guard},
                {"$set": {"sign_in_sent_at": at}},
                session=self.tx.session,
            )
            if claimed.matched_count:
                return True
        return False

    async def link(self, kind: str, link_id: str) -> dict[str, Any] | None:
        return (await self.tx.get(kind, [link_id]))[link_id]

    async def pending_links(self, kind: str, owner: dict[str, str]) -> list[dict[str, Any]]:
        found = await self.db[kind].find({**owner, "state": "pending"}, session=self.tx.session).to_list()
        # As this work left them, with the links it saved and has not written yet (a batch's new links).
        return [link for link in self.tx.current(kind, found, where=owner) if link["state"] == "pending"]

    async def save_link(self, kind: str, link: dict[str, Any]) -> None:
        if self.batched(link.get("participant_id", "")) is not None:
            self.tx.save(kind, link)
            return
        await self.db[kind].replace_one({"_id": link["_id"]}, link, upsert=True, session=self.tx.session)

    async def links_issued_since(self, kind: str, owner: dict[str, str], since: datetime) -> int:
        # Counts one parent's links of a day, from the (owner, issued_at) index of each kind.
        return await self.db[kind].count_documents({**owner, "issued_at": {"$gt": since}}, session=self.tx.session)

    async def record_withdrawal(self, referral_id: str, participant_ids: list[str], at: datetime) -> None:
        await withdrawals.record(self.tx, referral_id, participant_ids, at)

    async def withdrawn(self, referral_id: str, participant_id: str) -> bool:
        return await withdrawals.withdrawn(self.tx, referral_id, participant_id)

    async def session(self, session_id: str) -> dict[str, Any] | None:
        return await self.db[SESSIONS].find_one({"_id": session_id}, session=self.tx.session)

    async def save_session(self, session: dict[str, Any]) -> None:
        await self.db[SESSIONS].replace_one({"_id": session["_id"]}, session, upsert=True, session=self.tx.session)

    async def end_sessions(self, at: datetime, reason: str, referral_id: str, participant_ids: list[str]) -> None:
        """End these parents' sessions (without ids: every parent's of the referral)."""
        who = {"participant_id": {"$in": participant_ids}} if participant_ids else {"referral_id": referral_id}
        await self.db[SESSIONS].update_many(
            {**who, "ended_at": None}, {"$set": {"ended_at": at, "end_reason": reason}}, session=self.tx.session
        )


# ---- reads for routes and sweeps -----------------------------------------------------------------


async def latest_enrolment(db: AsyncDatabase, participant_id: str) -> dict[str, Any] | None:
    return await db[ENROLMENTS].find_one({"participant_id": participant_id}, sort=[("cycle", -1)])


async def earlier_enrolments(db: AsyncDatabase, participant_id: str, cycle: int) -> list[dict[str, Any]]:
    """The parent's enrolments of the cycles before `cycle`, oldest first (on the unique index)."""
    query = {"participant_id": participant_id, "cycle": {"$lt": cycle}}
    return await db[ENROLMENTS].find(query).sort([("participant_id", 1), ("cycle", 1)]).to_list()


async def enrolments_page(db: AsyncDatabase, query: dict[str, Any], paging: PageParams) -> list[dict[str, Any]]:
    return await db[ENROLMENTS].find({**query, **paging.filter()}).sort("_id", 1).limit(paging.limit).to_list()


async def save_position(db: AsyncDatabase, enrolment_id: ObjectId, number: int, section: int) -> dict[str, Any]:
    """Where the parent stopped reading; a plain overwrite, harmless to repeat."""
    return await db[ENROLMENTS].find_one_and_update(
        {"_id": enrolment_id}, {"$set": {f"positions.{number}": section}}, return_document=True
    )


async def queue_sign_in(tx: Tx, email_key: str) -> None:
    """One pending request per address, answered by a sweep."""
    await tx.db[SIGN_IN_REQUESTS].update_one(
        {"_id": email_key}, {"$setOnInsert": {"requested_at": tx.clock.now()}}, upsert=True, session=tx.session
    )


async def _due(db: AsyncDatabase, collection: str, query: dict[str, Any], field: str, limit: int) -> list[Any]:
    """The ids of the items due first, by the indexed due field."""
    rows = await db[collection].find(query, {"_id": 1}).sort(field, 1).limit(limit).to_list()
    return [row["_id"] for row in rows]


async def expired_links(db: AsyncDatabase, now: datetime, limit: int) -> list[str]:
    return await _due(db, ACTIVATIONS, {"state": "pending", "expires_at": {"$lte": now}}, "expires_at", limit)


async def reminders_due(db: AsyncDatabase, now: datetime, limit: int) -> list[str]:
    # One equality and one range, which the (status, reminder_due) index serves: a second range (the
    # deadline still ahead) made it a collection scan. Past the deadline a reminder is moot, and
    # `domain.remind` says so; the missed deadline, swept in the same round, takes the row out.
    query = {"status": "active", "reminder_due": {"$lte": now}}
    return [str(i) for i in await _due(db, ENROLMENTS, query, "reminder_due", limit)]


async def deadlines_passed(db: AsyncDatabase, now: datetime, limit: int) -> list[str]:
    query = {"status": "active", "deadline": {"$lte": now}}
    return [str(i) for i in await _due(db, ENROLMENTS, query, "deadline", limit)]


async def sign_in_requests(db: AsyncDatabase, limit: int) -> list[dict[str, Any]]:
    return await db[SIGN_IN_REQUESTS].find({}).sort("requested_at", 1).limit(limit).to_list()


async def take_sign_in_request(tx: Tx, email_key: str) -> bool:
    """Whether this request was still queued (another replica may have answered it)."""
    return await tx.db[SIGN_IN_REQUESTS].find_one_and_delete({"_id": email_key}, session=tx.session) is not None
