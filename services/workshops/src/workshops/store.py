"""Collections and indexes the workshops service owns, and every read and write.

- `parents`: `_id` = participant_id; only what the rules need, from `referral.created`
  (first name, gender, language, adjustments, availability, provider, the co-parents' ids,
  the FCA's subject) and from learning; never an email, phone or family name.
- `sessions`: what provider staff created; `booked` counts taken seats: every booking saves it in
  its transaction, so concurrent bookings of one session conflict and retry.
- `bookings`: one per parent per session; at most one `booked` per parent (unique index).
- `waitlist`: `_id` = participant_id; the patterns and formats that suit, and since when.
- `followups`, `concerns`, `concern_reads`: calls after the workshop; safeguarding records and
  who read them.
- `withdrawals`: when each referral (`<referral_id>:*`) or parent (`<referral_id>:<participant_id>`)
  was withdrawn, so a `referral.created` the withdrawal overtook opens no booking.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import ASCENDING, IndexModel, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from ptfc import withdrawals
from ptfc.pagination import PageParams, holds, page_reading_on
from ptfc.store import UnitOfWork as BaseUnitOfWork
from ptfc.withdrawals import WITHDRAWALS
from workshops import domain
from workshops.config import Settings
from workshops.domain import TAKEN

PARENTS, SESSIONS, BOOKINGS, WAITLIST = "parents", "sessions", "bookings", "waitlist"
FOLLOWUPS, CONCERNS, CONCERN_READS = "followups", "concerns", "concern_reads"

INDEXES: dict[str, list[IndexModel]] = {
    PARENTS: [IndexModel("referral_id")],
    SESSIONS: [
        IndexModel([("provider", ASCENDING), ("status", ASCENDING), ("starts_at", ASCENDING)]),
        IndexModel([("facilitators", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("status", ASCENDING), ("closes_at", ASCENDING)]),
        IndexModel([("provider", ASCENDING), ("_id", ASCENDING)]),  # the staff list's pages (`sessions_page`)
    ],
    BOOKINGS: [
        IndexModel("participant_id", unique=True, name="one_booking", partialFilterExpression={"status": "booked"}),
        IndexModel([("session_id", ASCENDING), ("status", ASCENDING)]),
        IndexModel([("participant_id", ASCENDING), ("status", ASCENDING)]),
        IndexModel([("status", ASCENDING), ("reminder_due", ASCENDING)]),
    ],
    WAITLIST: [IndexModel("since")],
    FOLLOWUPS: [
        IndexModel([("facilitator", ASCENDING), ("_id", ASCENDING)]),
        # the outcome aggregates: a provider's calls made, and those made in a range of months
        IndexModel([("provider", ASCENDING), ("status", ASCENDING), ("completed_at", ASCENDING)]),
        IndexModel([("provider", ASCENDING), ("_id", ASCENDING)]),  # the staff list's pages (`followups_page`)
        IndexModel("participant_id"),
    ],
    CONCERNS: [IndexModel("referral_id")],
    CONCERN_READS: [IndexModel([("concern_id", ASCENDING), ("at", ASCENDING)])],
    WITHDRAWALS: [IndexModel("withdrawn_at")],  # also creates the collection before a transaction writes it
}


def oid(value: str) -> ObjectId | None:
    try:
        return ObjectId(value)
    except (InvalidId, TypeError):
        return None


class UnitOfWork(BaseUnitOfWork):
    """`domain.UnitOfWork` on MongoDB: the shared opening (ptfc.store.UnitOfWork: one transaction,
    `now`, `new_id`, `emit`) and the workshops' reads and writes."""

    async def _by_id(self, collection: str, id_: Any) -> dict | None:
        return id_ and await self.db[collection].find_one({"_id": id_}, session=self.tx.session)

    async def _replace(self, collection: str, doc: dict) -> None:
        await self.db[collection].replace_one({"_id": doc["_id"]}, doc, upsert=True, session=self.tx.session)

    async def parent(self, participant_id: str) -> dict | None:
        return await self._by_id(PARENTS, participant_id)

    async def referral_of(self, participant_id: str) -> str | None:
        """The referral a parent is known from: as stored, or as merged earlier in this unit of
        work (merges are written at its end, so a batch's second event would not see the first's)."""
        merged = self.tx.memo.setdefault("referral_of", {})
        if participant_id not in merged:
            found = await self.db[PARENTS].find_one(
                {"_id": participant_id}, {"referral_id": 1}, session=self.tx.session
            )
            merged[participant_id] = (found or {}).get("referral_id")
        return merged[participant_id]

    async def parents_of(self, referral_id: str, participant_ids: list[str] | None) -> list[dict]:
        # By referral alone, on its index (a referral has two parents); the ids beside it, a field
        # the index lacks, were planned as a scan of every parent, per withdrawal.
        found = await self.db[PARENTS].find({"referral_id": referral_id}, session=self.tx.session).to_list()
        return [p for p in found if participant_ids is None or p["_id"] in participant_ids]

    async def save_parent(self, parent: dict) -> None:
        await self._replace(PARENTS, parent)

    async def merge_parent(self, participant_id: str, fields: dict, if_new: dict) -> None:
        if "referral_id" in fields:
            self.tx.memo.setdefault("referral_of", {})[participant_id] = fields["referral_id"]
        changes = {"$set": fields} | ({"$setOnInsert": if_new} if if_new else {})
        # Never read back by the work that merges: a batch's parents go in one write at its end.
        self.tx.later(PARENTS, UpdateOne({"_id": participant_id}, changes, upsert=True))

    async def session(self, session_id: str) -> dict | None:
        return await self._by_id(SESSIONS, oid(session_id))

    async def add_session(self, session: dict) -> None:
        await self.db[SESSIONS].insert_one(session, session=self.tx.session)

    async def save_session(self, session: dict) -> None:
        await self._replace(SESSIONS, session)

    async def booking(self, booking_id: str) -> dict | None:
        return await self._by_id(BOOKINGS, oid(booking_id))

    async def bookings_in(self, session_id: str, statuses: Iterable[str], participant_ids: list[str]) -> list[dict]:
        # The session's bookings in these states, from the (session_id, status) index (a session has
        # a few); the parents are picked here: a third field made it a scan of every booking, per booking.
        wanted = set(participant_ids)
        return [b for b in await self.all_bookings_in(session_id, statuses) if b["participant_id"] in wanted]

    async def all_bookings_in(self, session_id: str, statuses: Iterable[str]) -> list[dict]:
        query = {"session_id": session_id, "status": {"$in": list(statuses)}}
        return await self.db[BOOKINGS].find(query, session=self.tx.session).to_list()

    async def bookings_of(self, participant_ids: list[str], statuses: Iterable[str]) -> list[dict]:
        # By parent alone (an `$in` on the index's only key used); a parent has a few bookings. With the
        # status too, the `$in` fell on a first key: a scan of every booking.
        wanted = set(statuses)
        found = (
            await self.db[BOOKINGS]
            .find({"participant_id": {"$in": participant_ids}}, session=self.tx.session)
            .to_list()
        )
        return [b for b in found if b["status"] in wanted]

    async def add_booking(self, booking: dict) -> None:
        await self.db[BOOKINGS].insert_one(booking, session=self.tx.session)

    async def save_booking(self, booking: dict) -> None:
        await self._replace(BOOKINGS, booking)

    async def wish(self, participant_id: str) -> dict | None:
        return await self._by_id(WAITLIST, participant_id)

    async def save_wish(self, wish: dict) -> None:
        await self._replace(WAITLIST, wish)

    async def drop_wishes(self, participant_ids: list[str]) -> None:
        await self.db[WAITLIST].delete_many({"_id": {"$in": participant_ids}}, session=self.tx.session)

    async def followup(self, followup_id: str) -> dict | None:
        return await self._by_id(FOLLOWUPS, oid(followup_id))

    async def followups_of(self, participant_id: str, status: str) -> list[dict]:
        # By parent alone, which the `participant_id` index holds (the status, not in it, made a scan).
        found = await self.db[FOLLOWUPS].find({"participant_id": participant_id}, session=self.tx.session).to_list()
        return [f for f in found if f["status"] == status]

    async def add_followup(self, followup: dict) -> None:
        await self.db[FOLLOWUPS].insert_one(followup, session=self.tx.session)

    async def save_followup(self, followup: dict) -> None:
        await self._replace(FOLLOWUPS, followup)

    async def concern(self, concern_id: str) -> dict | None:
        return await self._by_id(CONCERNS, oid(concern_id))

    async def add_concern(self, concern: dict) -> None:
        await self.db[CONCERNS].insert_one(concern, session=self.tx.session)

    async def add_concern_read(self, read: dict) -> None:
        await self.db[CONCERN_READS].insert_one(read, session=self.tx.session)

    async def record_withdrawal(self, referral_id: str, participant_ids: list[str], at: datetime) -> None:
        await withdrawals.record(self.tx, referral_id, participant_ids, at)

    async def withdrawn(self, referral_id: str, participant_id: str) -> bool:
        return await withdrawals.withdrawn(self.tx, referral_id, participant_id)


