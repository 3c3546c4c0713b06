"""The follow-up outcome measure per provider, region and month (the month the call was made), for
providers and Cafcass (issue 28), as referrals reports the course's counts: pure aggregation of the
calls workshops holds, no I/O; no name, id or date of a person leaves here, only counts.

Each reached parent's answers (`domain.MEASURE`, 0 never to 4 very often) make their score, the mean
of the items: how often their child sees or hears conflict between the parents, lower is better.
Small cells are suppressed as in referrals' reports: a count from 1 to `min_cell - 1` is None
("fewer than 5"), and a rate or mean only from counts that are all publishable, so no parent's
answers can be worked back from what is shown."""

from collections import defaultdict
from datetime import UTC, datetime
from statistics import mean

from pydantic import BaseModel

from workshops.domain import MEASURE


class OutcomeRow(BaseModel):
    provider: str
    region: str
    month: str  # YYYY-MM, when the call was made
    calls_made: int | None
    reached: int | None
    reach_rate: float | None  # reached / calls made
    answered: int | None  # reached parents who answered every item
    mean_score: float | None  # 0 (never) to 4 (very often), lower is better


class OutcomeReport(BaseModel):
    min_cell: int
    rows: list[OutcomeRow]


def _shown(value: int, min_cell: int) -> int | None:
    return None if 0 < value < min_cell else value


def score(answers: dict) -> float | None:
    """One parent's score: the mean of the measure's items, if every one was answered."""
    values = [answers.get(item) for item in MEASURE]
    return mean(values) if all(isinstance(v, int) for v in values) else None  # type: ignore[arg-type]


def row(provider: str, region: str, month: str, calls: list[dict], min_cell: int) -> OutcomeRow:
    made = len(calls)
    reached = sum(1 for c in calls if c.get("reached"))
    scores = [s for c in calls if c.get("reached") and (s := score(c.get("answers") or {})) is not None]
    rate_ok = made >= min_cell and not 0 < reached < min_cell and not 0 < made - reached < min_cell
    return OutcomeRow(
        provider=provider,
        region=region,
        month=month,
        calls_made=_shown(made, min_cell),
        reached=_shown(reached, min_cell),
        reach_rate=round(reached / made, 3) if rate_ok else None,
        answered=_shown(len(scores), min_cell),
        mean_score=round(mean(scores), 2) if len(scores) >= min_cell else None,
    )


def report(calls: list[dict], min_cell: int) -> OutcomeReport:
    """`calls`: completed follow-up calls (provider, region, completed_at, reached, answers)."""
    groups: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
    for c in calls:
        made: datetime = c["completed_at"]
        groups[(c["provider"], c.get("region") or "unknown", made.strftime("%Y-%m"))].append(c)
    return OutcomeReport(min_cell=min_cell, rows=[row(*key, group, min_cell) for key, group in sorted(groups.items())])


def month_start(month: str, after: bool = False) -> datetime:
    """The first instant of a YYYY-MM month (UTC), or of the month after it (as referrals' reports)."""
    year, number = (int(x) for x in month.split("-"))
    if after:
        year, number = (year + 1, 1) if number == 12 else (year, number + 1)
    return datetime(year, number, 1, tzinfo=UTC)
