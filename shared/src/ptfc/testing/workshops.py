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
    body for `pid`'s."""
    return {pid: await session_for(client, url, headers, pid, pair, make) for pid in pair}


async def session_for(
    client: Any, url: str, headers: dict[str, str], pid: str, pair: list[str], make: Callable[[str], dict[str, Any]]
) -> str:
    """A new session in `pid`'s half of the sessions shared with their co-parents (`pair` holds
    them all): one that falls in another's half is cancelled and made again."""
    from workshops.domain import eligible  # the service's own rule (tests only)

    while True:
        created = await client.post(f"{url}/sessions", json=make(pid), headers=headers)
        assert created.status_code == 201, created.text
        sid = created.json()["id"]
        if eligible(sid, pid, set(pair) - {pid}, DEV_CO_PARENT_SPLIT_KEY):
            return sid
        assert (await client.post(f"{url}/sessions/{sid}/cancel", headers=headers)).status_code == 200
