"""Collections and indexes the referrals service owns."""

from pymongo import IndexModel

INDEXES: dict[str, list[IndexModel]] = {}