# ---- reads for the routes ------------------------------------------------------------------------


async def session(db: AsyncDatabase, session_id: str) -> dict | None:
    sid = oid(session_id)
    return sid and await db[SESSIONS].find_one({"_id": sid})


def session_filters(starts_from: datetime | None, starts_to: datetime | None, **equal: str | None) -> dict:
    query: dict[str, Any] = {k: v for k, v in equal.items() if v is not None}
    between = ({"$gte": starts_from} if starts_from else {}) | ({"$lt": starts_to} if starts_to else {})
    return query | ({"starts_at": between} if between else {})


def within(value: datetime, between: dict[str, datetime]) -> bool:
    """`session_filters`' range on `starts_at`, checked on a document read."""
    return ("$gte" not in between or value >= between["$gte"]) and ("$lt" not in between or value < between["$lt"])


async def sessions_page(db: AsyncDatabase, scope: dict, asked: dict, paging: PageParams) -> list[dict]:
    """A page of the sessions in `scope` (a facilitator's or their provider's) matching `asked`, read
    from the (facilitators, _id) or (provider, _id) index; the rest of the filter is checked here."""
    served = {"facilitators": scope["facilitators"]} if "facilitators" in scope else {"provider": scope["provider"]}
    equal = {k: v for k, v in (scope | asked).items() if k != "starts_at"}
    between = asked.get("starts_at", {})

    def keep(doc: dict) -> bool:
        return holds(doc, equal) and within(doc["starts_at"], between)

    return await page_reading_on(db[SESSIONS], served, keep, paging)


