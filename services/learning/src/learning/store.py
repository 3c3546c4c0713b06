"""Collections and indexes the learning service owns.

- `accounts`: one Parent Hub account per participant (`_id` = participant_id).
- `enrolments`: one per participant per referral cycle; progress and the 10-day clock.
  Sweeps find due work by the indexed `(status, deadline)` and `(status, reminder_due)`.
- `activations`: single-use links, `_id` = SHA-256 of the token; swept by `(state, expires_at)`.
- `sign_ins`: single-use links an activated parent asks for to come back; deleted a day after expiry.
- `sign_in_requests`: "email me a link" requests, one pending per email hash (`_id`), for the sign-in sweep.
- `withdrawals`: when each referral (`<referral_id>:*`) or parent (`<referral_id>:<participant_id>`)
  was withdrawn, so a referral event the withdrawal overtook opens nothing when it arrives.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, IndexModel

from learning import domain
from learning.config import Settings
from ptfc.events import ActivationIssued, SignInLinkIssued
from ptfc.problems import Problem
from ptfc.sealing import seal
from ptfc.store import DAY, Tx

ACCOUNTS, ENROLMENTS, ACTIVATIONS, SIGN_INS = "accounts", "enrolments", "activations", "sign_ins"
WITHDRAWALS, SIGN_IN_REQUESTS = "withdrawals", "sign_in_requests"

INDEXES: dict[str, list[IndexModel]] = {
    ACCOUNTS: [IndexModel([("email_key", ASCENDING)])],
    ENROLMENTS: [
        IndexModel([("participant_id", ASCENDING), ("cycle", ASCENDING)], unique=True),
        IndexModel([("referral_id", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("status", ASCENDING), ("deadline", ASCENDING)]),
        IndexModel([("status", ASCENDING), ("reminder_due", ASCENDING)]),
    ],
    ACTIVATIONS: [
        IndexModel([("enrolment_id", ASCENDING), ("state", ASCENDING)]),
        IndexModel([("state", ASCENDING), ("expires_at", ASCENDING)]),
    ],
    SIGN_IN_REQUESTS: [IndexModel([("requested_at", ASCENDING)])],
    SIGN_INS: [
        IndexModel([("participant_id", ASCENDING), ("state", ASCENDING)]),
        IndexModel("expires_at", expireAfterSeconds=DAY),
    ],
}


# ---- writes shared by handlers, routes and sweeps: each runs inside the caller's transaction ----

OPEN = ("active", "completed")  # states in which a parent may still sign in


def event_ids(enrolment: dict) -> dict:
    """The ids every learning event carries, so consumers can match it to their records."""
    return {
        "referral_id": enrolment["referral_id"],
        "participant_id": enrolment["participant_id"],
        "enrolment_id": str(enrolment["_id"]),
        "cycle": enrolment.get("cycle"),
    }


async def open_enrolment(
    tx: Tx,
    settings: Settings,
    *,
    referral_id: str,
    participant_id: str,
    cycle: int,
    provider: str,
    fca_id: str | None,
    language: str,
    email_key: str | None = None,
) -> bool:
    """Create the account (once per parent) and this cycle's enrolment, and send the first link.
    Returns False when the enrolment already exists (a repeated event changes nothing) or the
    referral was withdrawn (the withdrawal overtook this event)."""
    s = tx.session
    if await tx.db[ENROLMENTS].find_one({"participant_id": participant_id, "cycle": cycle}, {"_id": 1}, session=s):
        return False
    if await withdrawn(tx, referral_id, participant_id):
        return False
    now = tx.clock.now()
    latest: dict = {"language": language} | ({"email_key": email_key} if email_key else {})
    await tx.db[ACCOUNTS].update_one(
        {"_id": participant_id},
        {"$setOnInsert": {"created_at": now, "activated_at": None, "sign_in_sent_at": None}, "$set": latest},
        upsert=True,
        session=s,
    )
    # A new cycle replaces an older one still running: one clock per parent.
    await tx.db[ENROLMENTS].update_many(
        {"participant_id": participant_id, "cycle": {"$lt": cycle}, "status": "active"},
        {"$set": {"status": "superseded", "reminder_due": None}},
        session=s,
    )
    deadline = domain.first_deadline(now, settings.learning_window)
    enrolment = {
        "_id": ObjectId(),
        "referral_id": referral_id,
        "participant_id": participant_id,
        "cycle": cycle,
        "provider": provider,
        "fca_id": fca_id,
        "language": language,
        "status": "active",
        "issued_at": now,
        "deadline": deadline,
        "reminder_due": domain.next_reminder(deadline, settings.reminders, now),
        "activated_at": None,
        "link_expires_at": None,
        "modules_completed": 0,
        "completed_at": {},
        "positions": {},
        "learning_completed_at": None,
        "extensions": [],
        "created_at": now,
    }
    await tx.db[ENROLMENTS].insert_one(enrolment, session=s)
    await issue_activation(tx, settings, enrolment, reissue=False)
    return True


async def new_link(
    tx: Tx, collection: str, owner: dict, ttl: timedelta, supersede: bool = True, **extra: Any
) -> tuple[str, datetime]:
    """A fresh single-use token, stored only as its hash; unless `supersede` is off, the owner's
    older unused links stop working."""
    now = tx.clock.now()
    if supersede:
        await tx.db[collection].update_many(
            {**owner, "state": "pending"}, {"$set": {"state": "superseded", "closed_at": now}}, session=tx.session
        )
    token, expires_at = domain.new_token(), now + ttl
    link = {"_id": domain.hash_token(token), **owner, **extra, "state": "pending", "issued_at": now}
    await tx.db[collection].insert_one({**link, "expires_at": expires_at}, session=tx.session)
    return token, expires_at


async def spend_link(tx: Tx, collection: str, token: str, refused: Callable[[str | None], Problem]) -> dict:
    """The link this token opens, marked used; `refused` words the problem if it is unknown,
    used, replaced or expired. Inside the caller's transaction: a refusal later undoes the use."""
    token_hash, now = domain.hash_token(token), tx.clock.now()
    link = await tx.db[collection].find_one({"_id": token_hash}, session=tx.session)
    if link is None:
        raise refused(None)
    if link["state"] != "pending" or now >= link["expires_at"]:
        raise refused(link["state"])
    used = await tx.db[collection].update_one(
        {"_id": token_hash, "state": "pending"}, {"$set": {"state": "used", "used_at": now}}, session=tx.session
    )
    if not used.modified_count:
        raise refused("used")
    return link


