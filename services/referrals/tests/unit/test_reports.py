"""Report cells: counts from 1 to 4 suppressed; a rate only when neither its part nor the rest is
small (else the small count could be worked back); a median of days only from five parents."""

from datetime import UTC, datetime, timedelta

from referrals.reports import report

START = datetime(2031, 3, 3, tzinfo=UTC)


def parent(n: int, result: str | None = None, days: float | None = None, **progress) -> dict:
    if days is not None:
        progress |= {"activation_issued_at": START, "learning_completed_at": START + timedelta(days=days)}
    return {
        "provider": "family-action",
        "referral_id": f"r{n}",
        "cycle": progress.pop("cycle", 1),
        "cycle_started_at": START,
        "outcome": {"result": result} if result else None,
        "progress": progress,
    }


def test_small_counts_and_what_they_could_be_worked_back_from_are_not_shown():
    parents = [parent(n, "completed", days=n + 1, workshop_attended_at=START) for n in range(6)]
    parents += [parent(10 + n, "incomplete", workshop_misses=2) for n in range(2)]
    parents += [parent(20, cycle=2)]
    [row] = report(parents, {f"r{n}": "Essex" for n in range(30)}, 5).rows
    assert (row.region, row.month, row.referred, row.completed) == ("Essex", "2031-03", 9, 6)
    assert row.incomplete is None and row.completion_rate is None  # 2 incomplete: 6 of 8 would give it away
    assert row.median_elearning_days == 3.5 and row.elearning_finished == 6
    assert row.workshop_attended == 6 and row.workshop_missed is None and row.reordered is None


def test_a_rate_is_shown_once_every_count_behind_it_is_large_enough():
    parents = [parent(n, "completed", days=2) for n in range(5)] + [parent(9 + n, "incomplete") for n in range(5)]
    [row] = report(parents, {}, 5).rows
    assert row.completion_rate == 0.5 and row.region == "unknown"
    assert report(parents[:4], {}, 5).rows[0].median_elearning_days is None  # four parents: no median
