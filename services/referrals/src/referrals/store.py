"""Collections and indexes the referrals service owns.

`referrals` holds one case's referral; `participants` one parent each (name, language and needs,
never email or phone; the current cycle's progress and their timeline), so every due time is a
plain indexed field."""

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import ASCENDING, IndexModel

REFERRALS, PARTICIPANTS = "referrals", "participants"

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
        IndexModel(
            [("provider", ASCENDING), ("contact_due_at", ASCENDING)],
            partialFilterExpression={"contact_due_at": {"$type": "date"}},
            name="contacts_due",
        ),
        IndexModel("chaser_due_at", partialFilterExpression={"chaser_due_at": {"$type": "date"}}, name="chasers_due"),
    ],
}


def object_id(value: str) -> ObjectId | None:
    """A path id as stored; None for anything that cannot be one (answered as not found)."""
    try:
        return ObjectId(value)
    except (InvalidId, TypeError):
        return None
