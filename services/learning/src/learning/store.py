"""Collections and indexes the learning service owns.

- `accounts`: one Parent Hub account per participant (`_id` = participant_id).
- `enrolments`: one per participant per referral cycle; progress and the 10-day clock.
  Sweeps find due work by the indexed `(status, deadline)` and `(status, reminder_due)`.
- `activations`: single-use links, `_id` = SHA-256 of the token; swept by `(state, expires_at)`.
- `sign_ins`: single-use links an activated parent asks for to come back; deleted a day after expiry.
"""

from datetime import datetime

from bson import ObjectId
from pymongo import ASCENDING, IndexModel

from learning import domain
from learning.config import Settings
from ptfc.events import ActivationIssued, SignInLinkIssued
from ptfc.store import DAY, Tx

ACCOUNTS, ENROLMENTS, ACTIVATIONS, SIGN_INS = "accounts", "enrolments", "activations", "sign_ins"

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
    Returns False when the enrolment already exists: a repeated event changes nothing."""
    s = tx.session
    if await tx.db[ENROLMENTS].find_one({"participant_id": participant_id, "cycle": cycle}, {"_id": 1}, session=s):
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


async def issue_activation(tx: Tx, settings: Settings, enrolment: dict, *, reissue: bool) -> datetime:
    """A new single-use link; any older unused link of this enrolment stops working."""
    now = tx.clock.now()
    enrolment_id = str(enrolment["_id"])
    await tx.db[ACTIVATIONS].update_many(
        {"enrolment_id": enrolment_id, "state": "pending"},
        {"$set": {"state": "superseded", "closed_at": now}},
        session=tx.session,
    )
    token = domain.new_token()
    expires_at = now + settings.activation_ttl
    await tx.db[ACTIVATIONS].insert_one(
        {
            "_id": domain.hash_token(token),
            "enrolment_id": enrolment_id,
            "referral_id": enrolment["referral_id"],
            "participant_id": enrolment["participant_id"],
            "state": "pending",
            "issued_at": now,
            "expires_at": expires_at,
            "reissue": reissue,
        },
        session=tx.session,
    )
    await tx.db[ENROLMENTS].update_one(
        {"_id": enrolment["_id"]}, {"$set": {"link_expires_at": expires_at}}, session=tx.session
    )
    await tx.emit(
        ActivationIssued(
            **event_ids(enrolment),
            activation_url=domain.hub_link(settings.hub_url, "activate", token),
            expires_at=expires_at,
            deadline=enrolment["deadline"],
            reissue=reissue,
        ),
        enrolment["referral_id"],
    )
    return expires_at


async def issue_sign_in(tx: Tx, settings: Settings, enrolment: dict) -> None:
    """A new single-use sign-in link for this parent; their older unused ones stop working."""
    now = tx.clock.now()
    participant_id = enrolment["participant_id"]
    await tx.db[SIGN_INS].update_many(
        {"participant_id": participant_id, "state": "pending"},
        {"$set": {"state": "superseded", "closed_at": now}},
        session=tx.session,
    )
    token = domain.new_token()
    expires_at = now + settings.sign_in_link_ttl
    await tx.db[SIGN_INS].insert_one(
        {
            "_id": domain.hash_token(token),
            "participant_id": participant_id,
            "state": "pending",
            "issued_at": now,
            "expires_at": expires_at,
        },
        session=tx.session,
    )
    url = domain.hub_link(settings.hub_url, "sign-in", token)
    issued = SignInLinkIssued(**event_ids(enrolment), sign_in_url=url, expires_at=expires_at)
    await tx.emit(issued, enrolment["referral_id"])