async def session_participants(db: AsyncDatabase, session_id: str) -> list[tuple[dict, dict]]:
    """Each parent booked on (or who sat in) the session, with their booking."""
    bookings = await db[BOOKINGS].find({"session_id": session_id, "status": {"$in": list(TAKEN)}}).to_list()
    found = await db[PARENTS].find({"_id": {"$in": [b["participant_id"] for b in bookings]}}).to_list()
    parents = {p["_id"]: p for p in found}
    return [(parents[b["participant_id"]], b) for b in bookings if b["participant_id"] in parents]


async def parent(db: AsyncDatabase, participant_id: str) -> dict | None:
    return await db[PARENTS].find_one({"_id": participant_id})


async def wish(db: AsyncDatabase, participant_id: str) -> dict | None:
    return await db[WAITLIST].find_one({"_id": participant_id})


async def offered_sessions(
    db: AsyncDatabase,
    settings: Settings,
    parent: dict,
    now: datetime,
    paging: PageParams,
    format: str | None,
    pattern: str | None,
) -> tuple[list[dict], str | None]:
    """The sessions `domain.book` would accept for this parent now, a page at a time. Nothing
    about the co-parent is read: their sessions are outside this parent's half (`domain.eligible`),
    so what they book or cancel never changes this list, its order or its pages."""
    seeker = domain.seeker_of(parent, settings.co_parent_split_key, chosen=True)
    # The provider's sessions still ahead, on the (provider, status, starts_at) index: the live ones,
    # read whole (a format, a pattern or a page's `_id` beside them, fields the index lacks or a
    # second range, was planned as a scan of every session), the rest checked here.
    query = {"provider": parent["provider"], "status": "scheduled", "starts_at": {"$gt": now + settings.cancel_cutoff}}
    equal = session_filters(None, None, format=format, pattern=pattern)
    found: list[dict] = []
    for doc in await db[SESSIONS].find(query).sort("_id", 1).to_list():
        if (paging.after and doc["_id"] <= paging.after) or not holds(doc, equal):
            continue
        if domain.bookable(domain.slot_of(doc), seeker, now, settings.cancel_cutoff):
            found.append(doc)
            if len(found) == paging.limit:
                return found, str(doc["_id"])
    return found, None


async def followups_page(db: AsyncDatabase, scope: dict, paging: PageParams) -> list[tuple[dict, str]]:
    """Calls in `scope`, each with the parent's first name (the facilitator asks for them by it). Read
    from the (facilitator, _id) or (provider, _id) index; the rest of the scope is checked here."""
    served = {"facilitator": scope["facilitator"]} if "facilitator" in scope else {"provider": scope["provider"]}
    rows = await page_reading_on(db[FOLLOWUPS], served, lambda doc: holds(doc, scope), paging)
    found = await db[PARENTS].find({"_id": {"$in": [r["participant_id"] for r in rows]}}).to_list()
    names = {p["_id"]: p["given_name"] for p in found}
    return [(r, names.get(r["participant_id"], "")) for r in rows]


async def calls_made(db: AsyncDatabase, provider: str, start: datetime, end: datetime) -> list[dict]:
    """A provider's calls made in [start, end), on the (provider, status, completed_at) index: what
    the outcome report counts, and nothing that names anyone."""
    query = {"provider": provider, "status": "completed", "completed_at": {"$gte": start, "$lt": end}}
    fields = {"_id": 0, "provider": 1, "region": 1, "completed_at": 1, "reached": 1, "answers": 1}
    return await db[FOLLOWUPS].find(query, fields).to_list()


