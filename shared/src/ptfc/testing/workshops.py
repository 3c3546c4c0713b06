"""Workshop sessions as a provider's staff create them, for the tests that cross services."""

from datetime import UTC, datetime, timedelta
from typing import Any


def online_session(start: datetime, link: str, facilitator: str = "fac-ann") -> dict[str, Any]:
    """A daytime online session from `start`: two parts of 75 minutes with a 15-minute break."""
    half, gap = timedelta(minutes=75), timedelta(minutes=15)
    parts = [(start, start + half), (start + half + gap, start + 2 * half + gap)]
    return {
        "format": "online",
        "video_link": link,
        "pattern": "daytime",
        "parts": [{"starts_at": s.isoformat(), "ends_at": e.isoformat()} for s, e in parts],
        "facilitators": [facilitator],
    }


def weekday_session(days: int, link: str) -> dict[str, Any]:
    """An online session at 10:00 on the first weekday `days` or more ahead, for six, in English."""
    start = (datetime.now(UTC) + timedelta(days=days)).replace(hour=10, minute=0, second=0, microsecond=0)
    while start.weekday() >= 5:
        start += timedelta(days=1)
    return online_session(start, link) | {"capacity": 6, "language": "en", "interpreters": []}
