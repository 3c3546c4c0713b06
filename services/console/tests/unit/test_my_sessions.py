"""A facilitator's sessions grouped as they plan their days, in England's time: today (either part
today), the next seven days, later, earlier."""

from datetime import UTC, datetime

from console.sessions import by_day

NOW = datetime(2031, 3, 10, 23, 30, tzinfo=UTC)  # Monday 10 March, 23:30 in London (GMT)


def session(id: str, *starts: str) -> dict:
    return {"id": id, "parts": [{"starts_at": s} for s in starts]}


def test_sessions_are_grouped_today_this_week_later_and_earlier():
    groups = by_day(
        [
            session("later", "2031-03-17T10:00:00+00:00", "2031-03-17T11:30:00+00:00"),
            session("week", "2031-03-16T10:00:00+00:00", "2031-03-16T11:30:00+00:00"),
            session("today", "2031-03-10T18:00:00+00:00", "2031-03-10T19:30:00+00:00"),
            session("second-evening", "2031-03-09T18:30:00+00:00", "2031-03-10T18:30:00+00:00"),
            session("earlier", "2031-03-03T10:00:00+00:00", "2031-03-03T11:30:00+00:00"),
            session("last-week", "2031-03-07T10:00:00+00:00", "2031-03-07T11:30:00+00:00"),
        ],
        NOW,
        "Europe/London",
    )
    ids = {name: [s["id"] for s in group] for name, group in groups.items()}
    assert ids == {
        "Today": ["second-evening", "today"],
        "This week": ["week"],
        "Later": ["later"],
        "Earlier": ["last-week", "earlier"],
    }


def test_today_is_england_s_day_not_utc_s():
    summer = datetime(2031, 7, 1, 23, 30, tzinfo=UTC)  # already 2 July in London (BST)
    groups = by_day([session("s", "2031-07-02T08:00:00+00:00", "2031-07-02T09:30:00+00:00")], summer, "Europe/London")
    assert [s["id"] for s in groups["Today"]] == ["s"]
