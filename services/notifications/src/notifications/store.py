"""Collections and indexes the notifications service owns, and the records in them.

- `contacts`: one per parent, only what it takes to reach them (from `referral.created`).
- `referrals`: the professional side of each referral: court, FCA, provider.
- `bookings`: where a parent's workshop is, for its reminder.
- `invitees`: whom a plan was shared with (from `plan.shared`).
- `deliveries`: one row per message, unique per (source event, template, recipient); the
  sender sweep claims due rows with a lease and records the outcome.
- `webhook_endpoints`: partners' HTTPS endpoints, the event types each wants and its signing secret.
- `partner_events`: every event partners may receive, as they receive it, for replays (expires).
- `webhook_deliveries`: one row per POST of an event to an endpoint, claimed and retried as
  `deliveries` are.

Writes that belong to an event or a request are `UnitOfWork`'s, in the caller's transaction, so they
commit with its inbox mark or idempotency record; the sweeps' claims and records are claims.py."""

from datetime import datetime, timedelta
from typing import Any

from bson import Binary, ObjectId
from pymongo import ASCENDING, IndexModel, ReturnDocument, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from notifications.attachments import Attachment
from notifications.domain import Booking, Contact, Referral
from ptfc.pagination import PageParams, holds, page_reading_on
from ptfc.store import Tx
from ptfc.store import UnitOfWork as BaseUnitOfWork

CONTACTS, REFERRALS, BOOKINGS, INVITEES, DELIVERIES = "contacts", "referrals", "bookings", "invitees", "deliveries"
CERTIFICATES = "certificates"  # a parent's latest completed course: the dates their certificate states
ENDPOINTS, PARTNER_EVENTS, WEBHOOK_DELIVERIES = "webhook_endpoints", "partner_events", "webhook_deliveries"
PARTNER_EVENTS_KEPT = timedelta(days=30)  # as long as the streams keep them: a replay reaches as far back

# The sender's lanes, each one equality-and-range query on a partial index of live rows (one query
# with `$in` on the status and a sort by rank read every live delivery, and sorted them, every 200 ms):
# rows whose sender's lease ran out, then one lane per `domain.rank`. `claim_due_many` merges them.
#
# The lanes' indexes, by name, and the rows each holds: the waiting rows' lanes share one, by rank
# then due time. Each index costs every one of a letter's three writes (the embedded store reads its
# catalogue and filter on each write, the row in the index or not): a rank lane on an index of its
# own, and a guard of its own for a lapsed claim, cost the store 0.9 ms of a letter's 5.6.
LIVE: dict[str, dict[str, Any]] = {"leased": {"status": "sending"}, "pending": {"status": "pending"}}
LANES: dict[str, dict[str, Any]] = {
    "leased": LIVE["leased"],
    **{f"pending_rank_{rank}": {**LIVE["pending"], "rank": rank} for rank in (0, 1, 2)},
}

UNTRIED_PARENT_LETTERS = {"recipient_role": "parent", "status": "pending", "attempts": 0}

# The guarded writes by `_id` (the embedded store plans an `_id` with other fields as a collection
# scan, as it plans any query no one index holds every field of), each on an index of live rows alone:
# a claim's "still due" for a waiting row, and "still this lease" for a row in a sender's hands (the
# record of its outcome, and a claim of it once its lease ran out: a row taken since has a new lease).
STILL_PENDING = IndexModel(
    [("_id", ASCENDING), ("status", ASCENDING), ("due_at", ASCENDING)],
    name="still_pending",
    partialFilterExpression={"status": "pending"},
)
LEASES = IndexModel(
    [("_id", ASCENDING), ("lease", ASCENDING)], name="leases", partialFilterExpression={"status": "sending"}
)

