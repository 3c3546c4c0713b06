"""Collections and indexes the plans service owns."""

from pymongo import IndexModel

INDEXES: dict[str, list[IndexModel]] = {}
