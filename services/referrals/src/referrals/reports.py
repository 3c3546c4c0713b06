"""Reports for providers and Cafcass: per provider, region and month (when the parent's current
cycle started), how many were referred, completed, finished the e-learning and in how many days
(median), attended or missed a workshop, and were ordered again. Pure aggregation, no I/O, over
documents referrals already holds (it owns the court-facing outcome and hears every step of a
parent's progress); no name, id or date of a person leaves here, only counts.

Small cells are suppressed: a count from 1 to `min_cell - 1` is None ("fewer than 5"), and a rate
or a median is shown only when every count it is made of is publishable, so no small number can be
worked back from what is shown."""

from collections import defaultdict
from datetime import datetime
from statistics import median
from typing import Any

from pydantic import BaseModel


class ReportRow(BaseModel):
    provider: str
    region: str
    month: str  # YYYY-MM
    referred: int | None
    completed: int | None
    incomplete: int | None
    completion_rate: float | None  # completed / (completed + incomplete)
    elearning_finished: int | None
    median_elearning_days: float | None  # from the welcome letter to the last module
    workshop_attended: int | None
    workshop_missed: int | None  # parents who missed at least once
    reordered: int | None  # parents whose current cycle is a re-order


class Report(BaseModel):
    min_cell: int
    rows: list[ReportRow]


def _small(value: int, min_cell: int) -> bool:
    return 0 < value < min_cell


def _shown(value: int, min_cell: int) -> int | None:
    return None if _small(value, min_cell) else value


def _at(value: Any) -> datetime | None:
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    return value


def row(provider: str, region: str, month: str, parents: list[dict], min_cell: int) -> ReportRow:
    completed = sum(1 for p in parents if (p.get("outcome") or {}).get("result") == "completed")
    incomplete = sum(1 for p in parents if (p.get("outcome") or {}).get("result") == "incomplete")
    days = []
    for p in parents:
        progress = p.get("progress") or {}
        began, done = _at(progress.get("activation_issued_at")), _at(progress.get("learning_completed_at"))
        if began and done:
            days.append((done - began).total_seconds() / 86400)
    decided = completed + incomplete
    rate_ok = decided >= min_cell and not _small(completed, min_cell) and not _small(incomplete, min_cell)
    progress_of = [p.get("progress") or {} for p in parents]
    return ReportRow(
        provider=provider,
        region=region,
        month=month,
        referred=_shown(len(parents), min_cell),
        completed=_shown(completed, min_cell),
        incomplete=_shown(incomplete, min_cell),
        completion_rate=round(completed / decided, 3) if rate_ok else None,
        elearning_finished=_shown(len(days), min_cell),
        median_elearning_days=round(median(days), 1) if len(days) >= min_cell else None,
        workshop_attended=_shown(sum(1 for g in progress_of if g.get("workshop_attended_at")), min_cell),
        workshop_missed=_shown(sum(1 for g in progress_of if g.get("workshop_misses", 0) > 0), min_cell),
        reordered=_shown(sum(1 for p in parents if p.get("cycle", 1) > 1), min_cell),
    )


def report(parents: list[dict], regions: dict[str, str], min_cell: int) -> Report:
    """`parents`: participant documents (only the fields `store.report_parents` reads); `regions`:
    referral id -> region."""
    groups: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
    for p in parents:
        month = _at(p["cycle_started_at"]).strftime("%Y-%m")  # type: ignore[union-attr]
        groups[(p["provider"], regions.get(p["referral_id"], "unknown"), month)].append(p)
    rows = [row(*key, group, min_cell) for key, group in sorted(groups.items())]
    return Report(min_cell=min_cell, rows=rows)
