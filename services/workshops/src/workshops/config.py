"""Settings of the workshops service (environment variables `PTFC_*`): every programme number is here
and nowhere else (the rules read them through `domain.Programme`). Every programme duration is an
ISO 8601 duration, so tests shrink them."""

from datetime import timedelta

from pydantic import Field

from ptfc.settings import DEV_CO_PARENT_SPLIT_KEY, ServiceSettings


class Settings(ServiceSettings):
    service: str = "workshops"
    content: timedelta = timedelta(hours=2, minutes=30)  # of a workshop, in two halves
    max_break: timedelta = timedelta(hours=1)  # between the halves of a one-day session
    max_group: int = 6
    aim_group: int = 5  # the allocator fills groups towards this size before `max_group`
    evening_from: int = 17  # local hour from which an evening part may start
    local_timezone: str = "Europe/London"
    cancel_cutoff: timedelta = timedelta(days=1)  # a parent may cancel (and book) until this long before part 1
    reminder_before: timedelta = timedelta(days=1)  # `workshop.reminder_due` this long before each part
    attendance_window: timedelta = timedelta(hours=12)  # after the last part: then the session closes
    max_misses: int = 2  # the first miss offers one rebooking; this many is final
    followup_one_in: int = 3  # sample of consenting parents who get a follow-up call
    followup_salt: str = "ptfc-followup-2026"  # keeps the sample reproducible; change it to draw anew
    followup_within: timedelta = timedelta(weeks=6)
    min_cell: int = 5  # follow-up aggregates show distributions only from this many answers
    # Draws which sessions belong to which parent of a co-parent pair (domain.seats.eligible). A secret:
    # with it and the ids, one could tell which sessions the co-parent is offered. Drawn anew when
    # it changes, so change it only with no booking open (docs/security.md, "Co-parent independence").
    co_parent_split_key: str = Field(DEV_CO_PARENT_SPLIT_KEY, min_length=32)
