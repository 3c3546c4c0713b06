"""Time comes from an injectable clock, so rules are testable and durations shrinkable."""

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that only moves when told to: for unit tests of deadline rules."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta


class MovingClock:
    """Real time plus an offset a test moves forward ("three days later"), for several services
    running at once; rounded to the millisecond, as MongoDB keeps it."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        now = datetime.now(UTC) + self.offset
        return now.replace(microsecond=now.microsecond // 1000 * 1000)

    def advance(self, delta: timedelta) -> None:
        self.offset += delta


def utc(value: datetime) -> datetime:
    """MongoDB hands back naive datetimes; everything here is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)
