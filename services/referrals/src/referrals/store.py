"""Collections and indexes the referrals service owns.

`referrals` holds one case's referral; `participants` one parent each (name, language and needs,
never email or phone; the current cycle's progress and their timeline), so every due time is a
plain indexed field."""

import secrets
from datetime import UTC, datetime
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from ptfc.pagination import PageParams, holds, page_reading_on
from ptfc.store import Tx, object_id
from ptfc.store import UnitOfWork as BaseUnitOfWork

REFERRALS, PARTICIPANTS = "referrals", "participants"

# What a due-time index holds, and the lower bound every query of one names, so that the query
# implies the index's filter and any planner reads the index by the range. Not `{"$type": "date"}`:
# SecantusDB cannot prove a range implies it, and scanned; nor a `hint`: it then walks the whole
# index, not the range (2.5 s for 20,000 parents not yet due against 14 ms, bench/README.md).
DATED = {"$gte": datetime(1970, 1, 1, tzinfo=UTC)}


def due_by(now: datetime) -> dict[str, datetime]:
    return DATED | {"$lte": now}


INDEXES: dict[str, list[IndexModel]] = {
    REFERRALS: [
        IndexModel([("fca_id", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("provider", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("court_key", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("case_number", ASCENDING)]),
    ],
    PARTICIPANTS: [
        IndexModel("referral_id"),
        # One active cycle per parent and case: concurrent intakes cannot both pass the check.
        IndexModel(
            [("case_number", ASCENDING), ("email_key", ASCENDING)],
            unique=True,
            partialFilterExpression={"active": True},
            name="one_active_cycle_per_parent_and_case",
        ),
        # Due times: a date, or None once nothing is due; each index holds the dates (see DATED).
        IndexModel(
            [("provider", ASCENDING), ("contact_due_at", ASCENDING)],
            partialFilterExpression={"contact_due_at": DATED},
            name="contacts_due",
        ),
        IndexModel("chaser_due_at", partialFilterExpression={"chaser_due_at": DATED}, name="chasers_due"),
        # Reports: a provider's parents whose cycle started in a range of months (reports.py).
        IndexModel([("provider", ASCENDING), ("cycle_started_at", ASCENDING)], name="reports"),
    ],
}


class UnitOfWork(BaseUnitOfWork):
    """`domain.UnitOfWork` on MongoDB: the shared opening (ptfc.store.UnitOfWork: one transaction,
    `now`, `new_id`, `emit`) and the referrals' reads and writes."""

    def random_id(self) -> ObjectId:
        # ObjectIds made one after another share time and process bytes and count up.
        return ObjectId(secrets.token_bytes(12))

    async def referral(self, referral_id: str) -> dict[str, Any] | None:
        oid = object_id(referral_id)
        return oid and await self.db[REFERRALS].find_one({"_id": oid}, session=self.tx.session)

    async def parent(self, participant_id: str) -> dict[str, Any] | None:
        oid = object_id(participant_id)
        return oid and (await self.tx.get(PARTICIPANTS, [oid]))[oid]

    async def parents(self, referral_id: str) -> list[dict[str, Any]]:
        found = self.db[PARTICIPANTS].find({"referral_id": referral_id}, session=self.tx.session)
        return self.tx.current(PARTICIPANTS, await found.sort("_id", 1).to_list())

    async def active_referral_of(self, case: str, email_keys: list[str], except_id: Any = None) -> str | None:
        return await active_referral_of(self.db, case, email_keys, except_id, self.tx.session)

    async def add(self, referral: dict[str, Any], parents: list[dict[str, Any]]) -> None:
        await self.db[REFERRALS].insert_one(referral, session=self.tx.session)
        if parents:
            await self.db[PARTICIPANTS].insert_many(parents, session=self.tx.session)

    async def save_referral(self, referral: dict[str, Any]) -> None:
        await self.db[REFERRALS].replace_one({"_id": referral["_id"]}, referral, session=self.tx.session)

    async def save_parent(self, parent: dict[str, Any]) -> None:
        self.tx.save(PARTICIPANTS, parent)  # written at the end of the work: a batch's parents in one write


async def load_parents(events: list[Any], tx: Tx) -> None:
    """The parents a batch of events is about, in one read (`UnitOfWork.parent` then finds them)."""
    ids = (object_id(pid) for event in events if isinstance(pid := getattr(event, "participant_id", None), str))
    await tx.get(PARTICIPANTS, [oid for oid in ids if oid])


async def active_referral_of(
    db: AsyncDatabase, case: str, email_keys: list[str], except_id: Any = None, session: Any = None
) -> str | None:
    """The referral under which one of these parents has an active cycle for this case, if any.
    One lookup by equality per parent (two at most): the unique index answers each at once, where
    an `$in` over the keys had SecantusDB read every participant, at each intake."""
    for key in email_keys:
        query = {"case_number": case, "email_key": key, "active": True}
        found = await db[PARTICIPANTS].find_one(query, {"referral_id": 1}, session=session)
        if found and found["_id"] != except_id:  # at most one: the index is unique
            return found["referral_id"]
    return None


# ---- reads for the routes ------------------------------------------------------------------------


async def parents_of(db: AsyncDatabase, referral_ids: list[str]) -> list[dict[str, Any]]:
    return await db[PARTICIPANTS].find({"referral_id": {"$in": referral_ids}}).sort("_id", 1).to_list()


async def referrals_page(
    db: AsyncDatabase, scope: dict[str, Any], asked: dict[str, Any], paging: PageParams
) -> list[dict[str, Any]]:
    """One page of the referrals in `scope` (what the caller may see) matching the non-empty `asked`
    fields. Read from the scope's (field, _id) index, or for a case number from its index (a case has
    a few referrals); both filters are checked here (one `$and` of the two was planned as a scan of
    every referral, at each page of every professional's list)."""
    wanted = {k: v for k, v in asked.items() if v}

    def keep(doc: dict[str, Any]) -> bool:
        return holds(doc, wanted) and holds(doc, scope)

    if "case_number" in wanted:
        rows = await db[REFERRALS].find({"case_number": wanted["case_number"]}).sort("_id", 1).to_list(None)
        return [r for r in rows if (not paging.after or r["_id"] > paging.after) and keep(r)][: paging.limit]
    return await page_reading_on(db[REFERRALS], scope, keep, paging)


async def contacts_due(db: AsyncDatabase, provider: str, now: datetime, paging: PageParams) -> list[dict[str, Any]]:
    """A provider's parents due a call, a page in `_id` order. The due ones are few, so the page is
    cut here: `_id` in the query would let the store read by it (every parent after the cursor)."""
    due = await db[PARTICIPANTS].find({"provider": provider, "contact_due_at": due_by(now)}).to_list(None)
    after = [p for p in due if not paging.after or p["_id"] > paging.after]
    return sorted(after, key=lambda p: p["_id"])[: paging.limit]


# What a report reads of a parent: counts are made of these, and nothing naming a person.
REPORT_FIELDS = {"provider": 1, "referral_id": 1, "cycle": 1, "cycle_started_at": 1, "outcome.result": 1, "progress": 1}


async def report_parents(db: AsyncDatabase, provider: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """A provider's parents whose current cycle started in [start, end): equality on the provider
    and a range on the start, which the `reports` index serves."""
    query = {"provider": provider, "cycle_started_at": {"$gte": start, "$lt": end}}
    return await db[PARTICIPANTS].find(query, REPORT_FIELDS).to_list(None)


async def regions_of(db: AsyncDatabase, referral_ids: set[str]) -> dict[str, str]:
    ids = [i for i in (object_id(r) for r in referral_ids) if i is not None]
    rows = await db[REFERRALS].find({"_id": {"$in": ids}}, {"region": 1}).to_list(None)
    return {str(r["_id"]): r.get("region", "unknown") for r in rows}


async def chasers_due(db: AsyncDatabase, now: datetime, limit: int) -> list[str]:
    rows = await db[PARTICIPANTS].find({"chaser_due_at": due_by(now)}, {"_id": 1}).sort("_id", 1).to_list(limit)
    return [str(row["_id"]) for row in rows]


async def participant(db: AsyncDatabase, participant_id: str) -> dict[str, Any] | None:
    oid = object_id(participant_id)
    return oid and await db[PARTICIPANTS].find_one({"_id": oid})