async def completed_followups(db: AsyncDatabase, provider: str) -> list[dict]:
    query = {"provider": provider, "status": "completed"}
    return await db[FOLLOWUPS].find(query, {"reached": 1, "answers": 1}).to_list()


async def concern(db: AsyncDatabase, concern_id: str) -> dict | None:
    cid = oid(concern_id)
    return cid and await db[CONCERNS].find_one({"_id": cid})


async def parents_by_id(db: AsyncDatabase, ids: list[str]) -> dict[str, dict]:
    return {p["_id"]: p for p in await db[PARENTS].find({"_id": {"$in": ids}}).to_list()}


async def facilitators_of(db: AsyncDatabase, provider: str) -> set[str]:
    """Every facilitator a provider's sessions name (workshops knows facilitators only so); read on
    the sessions' (provider, status, starts_at) index by its leading field."""
    rows = await db[SESSIONS].find({"provider": provider}, {"facilitators": 1}).to_list()
    return {name for row in rows for name in row.get("facilitators", [])}


async def concerns_of_referral(db: AsyncDatabase, referral_id: str) -> list[dict]:
    """A referral's concerns, without their details (the list is not a read of them). Served by the
    `referral_id` index; whose they are is checked by the caller (domain.may_read_concern)."""
    fields = {"details": 0}
    return await db[CONCERNS].find({"referral_id": referral_id}, fields).sort("raised_at", 1).to_list(200)


async def concern_reads(db: AsyncDatabase, concern_id: str) -> list[dict]:
    return await db[CONCERN_READS].find({"concern_id": concern_id}).sort("at", 1).to_list(1000)


# ---- reads for the sweeps ------------------------------------------------------------------------


async def reminders_due(db: AsyncDatabase, now: datetime, limit: int) -> list[tuple[str, datetime]]:
    query = {"status": "booked", "reminder_due": {"$lte": now}}
    rows = await db[BOOKINGS].find(query, {"reminder_due": 1}).sort("reminder_due", 1).limit(limit).to_list()
    return [(str(r["_id"]), r["reminder_due"]) for r in rows]


async def sessions_closing(db: AsyncDatabase, now: datetime, limit: int) -> list[str]:
    query = {"status": "scheduled", "closes_at": {"$lte": now}}
    return [
        str(r["_id"]) for r in await db[SESSIONS].find(query, {"_id": 1}).sort("closes_at", 1).limit(limit).to_list()
    ]


async def waiting(
    db: AsyncDatabase, settings: Settings, now: datetime
) -> tuple[list[domain.Seeker], list[domain.Slot]]:
    """What the allocator needs: the waiting parents who may still book (earliest first), and the
    sessions with free seats they might take, each with the co-parents already in it."""
    wishes = await db[WAITLIST].find().sort("since", 1).limit(2000).to_list()
    if not wishes:
        return [], []
    parents = {p["_id"]: p for p in await db[PARENTS].find({"_id": {"$in": [w["_id"] for w in wishes]}}).to_list()}
    seekers = [
        domain.seeker_of(parents[w["_id"]], settings.co_parent_split_key, w)
        for w in wishes
        if w["_id"] in parents and domain.may_book(parents[w["_id"]], settings.max_misses)
    ]
    if not seekers:
        return [], []
    # Each read is one the embedded store serves from an index: equality on an index's leading
    # fields, `$in` or a range only on the last one it uses (anything else, an `$in` on the provider,
    # an `$expr` on the seats, a session id beside the parents, scans the whole collection). So one
    # read per provider; full sessions, and the co-parents' bookings elsewhere, are dropped here.
    after = now + settings.cancel_cutoff
    sessions: list[dict] = []
    for provider in sorted({s.provider for s in seekers}):
        query = {"provider": provider, "status": "scheduled", "starts_at": {"$gt": after}}
        found = await db[SESSIONS].find(query).sort("starts_at", 1).limit(5000).to_list()
        sessions += [s for s in found if s["booked"] < s["capacity"]]
    sessions.sort(key=lambda s: (s["starts_at"], str(s["_id"])))
    open_ids = {str(s["_id"]) for s in sessions}
    co_parents = {"participant_id": {"$in": sorted({c for s in seekers for c in s.co_parents})}}
    members: dict[str, set[str]] = {}
    for b in await db[BOOKINGS].find(co_parents, {"session_id": 1, "participant_id": 1, "status": 1}).to_list():
        if b["status"] in TAKEN and b["session_id"] in open_ids:
            members.setdefault(b["session_id"], set()).add(b["participant_id"])
    return seekers, [domain.slot_of(s, members.get(str(s["_id"]))) for s in sessions]
