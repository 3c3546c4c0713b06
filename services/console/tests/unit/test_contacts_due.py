"""Coordinators call a new referral's parents the day after it (referrals' `due_at`); a call still
not made a further day later is overdue, and the longest waiting come first."""

from datetime import UTC, datetime

from console.contacts import waiting

NOW = datetime(2031, 3, 12, 9, 0, tzinfo=UTC)


def test_a_call_is_due_then_overdue_a_day_later_longest_waiting_first():
    rows = waiting(
        [
            {"participant_id": "due-today", "due_at": "2031-03-12T08:00:00+00:00"},
            {"participant_id": "due-yesterday-evening", "due_at": "2031-03-11T18:00:00+00:00"},
            {"participant_id": "a-day-late", "due_at": "2031-03-11T09:00:00+00:00"},
        ],
        NOW,
    )
    assert [(r["participant_id"], r["overdue"]) for r in rows] == [
        ("a-day-late", True),
        ("due-yesterday-evening", False),
        ("due-today", False),
    ]
