"""Facts of the platform every service shares, defined once: the course has eight modules,
written material comes in English, Polish and Urdu, two providers deliver it, five services run it."""

from datetime import datetime, time, timedelta
from typing import Literal, get_args
from zoneinfo import ZoneInfo

MODULES = 8
Language = Literal["en", "pl", "ur"]
LANGUAGES: tuple[str, ...] = get_args(Language)
PROVIDERS = ("action-for-children", "family-action")

# The five services, each with the port it listens on when run on one machine (`ptfc up`).
SERVICES = {"referrals": 8001, "learning": 8002, "workshops": 8003, "plans": 8004, "notifications": 8005}


# Before this hour, a deadline is told as the end of the day before: nobody is asked to finish at 01:32.
NIGHT_ENDS = 8


def deadline_as_told(deadline: datetime, tz: str = "Europe/London") -> datetime:
    """The e-learning deadline as a parent is told it. The rule (learning: the welcome letter's moment plus
    `learning_window`, plus whole days of extensions) makes it a precise instant, often at an odd minute
    (a referral made at 01:32 closes the course at 01:32 ten days later). It is told rounded down, never
    later than it is, so a parent who keeps to what they read is always in time: to the hour
    (14:47 -> 14:00), and a deadline in the night to the end of the day before (01:32 -> 23:59)."""
    local = deadline.astimezone(ZoneInfo(tz))
    if local.hour < NIGHT_ENDS:
        day_before = (local - timedelta(days=1)).date()
        return datetime.combine(day_before, time(23, 59), local.tzinfo)
    return local.replace(minute=0, second=0, microsecond=0)
