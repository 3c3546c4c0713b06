"""Workshop sessions as a provider's staff create them, for the tests that cross services."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from ptfc.settings import DEV_CO_PARENT_SPLIT_KEY


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


async def one_each(
    client: Any, url: str, headers: dict[str, str], pair: list[str], make: Callable[[str], dict[str, Any]]
) -> dict[str, str]:
    """A session in each co-parent's half (workshops gives each parent of a pair half of the
    sessions: `workshops.domain.eligible`, with the development split key): `make(pid)` is the
    body for `pid`'s; one that falls in the other half is cancelled and made again."""
    from workshops.domain import eligible  # the service's own rule (tests only)

    found: dict[str, str] = {}
    while missing := [p for p in pair if p not in found]:
        created = await client.post(f"{url}/sessions", json=make(missing[0]), headers=headers)
        assert created.status_code == 201, created.text
        sid = created.json()["id"]
        if eligible(sid, missing[0], set(pair) - {missing[0]}, DEV_CO_PARENT_SPLIT_KEY):
            found[missing[0]] = sid
        else:
            assert (await client.post(f"{url}/sessions/{sid}/cancel", headers=headers)).status_code == 200
    return found
