"""Collections and indexes the workshops service owns."""

from pymongo import IndexModel

INDEXES: dict[str, list[IndexModel]] = {}
