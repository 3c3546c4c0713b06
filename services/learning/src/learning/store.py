"""Collections and indexes the learning service owns."""

from pymongo import IndexModel

INDEXES: dict[str, list[IndexModel]] = {}
