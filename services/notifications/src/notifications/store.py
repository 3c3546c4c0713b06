"""Collections and indexes the notifications service owns."""

from pymongo import IndexModel

INDEXES: dict[str, list[IndexModel]] = {}
