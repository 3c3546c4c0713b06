"""Where a parent's course stands, decided here and nowhere else, from what the services answer
for this parent: learning's course (`GET /me/course`), workshops' booking (`GET /me/booking`: the
live one, else the last attended or missed, with the parent's misses) and plans' list. Every page
that says what is done or what comes next reads it from `decide`, so no two pages can disagree.

Signed out, a parent is "invited" (welcome link not used yet) or their "link expired": the sign-in
page offers a new link for both (`signin.py`); the states below are those of a signed-in parent."""

from dataclasses import dataclass
from datetime import timedelta

DEADLINE_NEAR = timedelta(days=2)  # "deadline near": the page says so, and what happens if it passes

# GOV.UK task list statuses.
COMPLETED, IN_PROGRESS, NOT_STARTED, CANNOT_START = "completed", "in_progress", "not_started", "cannot_start"
# A part that closed without being done (the e-learning's deadline passed, a second workshop missed):
# the court was told. "Cannot start yet" would promise the parent it will open.
NOT_COMPLETED = "not_completed"


@dataclass(frozen=True)
class CourseState:
    name: str  # one of the states below: what the page says, and the one next thing to do
    learning: str  # the task list's status of each part
    workshop: str
    booking: dict | None
    misses: int
    reordered: bool  # a new cycle of a course ordered again; the old one's record is kept
    extended: bool = False  # the FCA gave more time: the deadline shown is the new one

    @property
    def may_book(self) -> bool:
        return self.name in ("book", "missed_once")

    @property
    def complete(self) -> bool:
        return self.name == "complete"


def decide(course: dict, booking: dict | None) -> CourseState:
    """The state, in order of precedence: withdrawn; the e-learning (not started, in progress,
    deadline near, extended, missed); then the workshop (book, booked, part 1 attended, missed once,
    rebooked, missed twice, complete)."""
    misses = booking.get("misses", 0) if booking else 0
    live = booking if booking and booking["status"] in ("booked", "attended", "missed") else None
    learning_done = course["status"] == "completed"
    started = course["modules_completed"] > 0 or bool(course.get("resume") and course["resume"]["section"] > 1)
    reordered = course.get("cycle", 1) > 1
    extended = bool(course.get("extended"))
    if course.get("withdrawn"):
        name = "withdrawn"
    elif not learning_done:
        if course["status"] == "active":
            near = course["seconds_left"] <= DEADLINE_NEAR.total_seconds()
            name = "deadline_near" if near else "extended" if extended else "in_progress" if started else "not_started"
        else:
            name = "learning_missed"  # the window closed: the court and the FCA are told
    elif live is None:
        name = "book"
    elif live["status"] == "attended":
        name = "complete"
    elif live["status"] == "booked" and live.get("parts", {}) == {"1": "attended"}:
        name = "part1_attended"  # part 2 still to come (the second evening, or after the break)
    elif live["status"] == "booked":
        name = "rebooked" if misses else "booked"
    else:
        name = "missed_twice" if misses >= 2 else "missed_once"
    learning = (
        COMPLETED
        if learning_done
        else IN_PROGRESS
        if started and course["status"] == "active"
        else NOT_STARTED
        if course["status"] == "active"
        else NOT_COMPLETED
        if course["status"] == "missed"
        else CANNOT_START
    )
    workshop = {
        "complete": COMPLETED,
        "booked": IN_PROGRESS,
        "rebooked": IN_PROGRESS,
        "part1_attended": IN_PROGRESS,
        "missed_once": IN_PROGRESS,
        "missed_twice": NOT_COMPLETED,
        "book": NOT_STARTED,
    }.get(name, CANNOT_START)
    return CourseState(name, learning, workshop, live, misses, reordered, extended)


def plan_status(plans: list[dict]) -> str:
    """The parenting plan's part of the task list, from plans' list for this parent: agreed, shared
    (both parents in it), started, or not started. Read only: the plan pages are plans' own."""
    if any(p.get("status") == "agreed" for p in plans):
        return "agreed"
    if any(p.get("shared") for p in plans):  # plans says so: an invitation sent, or the co-parent in it
        return "shared"
    return "started" if plans else NOT_STARTED
