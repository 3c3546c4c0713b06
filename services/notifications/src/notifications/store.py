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

Writes that belong to an event or a request take the caller's `Tx`, so they commit with its
inbox mark or idempotency record."""

import asyncio
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

from bson import Binary, ObjectId
from pymongo import ASCENDING, IndexModel, ReturnDocument, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from notifications.attachments import Attachment
from notifications.domain import Booking, Contact, Referral
from ptfc.pagination import PageParams, holds, page_reading_on
from ptfc.store import Tx

CONTACTS, REFERRALS, BOOKINGS, INVITEES, DELIVERIES = "contacts", "referrals", "bookings", "invitees", "deliveries"
CERTIFICATES = "certificates"  # a parent's latest completed course: the dates their certificate states
ENDPOINTS, PARTNER_EVENTS, WEBHOOK_DELIVERIES = "webhook_endpoints", "partner_events", "webhook_deliveries"
PARTNER_EVENTS_KEPT = timedelta(days=30)  # as long as the streams keep them: a replay reaches as far back

# The sender's lanes, each one equality-and-range query on a partial index of its own (one query
# with `$in` on the status and a sort by rank read every live delivery, and sorted them, every 200 ms):
# rows whose sender's lease ran out, then one lane per `domain.rank`. `claim_due_many` merges them.
LANES: dict[str, dict[str, Any]] = {
    "leased": {"status": "sending"},
    **{f"pending_rank_{rank}": {"status": "pending", "rank": rank} for rank in (0, 1, 2)},
}

UNTRIED_PARENT_LETTERS = {"recipient_role": "parent", "status": "pending", "attempts": 0}

# The guarded writes by `_id` (the embedded store plans an `_id` with other fields as a collection
# scan, as it plans any query no one index holds every field of): a claim's "still due" check, per
# status, and a record's "still this sender's lease", each on an index of the live rows alone.
STILL_DUE = [
    IndexModel(
        [("_id", ASCENDING), ("status", ASCENDING), ("due_at", ASCENDING)],
        name=f"still_{s}",
        partialFilterExpression={"status": s},
    )
    for s in ("pending", "sending")
]
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
        # The sender's lanes (`claim_due_many`): each holds only the live rows of its kind, by due time,
        # so a sent letter leaves them and a claim reads what is due, never the delivery log.
        *[IndexModel("due_at", name=name, partialFilterExpression=lane) for name, lane in LANES.items()],
        IndexModel([("correlation_id", ASCENDING), ("_id", ASCENDING)]),  # the delivery log
        # `withdraw_contacts` (each `referral.withdrawn`): a parent's letters not yet tried, not the log. Its
        # filter is every field of that query: the embedded store plans an index only for a query whose
        # fields the index holds all of (keys or filter), and scans the collection otherwise.
        IndexModel("participant_id", name="untried_parent_letters", partialFilterExpression=UNTRIED_PARENT_LETTERS),
        *STILL_DUE,
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
    return Contact(
        participant_id=doc["_id"],
        referral_id=doc["referral_id"],
        given_name=doc["given_name"],
        family_name=doc["family_name"],
        email=doc["email"],
        phone=doc.get("phone", ""),
        language=doc.get("language", "en"),
        interpreter=doc.get("interpreter"),
        in_person=doc.get("in_person", False),
        withdrawn=doc.get("withdrawn", False),
    )


def referral_of(doc: dict[str, Any]) -> Referral:
    return Referral(
        referral_id=doc["_id"],
        case_number=doc["case_number"],
        court=doc["court"],
        court_email=doc.get("court_email"),
        fca_id=doc["fca_id"],
        fca_name=doc["fca_name"],
        fca_email=doc["fca_email"],
        provider=doc["provider"],
    )


def booking_of(doc: dict[str, Any] | None) -> Booking | None:
    return Booking(doc["mode"], doc.get("video_link"), doc.get("venue")) if doc else None


def attachments_doc(files: list[Attachment]) -> list[dict[str, Any]]:
    return [{"filename": f.filename, "content_type": f.content_type, "data": Binary(f.data)} for f in files]


def attachments_of(doc: dict[str, Any]) -> list[Attachment]:
    return [Attachment(a["filename"], a["content_type"], bytes(a["data"])) for a in doc.get("attachments", [])]


# ---- what it takes to reach people ---------------------------------------------------------------


async def keep_referral(tx: Tx, referral_id: str, referral: dict[str, Any]) -> None:
    """The first `referral.created` of a referral sets its professionals; another one with the same id
    (a forged or replayed event, any cycle) changes nothing, so the court's and FCA's reports cannot
    be redirected. A re-order changes the provider on its own (`resume_contact`)."""
    tx.later(REFERRALS, UpdateOne({"_id": referral_id}, {"$setOnInsert": referral}, upsert=True))


async def keep_contact(tx: Tx, participant_id: str, contact: dict[str, Any]) -> Contact | None:
    """The contact as now stored (a withdrawal handled earlier is kept), or None when this parent's
    contact is already held: then nothing changes. No `referral.created` (of another referral, or of
    the same one again with a new cycle) may re-point a parent's mail: a change of address is its own
    explicit event, `referral.contact_changed` (`change_contact`), and the old address is told."""
    stored = (await tx.get(CONTACTS, [participant_id]))[participant_id]
    if stored is not None and ("email" in stored or stored.get("referral_id") not in (None, contact["referral_id"])):
        return None
    kept = {"_id": participant_id, "withdrawn": False} | (stored or {}) | contact
    tx.save(CONTACTS, kept)
    return contact_of(kept)


async def load_contacts(events: list[Any], tx: Tx) -> None:
    """The contacts (and, for a parent's progress, the referral) a batch of events is about, in
    one read each: `keep_contact` and `known` then find them in the unit of work."""
    pids = [p.participant_id for e in events for p in getattr(e, "participants", [])]
    pids += [e.participant_id for e in events if hasattr(e, "participant_id")]
    await tx.get(CONTACTS, pids)
    if referral_ids := [e.referral_id for e in events if hasattr(e, "participant_id")]:
        await tx.get(REFERRALS, referral_ids)


async def withdraw_contacts(tx: Tx, referral_id: str, participant_ids: list[str]) -> None:
    """No more letters to these parents; the ones queued and not yet tried are skipped."""
    for pid in participant_ids:
        # Upsert: a withdrawal handled before its referral.created must still hold when that arrives.
        await tx.db[CONTACTS].update_one(
            {"_id": pid},
            {"$set": {"withdrawn": True}, "$setOnInsert": {"referral_id": referral_id}},
            upsert=True,
            session=tx.session,
        )
    await tx.db[DELIVERIES].update_many(
        {"participant_id": {"$in": participant_ids}, **UNTRIED_PARENT_LETTERS},
        {"$set": {"status": "skipped", "skip_reason": "referral_withdrawn"}},
        session=tx.session,
    )


async def resume_contact(
    tx: Tx, referral_id: str, participant_id: str, language: str, provider: str
) -> tuple[Referral, Contact] | None:
    """A re-ordered course: letters go to the parent again, maybe from another provider. None
    while the referral or the parent's contact details have not arrived yet."""
    after = ReturnDocument.AFTER
    contact = await tx.db[CONTACTS].find_one_and_update(
        {"_id": participant_id},
        {"$set": {"withdrawn": False, "language": language}},
        return_document=after,
        session=tx.session,
    )
    referral = await tx.db[REFERRALS].find_one_and_update(
        {"_id": referral_id}, {"$set": {"provider": provider}}, return_document=after, session=tx.session
    )
    if contact is None or "email" not in contact or referral is None:
        return None
    return referral_of(referral), contact_of(contact)


async def known(tx: Tx, referral_id: str, participant_id: str) -> tuple[Referral, Contact] | None:
    """The referral and the parent's contact, or None while `referral.created` has not arrived."""
    contact = (await tx.get(CONTACTS, [participant_id]))[participant_id]
    referral = (await tx.get(REFERRALS, [referral_id]))[referral_id]
    if contact is None or "email" not in contact or referral is None:
        return None
    return referral_of(referral), contact_of(contact)


async def keep_booking(tx: Tx, booking_id: str, where: dict[str, Any]) -> None:
    await tx.db[BOOKINGS].update_one({"_id": booking_id}, {"$set": where}, upsert=True, session=tx.session)


async def booking(tx: Tx, booking_id: str) -> Booking | None:
    return booking_of(await tx.db[BOOKINGS].find_one({"_id": booking_id}, session=tx.session))


async def contact(tx: Tx, participant_id: str) -> Contact | None:
    """A parent's contact details, once their `referral.created` has arrived."""
    doc = await tx.db[CONTACTS].find_one({"_id": participant_id}, session=tx.session)
    return contact_of(doc) if doc and "email" in doc else None


async def change_contact(tx: Tx, participant_id: str, changes: dict[str, Any]) -> Contact:
    """A parent's new email and/or phone (`referral.contact_changed`, the only way they change)."""
    doc = await tx.db[CONTACTS].find_one_and_update(
        {"_id": participant_id}, {"$set": changes}, return_document=ReturnDocument.AFTER, session=tx.session
    )
    return contact_of(doc)


async def keep_invitee(tx: Tx, invitation_id: str, invitee: dict[str, Any]) -> None:
    await tx.db[INVITEES].update_one({"_id": invitation_id}, {"$set": invitee}, upsert=True, session=tx.session)


async def invitee(tx: Tx, invitation_id: str) -> dict[str, Any] | None:
    """Whom a plan invitation went to (kept from `plan.shared`): a programme parent's id, or an address."""
    return await tx.db[INVITEES].find_one({"_id": invitation_id}, session=tx.session)


# ---- deliveries ----------------------------------------------------------------------------------


def new_id() -> ObjectId:
    return ObjectId()


async def plan(tx: Tx, rows: list[dict[str, Any]]) -> None:
    for row in rows:
        # Upsert on the unique key: planning the same message again is a no-op, never an abort.
        tx.later(DELIVERIES, UpdateOne({"key": row["key"]}, {"$setOnInsert": row}, upsert=True))


async def add_delivery(tx: Tx, row: dict[str, Any]) -> None:
    await tx.db[DELIVERIES].insert_one(row, session=tx.session)


async def deliveries_page(db: AsyncDatabase, query: dict[str, Any], paging: PageParams) -> list[dict[str, Any]]:
    """A referral's (or plan's) letters, from the (correlation_id, _id) index; the rest of `query`
    (an FCA sees their own) is checked as read: beside the correlation id it was planned as a scan."""
    served = {"correlation_id": query["correlation_id"]}
    return await page_reading_on(db[DELIVERIES], served, lambda doc: holds(doc, query), paging)


async def claim_due(db: AsyncDatabase, now: datetime, lease: timedelta, collection: str) -> dict[str, Any] | None:
    """One due row of `webhook_deliveries` (or a collection with its `pending` and `leased` indexes),
    marked `sending` with a lease token, its `due_at` moved to the lease's end: two replicas never
    send the same row, and the row of a sender that died becomes due again. Rows whose lease ran out
    (their sender is gone) go first, then the oldest waiting one: one indexed equality-and-range
    query for each."""
    claim = {"$set": {"status": "sending", "lease": uuid4().hex, "due_at": now + lease}, "$inc": {"attempts": 1}}
    for status in ("sending", "pending"):
        if row := await db[collection].find_one_and_update(
            {"status": status, "due_at": {"$lte": now}},
            claim,
            sort=[("due_at", 1)],
            return_document=ReturnDocument.AFTER,
        ):
            return row
    return None


def fair_order(lanes: dict[str, list[dict[str, Any]]], limit: int) -> list[dict[str, Any]]:
    """Which of the lanes' due rows (each oldest first) a claim of `limit` takes: every row whose
    lease ran out and every safeguarding alert first (they are few and pressing), then a parent's
    own letters and the professionals' copies in turn, the parent's first. A backlog of one kind
    then takes at most every other place: a heads-up due behind a thousand welcome letters goes in
    the next claim, not after them (a strict order by rank starved the heads-ups of a surge)."""
    first = lanes.get("leased", []) + lanes.get("pending_rank_0", [])
    parents, professionals = lanes.get("pending_rank_1", []), lanes.get("pending_rank_2", [])
    taken = first[:limit]
    turns = [parents, professionals]
    while len(taken) < limit and any(turns):
        for lane in turns:
            if lane and len(taken) < limit:
                taken.append(lane.pop(0))
    return taken


async def claim_due_many(db: AsyncDatabase, now: datetime, lease: timedelta, limit: int) -> list[dict[str, Any]]:
    """Up to `limit` due rows claimed together, as `claim_due` claims one, under one lease token: one
    indexed read per lane (`LANES`), merged by `fair_order`, and one write for the lot (a second read
    only when another replica took some in between). The write checks each row is still due, so a
    row another replica claimed is not taken twice: per row, one update while `pending` and one while
    `sending` (a lapsed lease), each due by now; the first to match moves `due_at` past now, so the
    second cannot, and together they are the one condition `status in (pending, sending)`, each
    served by its `STILL_DUE` index (the one `$in` update was planned as a scan of every delivery)."""

    async def due(lane: dict[str, Any]) -> list[dict[str, Any]]:
        return await db[DELIVERIES].find({**lane, "due_at": {"$lte": now}}).sort("due_at", 1).to_list(limit)

    found = await asyncio.gather(*(due(lane) for lane in LANES.values()))
    rows = fair_order(dict(zip(LANES, found, strict=True)), limit)
    if not rows:
        return []
    ids, token = [row["_id"] for row in rows], uuid4().hex
    claim = {"status": "sending", "lease": token, "due_at": now + lease}
    writes = [
        UpdateOne({"_id": i, "status": status, "due_at": {"$lte": now}}, {"$set": claim, "$inc": {"attempts": 1}})
        for i in ids
        for status in ("pending", "sending")
    ]
    claimed = await db[DELIVERIES].bulk_write(writes, ordered=True)
    if claimed.modified_count == len(rows):  # all of them: as read, with the claim
        return [row | claim | {"attempts": row.get("attempts", 0) + 1} for row in rows]
    return [row for row in await db[DELIVERIES].find({"_id": {"$in": ids}}).to_list(limit) if row.get("lease") == token]


async def record_attempts(
    tx: Tx, outcomes: list[tuple[dict[str, Any], dict[str, Any]]], collection: str = DELIVERIES
) -> list[bool]:
    """The outcomes of attempts, in one write, each only while this sender still holds its lease;
    for each, whether it was recorded. `settled_by` keeps the lease that recorded it, so a lost
    lease (rare) is told apart with one read."""
    writes = [
        UpdateOne(
            {"_id": row["_id"], "status": "sending", "lease": row["lease"]},
            {"$set": {**changes, "lease": None, "settled_by": row["lease"]}},
        )
        for row, changes in outcomes
    ]
    if not writes:
        return []
    done = await tx.db[collection].bulk_write(writes, ordered=True, session=tx.session)
    if done.matched_count == len(writes):
        return [True] * len(writes)
    query = {"_id": {"$in": [row["_id"] for row, _ in outcomes]}}
    settled = {d["_id"]: d.get("settled_by") for d in await tx.db[collection].find(query, session=tx.session).to_list()}
    return [settled.get(row["_id"]) == row["lease"] for row, _ in outcomes]


# ---- webhooks ------------------------------------------------------------------------------------


async def keep_partner_event(tx: Tx, event: dict[str, Any]) -> None:
    tx.later(PARTNER_EVENTS, UpdateOne({"_id": event["_id"]}, {"$setOnInsert": event}, upsert=True))


async def endpoints_for(tx: Tx, event_type: str) -> list[dict[str, Any]]:
    """The enabled endpoints that want this type: read once per unit of work, for a whole batch."""
    if ENDPOINTS not in tx.memo:
        tx.memo[ENDPOINTS] = await tx.db[ENDPOINTS].find({"enabled": True}, session=tx.session).to_list(None)
    return [e for e in tx.memo[ENDPOINTS] if event_type in e["event_types"]]


async def plan_webhooks(tx: Tx, rows: list[dict[str, Any]]) -> None:
    for row in rows:  # upsert on the unique key, as `plan`: planning twice is a no-op
        tx.later(WEBHOOK_DELIVERIES, UpdateOne({"key": row["key"]}, {"$setOnInsert": row}, upsert=True))


async def add_endpoint(tx: Tx, endpoint: dict[str, Any]) -> None:
    await tx.db[ENDPOINTS].insert_one(endpoint, session=tx.session)


async def enabled_endpoint_at(tx: Tx, partner: str, url: str) -> dict[str, Any] | None:
    return await tx.db[ENDPOINTS].find_one({"partner": partner, "url": url, "enabled": True}, session=tx.session)


async def disable_endpoint(tx: Tx, endpoint_id: ObjectId, now: datetime) -> dict[str, Any] | None:
    return await tx.db[ENDPOINTS].find_one_and_update(
        {"_id": endpoint_id},
        {"$set": {"enabled": False, "disabled_at": now}},
        return_document=ReturnDocument.AFTER,
        session=tx.session,
    )


async def endpoint_by_id(db: AsyncDatabase, endpoint_id: str) -> dict[str, Any] | None:
    return await db[ENDPOINTS].find_one({"_id": ObjectId(endpoint_id)}) if ObjectId.is_valid(endpoint_id) else None


async def enable_endpoint(tx: Tx, endpoint_id: ObjectId) -> dict[str, Any] | None:
    return await tx.db[ENDPOINTS].find_one_and_update(
        {"_id": endpoint_id},
        {"$set": {"enabled": True}, "$unset": {"disabled_at": ""}},
        return_document=ReturnDocument.AFTER,
        session=tx.session,
    )


async def rotate_secret(
    tx: Tx, endpoint: dict[str, Any], sealed: str, now: datetime, overlap_until: datetime
) -> dict[str, Any] | None:
    """The new sealed secret in place; the one it replaces kept until `overlap_until` to sign beside it
    (a rotation within an overlap drops the oldest: two signatures at most)."""
    return await tx.db[ENDPOINTS].find_one_and_update(
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
        session=tx.session,
    )


async def endpoints_page(db: AsyncDatabase, paging: PageParams) -> list[dict[str, Any]]:
    return await db[ENDPOINTS].find(paging.filter()).sort("_id", 1).to_list(paging.limit)


async def webhook_deliveries_page(
    db: AsyncDatabase, endpoint_id: ObjectId, status: str | None, paging: PageParams
) -> list[dict[str, Any]]:
    query = {"endpoint_id": endpoint_id, **({"status": status} if status else {}), **paging.filter()}
    return await db[WEBHOOK_DELIVERIES].find(query).sort("_id", 1).to_list(paging.limit)


async def partner_events_since(tx: Tx, types: list[str], since: datetime, limit: int) -> list[dict[str, Any]]:
    """The events of these types since then, oldest first: one read per type on the (type, occurred_at)
    index, merged (one `$in` on the type beside the range was planned as a scan of every event kept)."""

    async def of(event_type: str) -> list[dict[str, Any]]:
        query = {"type": event_type, "occurred_at": {"$gte": since}}
        cursor = tx.db[PARTNER_EVENTS].find(query, {"body": 0}, session=tx.session)
        return await cursor.sort("occurred_at", 1).to_list(limit)

    found = [event for event_type in dict.fromkeys(types) for event in await of(event_type)]
    return sorted(found, key=lambda e: (e["occurred_at"], e["_id"]))[:limit]


async def endpoint_and_event(db: AsyncDatabase, row: dict[str, Any]) -> tuple[dict | None, dict | None]:
    endpoint = await db[ENDPOINTS].find_one({"_id": row["endpoint_id"]})
    return endpoint, await db[PARTNER_EVENTS].find_one({"_id": row["event_id"]})


async def keep_certificate(tx: Tx, participant_id: str, facts: dict[str, Any]) -> None:
    """The dates of a parent's completed course (`course.completed`); a later cycle's replaces it."""
    known = await tx.db[CERTIFICATES].find_one({"_id": participant_id}, session=tx.session)
    if known is None or known["cycle"] <= facts["cycle"]:
        await tx.db[CERTIFICATES].replace_one({"_id": participant_id}, facts, upsert=True, session=tx.session)


async def certificate_of(db: AsyncDatabase, participant_id: str) -> tuple[dict[str, Any], Contact] | None:
    """What a parent's certificate states, with their contact (name, language); None before completion."""
    facts = await db[CERTIFICATES].find_one({"_id": participant_id})
    doc = await db[CONTACTS].find_one({"_id": participant_id})
    if facts is None or doc is None or "email" not in doc:
        return None
    return facts, contact_of(doc)
