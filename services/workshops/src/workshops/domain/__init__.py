"""Rules of the workshop, with no I/O, one module per topic, each topic's pure rules beside its write
rules (which work on stored documents through `base.UnitOfWork`: store.py gives the MongoDB one,
tests an in-memory one, so every state change is here and tested without servers):

- `base`: the refusals, the unit of work, the programme numbers the rules read (`Programme`).
- `seats`: who may sit where, and the co-parent rule (`apart`), once for the list, a booking and
  the allocator.
- `sessions`: session shapes; creating, changing and cancelling a session.
- `booking`: who may book, booking and cancelling, the waiting list.
- `allocation`: the allocator of waiting parents to seats.
- `attendance`: marks, attended or missed, the session closing, reminders.
- `followups`: consent, the sample, the call and its measure.
- `concerns`: safeguarding concerns and who may read them.
- `parents`: what other services' events change.

The names below are the ones the service's other files (api, store, handlers, sweeps) call."""

from workshops.domain.allocation import allocate, violations
from workshops.domain.attendance import close_session, outcome, rebooking_offered, record_mark, remind
from workshops.domain.base import TAKEN, Programme, Refused, UnitOfWork, Unknown
from workshops.domain.booking import (
    Course,
    book,
    bookable,
    cancel_my_booking,
    check_may_book,
    check_may_cancel,
    join_waitlist,
    may_book,
    my_booking,
    referred,
    stop_waiting,
    wait,
)
from workshops.domain.concerns import may_read_concern, raise_concern, read_concern
from workshops.domain.followups import MEASURE, SCALE, assignee, check_measure, consent, record_call, sampled
from workshops.domain.parents import know_parent, learning_completed, reorder, withdraw
from workshops.domain.seats import PATTERNS, Seeker, Slot, apart, eligible, may_sit, seeker_of, slot_of, suits
from workshops.domain.sessions import add_session, cancel_session, change_session, check_shape

__all__ = [
    "MEASURE",
    "PATTERNS",
    "SCALE",
    "TAKEN",
    "Course",
    "Programme",
    "Refused",
    "Seeker",
    "Slot",
    "UnitOfWork",
    "Unknown",
    "add_session",
    "allocate",
    "apart",
    "assignee",
    "book",
    "bookable",
    "cancel_my_booking",
    "cancel_session",
    "change_session",
    "check_may_book",
    "check_may_cancel",
    "check_measure",
    "check_shape",
    "close_session",
    "consent",
    "eligible",
    "join_waitlist",
    "know_parent",
    "learning_completed",
    "may_book",
    "may_read_concern",
    "may_sit",
    "my_booking",
    "outcome",
    "raise_concern",
    "read_concern",
    "rebooking_offered",
    "record_call",
    "record_mark",
    "referred",
    "remind",
    "reorder",
    "sampled",
    "seeker_of",
    "slot_of",
    "stop_waiting",
    "suits",
    "violations",
    "wait",
    "withdraw",
]