async def record_withdrawal(tx: Tx, referral_id: str, participant_ids: list[str], at: datetime) -> None:
    for who in participant_ids or ["*"]:  # no ids: the whole referral
        await tx.db[WITHDRAWALS].update_one(
            {"_id": f"{referral_id}:{who}"}, {"$min": {"withdrawn_at": at}}, upsert=True, session=tx.session
        )


async def withdrawn(tx: Tx, referral_id: str, participant_id: str) -> bool:
    """Whether this parent's referral was withdrawn: then nothing of it opens, whenever its events
    arrive (referrals never re-orders a withdrawn referral; it is referred again)."""
    ids = [f"{referral_id}:*", f"{referral_id}:{participant_id}"]
    for mark in ids:
        # A write to the very documents a withdrawal writes: if the two race, their transactions
        # conflict and the retried one sees the other, instead of both committing unaware.
        await tx.db[WITHDRAWALS].update_one({"_id": mark}, {"$set": {"checked": True}}, upsert=True, session=tx.session)
    found = await tx.db[WITHDRAWALS].find_one(
        {"_id": {"$in": ids}, "withdrawn_at": {"$exists": True}}, session=tx.session
    )
    return found is not None


async def issue_activation(tx: Tx, settings: Settings, enrolment: dict, *, reissue: bool) -> datetime:
    """A new activation link for this enrolment, sent as the welcome letter (or a re-issue)."""
    token, expires_at = await new_link(
        tx,
        ACTIVATIONS,
        {"enrolment_id": str(enrolment["_id"])},
        settings.activation_ttl,
        referral_id=enrolment["referral_id"],
        participant_id=enrolment["participant_id"],
        reissue=reissue,
    )
    await tx.db[ENROLMENTS].update_one(
        {"_id": enrolment["_id"]}, {"$set": {"link_expires_at": expires_at}}, session=tx.session
    )
    await tx.emit(
        ActivationIssued(
            **event_ids(enrolment),
            sealed_activation_url=seal(settings.link_seal_key, domain.hub_link(settings.hub_url, "activate", token)),
            expires_at=expires_at,
            deadline=enrolment["deadline"],
            reissue=reissue,
        ),
        enrolment["referral_id"],
    )
    return expires_at


async def latest_enrolment(tx: Tx, participant_id: str) -> dict | None:
    latest = [("cycle", -1)]
    return await tx.db[ENROLMENTS].find_one({"participant_id": participant_id}, sort=latest, session=tx.session)


async def answer_sign_in(tx: Tx, settings: Settings, email_key: str, requested_at: datetime) -> None:
    """A sign-in link to each parent with this email whose latest course is activated and open
    (two parents may share an address), at most one per `sign_in_cooldown`, so nobody can flood
    a parent's inbox through the form."""
    accounts = await tx.db[ACCOUNTS].find({"email_key": email_key}, {"_id": 1}, session=tx.session).to_list()
    for account in accounts:
        enrolment = await latest_enrolment(tx, account["_id"])
        # The welcome letter is the way in to a course not yet activated, a re-ordered one too.
        if enrolment is None or enrolment["activated_at"] is None or enrolment["status"] not in OPEN:
            continue
        # At most `sign_in_daily_cap` links a day: whoever knows the address cannot flood it.
        today = {"participant_id": account["_id"], "issued_at": {"$gt": requested_at - timedelta(days=1)}}
        if await tx.db[SIGN_INS].count_documents(today, session=tx.session) >= settings.sign_in_daily_cap:
            continue
        recent = requested_at - settings.sign_in_cooldown
        claimed = await tx.db[ACCOUNTS].update_one(
            {"_id": account["_id"], "$or": [{"sign_in_sent_at": None}, {"sign_in_sent_at": {"$lte": recent}}]},
            {"$set": {"sign_in_sent_at": requested_at}},
            session=tx.session,
        )
        if claimed.matched_count:
            await issue_sign_in(tx, settings, enrolment)


async def issue_sign_in(tx: Tx, settings: Settings, enrolment: dict) -> None:
    """A new sign-in link for this parent, emailed to them."""
    owner = {"participant_id": enrolment["participant_id"]}
    # A new request leaves earlier links working: else anyone who knows the parent's address
    # could keep cancelling the link in their inbox and keep them out of their course.
    token, expires_at = await new_link(tx, SIGN_INS, owner, settings.sign_in_link_ttl, supersede=False)
    url = seal(settings.link_seal_key, domain.hub_link(settings.hub_url, "sign-in", token))
    issued = SignInLinkIssued(**event_ids(enrolment), sealed_sign_in_url=url, expires_at=expires_at)
    await tx.emit(issued, enrolment["referral_id"])