INDEXES: dict[str, list[IndexModel]] = {
    CONTACTS: [IndexModel("referral_id")],
    REFERRALS: [],
    BOOKINGS: [],
    INVITEES: [],
    CERTIFICATES: [],
    DELIVERIES: [
        IndexModel("key", unique=True),  # one message per source event, template and recipient
        # The sender's lanes (`claim_due_many`): each holds only live rows, by due time, so a sent letter
        # leaves them and a claim reads what is due, never the delivery log.
        IndexModel("due_at", name="leased", partialFilterExpression=LIVE["leased"]),
        IndexModel(
            [("status", ASCENDING), ("rank", ASCENDING), ("due_at", ASCENDING)],
            name="pending",
            partialFilterExpression=LIVE["pending"],
        ),
        IndexModel([("correlation_id", ASCENDING), ("_id", ASCENDING)]),  # the delivery log
        # `withdraw_contacts` (each `referral.withdrawn`): a parent's letters not yet tried, not the log. Its
        # filter is every field of that query: the embedded store plans an index only for a query whose
        # fields the index holds all of (keys or filter), and scans the collection otherwise.
        IndexModel("participant_id", name="untried_parent_letters", partialFilterExpression=UNTRIED_PARENT_LETTERS),
        STILL_PENDING,
        LEASES,
    ],
    ENDPOINTS: [IndexModel([("event_types", ASCENDING), ("enabled", ASCENDING)])],
    PARTNER_EVENTS: [
        IndexModel([("type", ASCENDING), ("occurred_at", ASCENDING)]),
        IndexModel("received_at", expireAfterSeconds=int(PARTNER_EVENTS_KEPT.total_seconds())),
    ],
    WEBHOOK_DELIVERIES: [
        IndexModel("key", unique=True),  # one POST per endpoint, event and replay
        # The webhook sweep's two lanes, as the sender's: waiting POSTs, and those whose sender's lease ran out.
        IndexModel("due_at", name="pending", partialFilterExpression={"status": "pending"}),
        IndexModel("due_at", name="leased", partialFilterExpression={"status": "sending"}),
        IndexModel([("endpoint_id", ASCENDING), ("status", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("endpoint_id", ASCENDING), ("_id", ASCENDING)]),  # an endpoint's POSTs of every status, by page
        LEASES,
    ],
}


def contact_of(doc: dict[str, Any]) -> Contact:
    kept = {k: doc[k] for k in ("referral_id", "given_name", "family_name", "email")}
    kept |= {k: doc[k] for k in ("phone", "language", "interpreter", "in_person", "withdrawn") if k in doc}
    return Contact(participant_id=doc["_id"], **kept)  # what is not kept takes Contact's defaults


def referral_of(doc: dict[str, Any]) -> Referral:
    kept = {k: doc[k] for k in ("case_number", "court", "fca_id", "fca_name", "fca_email", "provider")}
    return Referral(referral_id=doc["_id"], court_email=doc.get("court_email"), **kept)


def booking_of(doc: dict[str, Any] | None) -> Booking | None:
    return Booking(doc["mode"], doc.get("video_link"), doc.get("venue")) if doc else None


def attachments_doc(files: list[Attachment]) -> list[dict[str, Any]]:
    return [{"filename": f.filename, "content_type": f.content_type, "data": Binary(f.data)} for f in files]


def attachments_of(doc: dict[str, Any]) -> list[Attachment]:
    return [Attachment(a["filename"], a["content_type"], bytes(a["data"])) for a in doc.get("attachments", [])]


async def load_contacts(events: list[Any], tx: Tx) -> None:
    """The contacts (and, for a parent's progress, the referral) a batch of events is about, in
    one read each: `keep_contact` and `known` then find them in the unit of work."""
    pids = [p.participant_id for e in events for p in getattr(e, "participants", [])]
    pids += [e.participant_id for e in events if hasattr(e, "participant_id")]
    await tx.get(CONTACTS, pids)
    if referral_ids := [e.referral_id for e in events if hasattr(e, "participant_id")]:
        await tx.get(REFERRALS, referral_ids)


async def deliveries_page(db: AsyncDatabase, query: dict[str, Any], paging: PageParams) -> list[dict[str, Any]]:
    """A referral's (or plan's) letters, from the (correlation_id, _id) index; the rest of `query`
    (an FCA sees their own) is checked as read: beside the correlation id it was planned as a scan."""
    served = {"correlation_id": query["correlation_id"]}
    return await page_reading_on(db[DELIVERIES], served, lambda doc: holds(doc, query), paging)


async def endpoint_by_id(db: AsyncDatabase, endpoint_id: str) -> dict[str, Any] | None:
    return await db[ENDPOINTS].find_one({"_id": ObjectId(endpoint_id)}) if ObjectId.is_valid(endpoint_id) else None


async def endpoints_page(db: AsyncDatabase, paging: PageParams) -> list[dict[str, Any]]:
    return await db[ENDPOINTS].find(paging.filter()).sort("_id", 1).to_list(paging.limit)


async def webhook_deliveries_page(
    db: AsyncDatabase, endpoint_id: ObjectId, status: str | None, paging: PageParams
) -> list[dict[str, Any]]:
    query = {"endpoint_id": endpoint_id, **({"status": status} if status else {}), **paging.filter()}
    return await db[WEBHOOK_DELIVERIES].find(query).sort("_id", 1).to_list(paging.limit)


async def endpoint_and_event(db: AsyncDatabase, row: dict[str, Any]) -> tuple[dict | None, dict | None]:
    endpoint = await db[ENDPOINTS].find_one({"_id": row["endpoint_id"]})
    return endpoint, await db[PARTNER_EVENTS].find_one({"_id": row["event_id"]})


async def certificate_of(db: AsyncDatabase, participant_id: str) -> tuple[dict[str, Any], Contact] | None:
    """What a parent's certificate states, with their contact (name, language); None before completion."""
    facts = await db[CERTIFICATES].find_one({"_id": participant_id})
    doc = await db[CONTACTS].find_one({"_id": participant_id})
    if facts is None or doc is None or "email" not in doc:
        return None
    return facts, contact_of(doc)


class UnitOfWork(BaseUnitOfWork):
    """`domain.UnitOfWork` on MongoDB: the shared opening (ptfc.store.UnitOfWork: one transaction,
    `now`, `new_id`, `emit`) and the reads and writes of notifications' events and routes."""

    # ---- what it takes to reach people -----------------------------------------------------------

    async def keep_referral(self, referral_id: str, referral: dict[str, Any]) -> None:
        """The first `referral.created` of a referral sets its professionals; another one with the same id
        (a forged or replayed event, any cycle) changes nothing, so the court's and FCA's reports cannot
        be redirected. A re-order changes the provider on its own (`resume_contact`)."""
        self.tx.later(REFERRALS, UpdateOne({"_id": referral_id}, {"$setOnInsert": referral}, upsert=True))

    async def keep_contact(self, participant_id: str, contact: dict[str, Any]) -> Contact | None:
        """The contact as now stored (a withdrawal handled earlier is kept), or None when this parent's
        contact is already held: then nothing changes. No `referral.created` (of another referral, or of
        the same one again with a new cycle) may re-point a parent's mail: a change of address is its own
        explicit event, `referral.contact_changed` (`change_contact`), and the old address is told."""
        stored = (await self.tx.get(CONTACTS, [participant_id]))[participant_id]
        if stored is not None and (
            "email" in stored or stored.get("referral_id") not in (None, contact["referral_id"])
        ):
            return None
        kept = {"_id": participant_id, "withdrawn": False} | (stored or {}) | contact
        self.tx.save(CONTACTS, kept)
        return contact_of(kept)

    async def withdraw_contacts(self, referral_id: str, participant_ids: list[str]) -> None:
        """No more letters to these parents; the ones queued and not yet tried are skipped."""
        for pid in participant_ids:
            # Upsert: a withdrawal handled before its referral.created must still hold when that arrives.
            await self.db[CONTACTS].update_one(
                {"_id": pid},
                {"$set": {"withdrawn": True}, "$setOnInsert": {"referral_id": referral_id}},
                upsert=True,
                session=self.tx.session,
            )
        await self.db[DELIVERIES].update_many(
            {"participant_id": {"$in": participant_ids}, **UNTRIED_PARENT_LETTERS},
            {"$set": {"status": "skipped", "skip_reason": "referral_withdrawn"}},
            session=self.tx.session,
        )

    async def resume_contact(
        self, referral_id: str, participant_id: str, language: str, provider: str
    ) -> tuple[Referral, Contact] | None:
        """A re-ordered course: letters go to the parent again, maybe from another provider. None
        while the referral or the parent's contact details have not arrived yet."""
        after = ReturnDocument.AFTER
        contact = await self.db[CONTACTS].find_one_and_update(
            {"_id": participant_id},
            {"$set": {"withdrawn": False, "language": language}},
            return_document=after,
            session=self.tx.session,
        )
        referral = await self.db[REFERRALS].find_one_and_update(
            {"_id": referral_id}, {"$set": {"provider": provider}}, return_document=after, session=self.tx.session
        )
        if contact is None or "email" not in contact or referral is None:
            return None
        return referral_of(referral), contact_of(contact)

    async def known(self, referral_id: str, participant_id: str) -> tuple[Referral, Contact] | None:
        """The referral and the parent's contact, or None while `referral.created` has not arrived."""
        contact = (await self.tx.get(CONTACTS, [participant_id]))[participant_id]
        referral = (await self.tx.get(REFERRALS, [referral_id]))[referral_id]
        if contact is None or "email" not in contact or referral is None:
            return None
        return referral_of(referral), contact_of(contact)

    async def contact(self, participant_id: str) -> Contact | None:
        """A parent's contact details, once their `referral.created` has arrived."""
        doc = await self.db[CONTACTS].find_one({"_id": participant_id}, session=self.tx.session)
        return contact_of(doc) if doc and "email" in doc else None

    async def change_contact(self, participant_id: str, changes: dict[str, Any]) -> Contact:
        """A parent's new email and/or phone (`referral.contact_changed`, the only way they change)."""
        doc = await self.db[CONTACTS].find_one_and_update(
            {"_id": participant_id}, {"$set": changes}, return_document=ReturnDocument.AFTER, session=self.tx.session
        )
        return contact_of(doc)

    async def keep_booking(self, booking_id: str, where: dict[str, Any]) -> None:
        await self.db[BOOKINGS].update_one({"_id": booking_id}, {"$set": where}, upsert=True, session=self.tx.session)

    async def booking(self, booking_id: str) -> Booking | None:
        return booking_of(await self.db[BOOKINGS].find_one({"_id": booking_id}, session=self.tx.session))

    async def keep_invitee(self, invitation_id: str, invitee: dict[str, Any]) -> None:
        await self.db[INVITEES].update_one(
            {"_id": invitation_id}, {"$set": invitee}, upsert=True, session=self.tx.session
        )

    async def invitee(self, invitation_id: str) -> dict[str, Any] | None:
        """Whom a plan invitation went to (kept from `plan.shared`): a programme parent's id, or an address."""
        return await self.db[INVITEES].find_one({"_id": invitation_id}, session=self.tx.session)

    async def keep_certificate(self, participant_id: str, facts: dict[str, Any]) -> None:
        """The dates of a parent's completed course (`course.completed`); a later cycle's replaces it."""
        known = await self.db[CERTIFICATES].find_one({"_id": participant_id}, session=self.tx.session)
        if known is None or known["cycle"] <= facts["cycle"]:
            await self.db[CERTIFICATES].replace_one(
                {"_id": participant_id}, facts, upsert=True, session=self.tx.session
            )

    # ---- deliveries ------------------------------------------------------------------------------

    async def plan_deliveries(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            # Upsert on the unique key: planning the same message again is a no-op, never an abort.
            self.tx.later(DELIVERIES, UpdateOne({"key": row["key"]}, {"$setOnInsert": row}, upsert=True))

    async def add_delivery(self, row: dict[str, Any]) -> None:
        await self.db[DELIVERIES].insert_one(row, session=self.tx.session)

    # ---- webhooks --------------------------------------------------------------------------------

    async def keep_partner_event(self, event: dict[str, Any]) -> None:
        self.tx.later(PARTNER_EVENTS, UpdateOne({"_id": event["_id"]}, {"$setOnInsert": event}, upsert=True))

    async def endpoints_for(self, event_type: str) -> list[dict[str, Any]]:
        """The enabled endpoints that want this type: read once per unit of work, for a whole batch."""
        if ENDPOINTS not in self.tx.memo:
            self.tx.memo[ENDPOINTS] = (
                await self.db[ENDPOINTS].find({"enabled": True}, session=self.tx.session).to_list(None)
            )
        return [e for e in self.tx.memo[ENDPOINTS] if event_type in e["event_types"]]

    async def plan_webhooks(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:  # upsert on the unique key, as `plan`: planning twice is a no-op
            self.tx.later(WEBHOOK_DELIVERIES, UpdateOne({"key": row["key"]}, {"$setOnInsert": row}, upsert=True))

    async def add_endpoint(self, endpoint: dict[str, Any]) -> None:
        await self.db[ENDPOINTS].insert_one(endpoint, session=self.tx.session)

    async def enabled_endpoint_at(self, partner: str, url: str) -> dict[str, Any] | None:
        return await self.db[ENDPOINTS].find_one(
            {"partner": partner, "url": url, "enabled": True}, session=self.tx.session
        )

    async def disable_endpoint(self, endpoint_id: ObjectId, now: datetime) -> dict[str, Any] | None:
        return await self.db[ENDPOINTS].find_one_and_update(
            {"_id": endpoint_id},
            {"$set": {"enabled": False, "disabled_at": now}},
            return_document=ReturnDocument.AFTER,
            session=self.tx.session,
        )

    async def enable_endpoint(self, endpoint_id: ObjectId) -> dict[str, Any] | None:
        return await self.db[ENDPOINTS].find_one_and_update(
            {"_id": endpoint_id},
            {"$set": {"enabled": True}, "$unset": {"disabled_at": ""}},
            return_document=ReturnDocument.AFTER,
            session=self.tx.session,
        )

    async def rotate_secret(
        self, endpoint: dict[str, Any], sealed: str, now: datetime, overlap_until: datetime
    ) -> dict[str, Any] | None:
        """The new sealed secret in place; the one it replaces kept until `overlap_until` to sign beside it
        (a rotation within an overlap drops the oldest: two signatures at most)."""
        return await self.db[ENDPOINTS].find_one_and_update(
            {"_id": endpoint["_id"], "sealed_secret": endpoint["sealed_secret"]},  # two rotations at once: one wins
            {
                "$set": {
                    "sealed_secret": sealed,
                    "secret_created_at": now,
                    "previous_sealed_secret": endpoint["sealed_secret"],
                    "previous_secret_until": overlap_until,
                }
            },
            return_document=ReturnDocument.AFTER,
            session=self.tx.session,
        )

    async def partner_events_since(self, types: list[str], since: datetime, limit: int) -> list[dict[str, Any]]:
        """The events of these types since then, oldest first: one read per type on the (type, occurred_at)
        index, merged (one `$in` on the type beside the range was planned as a scan of every event kept)."""

        async def of(event_type: str) -> list[dict[str, Any]]:
            query = {"type": event_type, "occurred_at": {"$gte": since}}
            cursor = self.db[PARTNER_EVENTS].find(query, {"body": 0}, session=self.tx.session)
            return await cursor.sort("occurred_at", 1).to_list(limit)

        found = [event for event_type in dict.fromkeys(types) for event in await of(event_type)]
        return sorted(found, key=lambda e: (e["occurred_at"], e["_id"]))[:limit]
