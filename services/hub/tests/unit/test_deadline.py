"""The e-learning deadline as a parent reads it (issue 26: it was shown at the referral's minute, "at 01:32").
It is a precise instant (the welcome letter plus ten days), told rounded down so that it is never later
than the real one: to the hour, and a deadline in the night as the end of the day before."""

import re
from datetime import datetime, timedelta

from hub import i18n
from ptfc.programme import deadline_as_told

NIGHT = "2026-07-03T00:32:00+00:00"  # 01:32 in London: the referral was made at 01:32 ten days before
AFTERNOON = "2026-07-03T13:47:00+00:00"  # 14:47 in London


def test_a_night_deadline_is_told_as_the_end_of_the_day_before_in_each_language():
    assert i18n.Formats("en", "Europe/London").deadline(NIGHT) == "Thursday, 2 July 2026 at 23:59"
    assert i18n.Formats("pl", "Europe/London").deadline(NIGHT) == "czwartek, 2 lipca 2026, godz. 23:59"
    urdu = i18n.Formats("ur", "Europe/London").deadline(NIGHT)
    assert "23:59" in urdu and "01:32" not in urdu


def test_a_day_deadline_is_told_to_the_hour_before_it():
    assert i18n.Formats("en", "Europe/London").deadline(AFTERNOON) == "Friday, 3 July 2026 at 14:00"
    assert i18n.Formats("en", "Europe/London").deadline("2026-01-09T08:00:00+00:00").endswith("at 08:00")


def test_the_deadline_told_is_never_later_than_the_real_one():
    for hour in range(24):
        for minute in (0, 1, 30, 59):
            real = datetime.fromisoformat(f"2026-03-29T{hour:02}:{minute:02}:00+00:00")  # a clock-change day too
            told = deadline_as_told(real)
            assert told <= real and real - told <= timedelta(hours=8, minutes=1), (real, told)


def test_every_page_that_shows_the_deadline_tells_it_so():
    templates = i18n.LOCALE_DIR.parent / "templates"
    shown = [p.name for p in templates.glob("*.html") if "course.deadline" in p.read_text()]
    assert shown, "no page shows the deadline"
    for name in shown:
        text = (templates / name).read_text()
        assert not re.search(r"fmt\.(when|day|time)\(course\.deadline\)", text), name
        assert "fmt.deadline(course.deadline)" in text, name
